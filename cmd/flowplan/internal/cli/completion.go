package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

func setupCompletion(*flag.FlagSet) func(context.Context, *env, []string) error {
	return func(_ context.Context, e *env, args []string) error {
		if len(args) != 1 {
			return &usageError{cmd: "completion", msg: "completion needs one shell: bash, zsh or fish"}
		}
		spec := completionSpec()
		switch args[0] {
		case "bash":
			writeBash(e.Stdout, spec)
		case "zsh":
			writeZsh(e.Stdout, spec)
		case "fish":
			writeFish(e.Stdout, spec)
		default:
			return &usageError{cmd: "completion", msg: fmt.Sprintf("unknown shell %q: use bash, zsh or fish", args[0])}
		}
		return nil
	}
}

// cmdCompletion is what a completion script knows about one command.
type cmdCompletion struct {
	name, summary string
	flags         []flagCompletion
}

type flagCompletion struct {
	name, usage string
	boolean     bool
}

// completionSpec lists every command with its flags, taken from the same
// flag definitions the commands parse, so the scripts cannot go stale.
func completionSpec() []cmdCompletion {
	var out []cmdCompletion
	for _, c := range commands() {
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.setup(fs)
		cc := cmdCompletion{name: c.name, summary: c.summary}
		fs.VisitAll(func(f *flag.Flag) {
			b, ok := f.Value.(interface{ IsBoolFlag() bool })
			cc.flags = append(cc.flags, flagCompletion{name: f.Name, usage: f.Usage, boolean: ok && b.IsBoolFlag()})
		})
		sort.Slice(cc.flags, func(i, j int) bool { return cc.flags[i].name < cc.flags[j].name })
		out = append(out, cc)
	}
	return out
}

func writeBash(w io.Writer, cmds []cmdCompletion) {
	var names []string
	for _, c := range cmds {
		names = append(names, c.name)
	}
	fmt.Fprintf(w, `# bash completion for flowplan; load with: source <(flowplan completion bash)
_flowplan() {
  local cur cmd
  cur="${COMP_WORDS[COMP_CWORD]}"
  cmd="${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W %q -- "$cur"))
    return
  fi
  case "$cmd" in
`, strings.Join(names, " "))
	for _, c := range cmds {
		var fl []string
		for _, f := range c.flags {
			fl = append(fl, dashed(f.name))
		}
		extra := ""
		switch c.name {
		case "completion":
			extra = " bash zsh fish"
		case "sandbox":
			extra = " reset serve"
		}
		fmt.Fprintf(w, "    %s) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", c.name, strings.Join(fl, " ")+extra)
	}
	fmt.Fprint(w, `  esac
  if [ ${#COMPREPLY[@]} -eq 0 ]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _flowplan flowplan
`)
}

func writeZsh(w io.Writer, cmds []cmdCompletion) {
	fmt.Fprint(w, `#compdef flowplan
# zsh completion for flowplan; load with: source <(flowplan completion zsh)
_flowplan() {
  local -a commands
  commands=(
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "    %q\n", c.name+":"+c.summary)
	}
	fmt.Fprint(w, `  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case "$words[2]" in
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "    %s) _arguments", c.name)
		for _, f := range c.flags {
			desc := strings.NewReplacer("[", "(", "]", ")", "'", "").Replace(f.usage)
			fmt.Fprintf(w, " '%s[%s]'", dashed(f.name), desc)
		}
		fmt.Fprint(w, " '*:file:_files' ;;\n")
	}
	fmt.Fprint(w, `  esac
}
compdef _flowplan flowplan
`)
}

func writeFish(w io.Writer, cmds []cmdCompletion) {
	fmt.Fprint(w, "# fish completion for flowplan; load with: flowplan completion fish | source\ncomplete -c flowplan -f\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "complete -c flowplan -n __fish_use_subcommand -a %s -d %q\n", c.name, c.summary)
		for _, f := range c.flags {
			opt := "-l " + f.name
			if len(f.name) == 1 {
				opt = "-s " + f.name
			}
			req := " -r -F"
			if f.boolean {
				req = ""
			}
			fmt.Fprintf(w, "complete -c flowplan -n '__fish_seen_subcommand_from %s' %s%s -d %q\n", c.name, opt, req, f.usage)
		}
	}
}
