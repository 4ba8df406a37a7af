package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// completionShells are the shells 'flowplan completion' writes for.
var completionShells = []string{"bash", "zsh", "fish"}

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

// cmdCompletion is what a completion script knows about one command or
// subcommand.
type cmdCompletion struct {
	// name is "plan", or "sandbox serve" for a subcommand.
	name, summary string
	flags         []flagCompletion
	// words are what its positional arguments are (subcommands, shells);
	// when empty they are files.
	words []string
	subs  []cmdCompletion
}

// flagCompletion is one flag and its aliases.
type flagCompletion struct {
	names      []string // short first: f, file
	usage      string   // without the backquotes
	boolean    bool
	choices    []string // the values it takes, when fixed
	file       bool     // its value is a file
	repeatable bool
}

// positionalWords are the words a command's positional arguments take,
// for commands whose arguments are neither files nor subcommands.
var positionalWords = map[string][]string{"completion": completionShells}

// completionSpec lists every command with its flags, taken from the same
// flag definitions the commands parse, so the scripts cannot go stale.
func completionSpec() []cmdCompletion {
	var out []cmdCompletion
	for _, c := range commands() {
		cc := describeCommand(c.name, c.summary, c.setup)
		cc.words = positionalWords[c.name]
		for _, s := range subcommandsOf(c.name) {
			cc.words = append(cc.words, s.name)
			sub := describeCommand(c.name+" "+s.name, s.summary, s.setup)
			sub.words = []string{} // subcommands take no positional arguments
			cc.subs = append(cc.subs, sub)
		}
		out = append(out, cc)
	}
	return out
}

func describeCommand(name, summary string, setup func(*flag.FlagSet) func(context.Context, *env, []string) error) cmdCompletion {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	setup(fs)
	cc := cmdCompletion{name: name, summary: summary}
	for _, g := range flagGroups(fs) {
		_, usage := flag.UnquoteUsage(g.flag)
		_, repeatable := g.flag.Value.(*stringList)
		cc.flags = append(cc.flags, flagCompletion{
			names: g.names, usage: usage, boolean: isBool(g.flag),
			choices: choicesOf(g.flag), file: takesFile(g.flag), repeatable: repeatable,
		})
	}
	sort.Slice(cc.flags, func(i, j int) bool { return cc.flags[i].names[0] < cc.flags[j].names[0] })
	return cc
}

func (f flagCompletion) dashedNames() []string {
	out := make([]string, len(f.names))
	for i, n := range f.names {
		out[i] = dashed(n)
	}
	return out
}

// all lists c and its subcommands.
func (c cmdCompletion) all() []cmdCompletion {
	return append([]cmdCompletion{c}, c.subs...)
}

