package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/render"
)

type driftArgs struct {
	spec    specFlag
	out     outputFlags
	backend backendFlags
	targets stringList
}

func setupDrift(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	a := &driftArgs{}
	a.spec.define(fs)
	a.out.define(fs)
	a.backend.define(fs)
	fs.Var(&a.targets, "target", "limit the check to addresses with this `prefix` (repeatable)")
	return a.run
}

// run is the read-only diff a nightly job runs: the same plan, exit 2 when
// the live state has drifted from the spec.
func (a *driftArgs) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return &usageError{cmd: "drift", msg: fmt.Sprintf("unexpected argument %q (the spec is given with -f)", args[0])}
	}
	format, err := a.out.parse("drift")
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
	plan, err := engine.MakePlan(ctx, b.provider, s, b.engineOptions(a.targets))
	b.progressDone()
	if err != nil {
		return err
	}
	if err := render.Plan(e.Stdout, plan, format, render.Options{Color: e.useColor(e.Stdout, a.out.noColor)}); err != nil {
		return err
	}
	return planExit(plan, true)
}
