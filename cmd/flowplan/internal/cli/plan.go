package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/render"
	"github.com/flowplan/flowplan/spec"
)

// defaultSpec is the spec file read when -f is not given.
const defaultSpec = "flowplan.yaml"

// specFlag is the -f/--file flag shared by commands that read a spec. set
// records whether it was given, since a saved plan otherwise names its own
// spec file.
type specFlag struct {
	path string
	set  bool
}

func (f *specFlag) String() string { return f.path }

func (f *specFlag) Set(v string) error {
	f.path, f.set = v, true
	return nil
}

func (f *specFlag) define(fs *flag.FlagSet) {
	f.path = defaultSpec
	fs.Var(f, "f", "spec `file`")
	fs.Var(f, "file", "spec `file` (same as -f)")
}

// load reads and validates the spec. Spec errors already name the file and
// position of each problem, so they are printed as they are.
func (f *specFlag) load() (*spec.Spec, error) {
	s, err := spec.Load(f.path)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// outputFlags are the rendering flags shared by plan, show, apply and
// drift.
type outputFlags struct {
	format   string
	json     bool
	noColor  bool
	maxChars int
}

func (o *outputFlags) define(fs *flag.FlagSet) {
	names := make([]string, len(render.Formats))
	for i, f := range render.Formats {
		names[i] = string(f)
	}
	choiceVar(fs, &o.format, "format", string(render.Text), "output `format`", names...)
	fs.BoolVar(&o.json, "json", false, "same as --format json (Terraform's -json)")
	fs.BoolVar(&o.noColor, "no-color", false, "never colour the output (NO_COLOR is honoured too)")
	fs.IntVar(&o.maxChars, "max-chars", render.DefaultMarkdownLimit,
		fmt.Sprintf("keep markdown output under `N` characters, cutting details, never the summary (at least %d; GitHub's comment limit is %d)",
			render.MinMarkdownLimit, render.GitHubCommentLimit))
}

func (o *outputFlags) parse(cmd string) (render.Format, error) {
	if o.json {
		if o.format != string(render.Text) && o.format != string(render.JSON) {
			return "", &usageError{cmd: cmd, msg: fmt.Sprintf("--json and --format %s disagree; give one of them", o.format)}
		}
		o.format = string(render.JSON)
	}
	f, err := render.ParseFormat(o.format)
	if err != nil {
		return f, &usageError{cmd: cmd, msg: err.Error()}
	}
	if o.maxChars < render.MinMarkdownLimit {
		return f, &usageError{cmd: cmd, msg: fmt.Sprintf("--max-chars %d is too small: markdown output needs at least %d characters for its title and summary", o.maxChars, render.MinMarkdownLimit)}
	}
	return f, nil
}

// options are the render options: colour as the CLI decides it, the size
// limit, and the kind and plan file that markdown output names.
func (o *outputFlags) options(color bool, kind, planFile string) render.Options {
	return render.Options{Color: color, MarkdownLimit: o.maxChars, MarkerKind: kind, PlanFile: planFile}
}

// runFlags are the flags of every command that discovers the live state
// (plan, apply, drift): the spec, the output, the backend and --target.
type runFlags struct {
	spec    specFlag
	out     outputFlags
	backend backendFlags
	targets stringList
	shard   shardFlag
	// adoptRoles is --adopt-roles, which plan and apply define.
	adoptRoles bool
}

// defineAdoptRoles adds --adopt-roles.
func (r *runFlags) defineAdoptRoles(fs *flag.FlagSet) {
	fs.BoolVar(&r.adoptRoles, "adopt-roles", false,
		"take over delivery roles of the spec's names that exist without flowplan's ownership tags (as adopt: true on each delivery_roles entry); without it such a role is a plan error")
}

// engineOptions are the engine options the flags ask for.
func (r *runFlags) engineOptions(b *backend) engine.Options {
	o := b.engineOptions(r.targets)
	o.AdoptRoles = r.adoptRoles
	return o
}

// define adds the flags; what --target limits is said in the help.
func (r *runFlags) define(fs *flag.FlagSet, limits string) {
	r.spec.define(fs)
	r.out.define(fs)
	r.backend.define(fs)
	fs.Var(&r.targets, "target", "limit "+limits+" to addresses with this `prefix` (repeatable)")
	r.shard.define(fs)
}

type planArgs struct {
	runFlags
	planKey          planKeyFlag
	outFile          string
	detailedExitcode bool
	// kind is what markdown output is titled and marked as: plan or drift.
	kind string
}

func setupPlan(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	a := &planArgs{kind: render.MarkerPlan}
	a.define(fs, "the plan")
	a.defineAdoptRoles(fs)
	fs.StringVar(&a.outFile, "out", "", "save the plan to `file` (JSON, mode 0600) for a later 'flowplan apply FILE'; -out=FILE works too")
	fs.BoolVar(&a.detailedExitcode, "detailed-exitcode", false, "exit 0 when there are no changes, 2 when there are, 1 on error")
	a.planKey.define(fs)
	return a.run
}

func (a *planArgs) run(ctx context.Context, e *env, args []string) error {
	cmd := a.backend.cmd
	if len(args) > 0 {
		return &usageError{cmd: cmd, msg: fmt.Sprintf("unexpected argument %q (the spec is given with -f)", args[0])}
	}
	format, err := a.out.parse(cmd)
	if err != nil {
		return err
	}
	shard, err := a.shard.resolve(cmd, e)
	if err != nil {
		return err
	}
	s, err := a.spec.load()
	if err != nil {
		return err
	}
	b, err := a.backend.open(ctx, e, s)
	if err != nil {
		return err
	}
	defer b.close()
	b.startDiscovery()
	opts := a.engineOptions(b)
	opts.Shard = shard
	plan, err := engine.MakePlan(ctx, b.provider, s, opts)
	b.progressDone()
	if err != nil {
		return err
	}
	ropts := a.out.options(e.useColor(e.Stdout, a.out.noColor), a.kind, a.outFile)
	if err := render.Plan(e.Stdout, plan, format, ropts); err != nil {
		return err
	}
	if a.outFile != "" {
		if err := a.planKey.sign(e, plan); err != nil {
			return err
		}
		if err := engine.SavePlanFile(a.outFile, plan); err != nil {
			return err
		}
		fmt.Fprintf(e.Stderr, "Saved the plan to %s. Apply it with: flowplan apply %s\n", a.outFile, a.outFile)
	}
	return planExit(plan, a.detailedExitcode)
}

// planExit decides the exit code of a plan: 1 when any scope failed
// discovery, else 2 for changes with --detailed-exitcode, else 0.
func planExit(plan *engine.Plan, detailed bool) error {
	if len(plan.Errors) > 0 {
		return &exitError{code: ExitError, err: fmt.Errorf("%d scope(s) have errors (listed above); the plan covers the rest, and cannot be applied until they are fixed", len(plan.Errors))}
	}
	if detailed && !plan.Empty() {
		return errChanges
	}
	return nil
}

type showArgs struct {
	out     outputFlags
	planKey planKeyFlag
	merge   bool
}

func setupShow(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	a := &showArgs{}
	a.out.define(fs)
	a.planKey.define(fs)
	fs.BoolVar(&a.merge, "merge", false, "combine the saved plans of shards (plan --shard K/N --out FILE) into one report")
	return a.run
}

func (a *showArgs) run(_ context.Context, e *env, args []string) error {
	if a.merge {
		return a.runMerge(e, args)
	}
	if len(args) != 1 {
		return &usageError{cmd: "show", msg: "show needs exactly one saved plan file"}
	}
	format, err := a.out.parse("show")
	if err != nil {
		return err
	}
	plan, err := engine.LoadPlanFile(args[0])
	if err != nil {
		return err
	}
	if err := a.planKey.verify(e, args[0], plan); err != nil {
		return err
	}
	return render.Plan(e.Stdout, plan, format, a.out.options(e.useColor(e.Stdout, a.out.noColor), render.MarkerPlan, args[0]))
}

// runMerge is show --merge: the shards' saved plans, each checked as show
// checks one, combined by engine.MergePlans into one report. Missing
// shards are said in the report and on stderr.
func (a *showArgs) runMerge(e *env, args []string) error {
	if len(args) == 0 {
		return &usageError{cmd: "show", msg: "show --merge needs the shards' saved plan files"}
	}
	format, err := a.out.parse("show")
	if err != nil {
		return err
	}
	plans := make([]*engine.Plan, len(args))
	for i, path := range args {
		if plans[i], err = engine.LoadPlanFile(path); err != nil {
			return err
		}
		if err := a.planKey.verify(e, path, plans[i]); err != nil {
			return err
		}
	}
	merged, err := engine.MergePlans(args, plans)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	if err := render.Plan(e.Stdout, merged, format, a.out.options(e.useColor(e.Stdout, a.out.noColor), render.MarkerPlan, "")); err != nil {
		return err
	}
	warnMissingShards(e, merged.Merged)
	return nil
}

// warnMissingShards says on stderr that a merge does not cover every
// shard.
func warnMissingShards(e *env, m *engine.MergedShards) {
	if m != nil && !m.Complete() {
		fmt.Fprintf(e.Stderr, "Warning: this report is %s: it does not cover the whole organisation.\n", m.Describe())
	}
}