// shellQuote quotes s as one word for bash, zsh and fish.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func writeBash(w io.Writer, cmds []cmdCompletion) {
	var names []string
	for _, c := range cmds {
		names = append(names, c.name)
	}
	names = append(names, "help")
	fmt.Fprintf(w, `# bash completion for flowplan; load with: source <(flowplan completion bash)
_flowplan() {
  local cur prev key
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev=""
  if [ "$COMP_CWORD" -gt 0 ]; then prev="${COMP_WORDS[COMP_CWORD-1]}"; fi
  # bash splits --flag=value at "=": complete the value of --flag.
  if [ "$cur" = "=" ]; then
    cur=""
  elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -gt 1 ]; then
    prev="${COMP_WORDS[COMP_CWORD-2]}"
  fi
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W %s -- "$cur"))
    return
  fi
  key="${COMP_WORDS[1]}"
  if [ "$key" = help ]; then
    COMPREPLY=($(compgen -W %s -- "$cur"))
    return
  fi
  case "$key" in
`, shellQuote(strings.Join(names, " ")), shellQuote(strings.Join(names[:len(names)-1], " ")))
	for _, c := range cmds {
		if len(c.subs) == 0 {
			continue
		}
		var subs []string
		for _, s := range c.subs {
			subs = append(subs, strings.TrimPrefix(s.name, c.name+" "))
		}
		fmt.Fprintf(w, "    %s)\n      if [ \"$COMP_CWORD\" -eq 2 ]; then COMPREPLY=($(compgen -W %s -- \"$cur\")); return; fi\n      key=\"$key ${COMP_WORDS[2]}\" ;;\n",
			c.name, shellQuote(strings.Join(subs, " ")))
	}
	fmt.Fprint(w, "  esac\n  # The value of the flag before the cursor.\n  case \"$key:$prev\" in\n")
	for _, c := range cmds {
		for _, cc := range c.all() {
			for _, f := range cc.flags {
				if f.boolean {
					continue
				}
				var pats []string
				for _, n := range f.dashedNames() {
					pats = append(pats, shellQuote(cc.name+":"+n))
				}
				switch {
				case len(f.choices) > 0:
					fmt.Fprintf(w, "    %s) COMPREPLY=($(compgen -W %s -- \"$cur\")); return ;;\n", strings.Join(pats, "|"), shellQuote(strings.Join(f.choices, " ")))
				case f.file:
					fmt.Fprintf(w, "    %s) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", strings.Join(pats, "|"))
				default:
					fmt.Fprintf(w, "    %s) return ;;\n", strings.Join(pats, "|"))
				}
			}
		}
	}
	fmt.Fprint(w, "  esac\n  # Flags, or the positional arguments.\n  case \"$key\" in\n")
	for _, c := range cmds {
		for _, cc := range c.all() {
			var fl []string
			for _, f := range cc.flags {
				fl = append(fl, f.dashedNames()...)
			}
			positional := `compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))`
			switch {
			case len(cc.words) > 0:
				positional = fmt.Sprintf(`COMPREPLY=($(compgen -W %s -- "$cur"))`, shellQuote(strings.Join(cc.words, " ")))
			case cc.words != nil:
				positional = ":"
			}
			fmt.Fprintf(w, "    %s)\n      if [[ \"$cur\" == -* ]]; then COMPREPLY=($(compgen -W %s -- \"$cur\")); else %s; fi ;;\n",
				shellQuote(cc.name), shellQuote(strings.Join(fl, " ")), positional)
		}
	}
	fmt.Fprint(w, `    *) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
  esac
}
complete -F _flowplan flowplan
`)
}

// zshDesc makes text safe inside an _arguments or _describe spec in single
// quotes.
func zshDesc(s string) string {
	s = strings.NewReplacer("[", "(", "]", ")", ":", `\:`, "'", `'\''`).Replace(s)
	return s
}

func writeZsh(w io.Writer, cmds []cmdCompletion) {
	fmt.Fprint(w, `#compdef flowplan
# zsh completion for flowplan; load with: source <(flowplan completion zsh)
# (after compinit), or save it as _flowplan in a directory of $fpath.
_flowplan() {
  local -a commands
  commands=(
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "    '%s:%s'\n", c.name, zshDesc(c.summary))
	}
	fmt.Fprint(w, `    'help:show the help of a command'
  )
  if (( CURRENT == 2 )); then
    _describe -t commands 'flowplan command' commands
    return
  fi
  local cmd=$words[2]
  shift words
  (( CURRENT-- ))
  case $cmd in
    help) _describe -t commands 'flowplan command' commands ;;
`)
	for _, c := range cmds {
		if len(c.subs) == 0 {
			fmt.Fprintf(w, "    %s) _arguments -s%s ;;\n", c.name, zshArgs(c))
			continue
		}
		fmt.Fprintf(w, "    %s)\n      local -a subs\n      subs=(", c.name)
		for _, s := range c.subs {
			fmt.Fprintf(w, " '%s:%s'", strings.TrimPrefix(s.name, c.name+" "), zshDesc(s.summary))
		}
		fmt.Fprint(w, " )\n      if (( CURRENT == 2 )); then\n        _describe -t subcommands 'subcommand' subs\n        return\n      fi\n")
		fmt.Fprint(w, "      local sub=$words[2]\n      shift words\n      (( CURRENT-- ))\n      case $sub in\n")
		for _, s := range c.subs {
			fmt.Fprintf(w, "        %s) _arguments -s%s ;;\n", strings.TrimPrefix(s.name, c.name+" "), zshArgs(s))
		}
		fmt.Fprint(w, "      esac ;;\n")
	}
	fmt.Fprint(w, `  esac
}
if [ "$funcstack[1]" = "_flowplan" ]; then
  _flowplan "$@"
else
  compdef _flowplan flowplan
fi
`)
}

// zshArgs renders a command's _arguments specs, each in single quotes.
func zshArgs(c cmdCompletion) string {
	var b strings.Builder
	for _, f := range c.flags {
		desc := zshDesc(f.usage)
		action := ""
		switch {
		case f.boolean:
		case len(f.choices) > 0:
			action = ":" + zshDesc(f.names[len(f.names)-1]) + ":(" + strings.Join(f.choices, " ") + ")"
		case f.file:
			action = ":file:_files"
		default:
			action = ":" + zshDesc(f.names[len(f.names)-1]) + ": "
		}
		names := f.dashedNames()
		exclusive := ""
		if len(names) > 1 && !f.repeatable {
			exclusive = "(" + strings.Join(names, " ") + ")"
		}
		for _, n := range names {
			lead := n
			if f.repeatable {
				lead = "*" + n
			}
			if !f.boolean && len(n) > 2 {
				lead += "=" // --out FILE and --out=FILE
			}
			fmt.Fprintf(&b, " '%s%s[%s]%s'", exclusive, lead, desc, action)
		}
	}
	switch {
	case c.words == nil:
		b.WriteString(" '*:file:_files'")
	case len(c.words) > 0:
		fmt.Fprintf(&b, " '1:argument:(%s)'", strings.Join(c.words, " "))
	}
	return b.String()
}

func writeFish(w io.Writer, cmds []cmdCompletion) {
	fmt.Fprint(w, "# fish completion for flowplan; load with: flowplan completion fish | source\ncomplete -c flowplan -f\n")
	var names []string
	for _, c := range cmds {
		names = append(names, c.name)
	}
	fmt.Fprintf(w, "complete -c flowplan -n __fish_use_subcommand -a help -d %s\n", shellQuote("show the help of a command"))
	fmt.Fprintf(w, "complete -c flowplan -n '__fish_seen_subcommand_from help' -a %s\n", shellQuote(strings.Join(names, " ")))
	for _, c := range cmds {
		fmt.Fprintf(w, "complete -c flowplan -n __fish_use_subcommand -a %s -d %s\n", c.name, shellQuote(c.summary))
		cond := "__fish_seen_subcommand_from " + c.name
		var subNames []string
		for _, s := range c.subs {
			subNames = append(subNames, strings.TrimPrefix(s.name, c.name+" "))
		}
		if len(c.subs) > 0 {
			top := fmt.Sprintf("%s; and not __fish_seen_subcommand_from %s", cond, strings.Join(subNames, " "))
			for _, s := range c.subs {
				fmt.Fprintf(w, "complete -c flowplan -n %s -a %s -d %s\n", shellQuote(top), strings.TrimPrefix(s.name, c.name+" "), shellQuote(s.summary))
			}
		}
		writeFishFlags(w, cond, c)
		for _, s := range c.subs {
			writeFishFlags(w, cond+"; and __fish_seen_subcommand_from "+strings.TrimPrefix(s.name, c.name+" "), s)
		}
	}
}

func writeFishFlags(w io.Writer, cond string, c cmdCompletion) {
	switch {
	case len(c.words) > 0 && len(c.subs) == 0:
		fmt.Fprintf(w, "complete -c flowplan -n %s -a %s\n", shellQuote(cond), shellQuote(strings.Join(c.words, " ")))
	case c.words == nil:
		fmt.Fprintf(w, "complete -c flowplan -n %s -F\n", shellQuote(cond))
	}
	for _, f := range c.flags {
		var opts []string
		for _, n := range f.names {
			if len(n) == 1 {
				opts = append(opts, "-s "+n)
			} else {
				opts = append(opts, "-l "+n)
			}
		}
		switch {
		case f.boolean:
		case len(f.choices) > 0:
			opts = append(opts, "-x -a "+shellQuote(strings.Join(f.choices, " ")))
		case f.file:
			opts = append(opts, "-r -F")
		default:
			opts = append(opts, "-x")
		}
		fmt.Fprintf(w, "complete -c flowplan -n %s %s -d %s\n", shellQuote(cond), strings.Join(opts, " "), shellQuote(f.usage))
	}
}
