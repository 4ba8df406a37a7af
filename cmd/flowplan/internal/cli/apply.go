package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"strings"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/render"
	"github.com/flowplan/flowplan/spec"
)

type applyArgs struct {
	runFlags
	autoApprove bool
}

func setupApply(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	a := &applyArgs{}
	a.define(fs, "the changes")
	fs.BoolVar(&a.autoApprove, "auto-approve", false, "apply without asking for confirmation")
	return a.run
}

func (a *applyArgs) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 1 {
		return &usageError{cmd: "apply", msg: "apply takes at most one saved plan file"}
	}
	format, err := a.out.parse("apply")
	if err != nil {
		return err
	}
	if len(args) == 1 {
		return a.applySaved(ctx, e, args[0], format)
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
	opts := b.engineOptions(a.targets)
	b.startDiscovery()
	plan, err := engine.MakePlan(ctx, b.provider, s, opts)
	b.progressDone()
	if err != nil {
		return err
	}
	color := e.useColor(e.Stdout, a.out.noColor)
	if err := render.Plan(e.Stdout, plan, format, a.out.options(color, render.MarkerPlan, "")); err != nil {
		return err
	}
	if err := refusePartialPlan(plan, ""); err != nil {
		return err
	}
	if plan.Empty() {
		return nil
	}
	if !a.autoApprove {
		if err := confirm(e); err != nil {
			return err
		}
	}
	return a.execute(ctx, e, b, plan, format, color, "")
}

// applySaved applies a plan file exactly as saved, after checking that the
// spec is the one it was made from and that nothing it touches has changed.
func (a *applyArgs) applySaved(ctx context.Context, e *env, path string, format render.Format) error {
	if len(a.targets) > 0 {
		return &usageError{cmd: "apply", msg: "--target cannot be used with a saved plan: the plan is applied exactly as saved; make a new plan with --target instead"}
	}
	plan, err := engine.LoadPlanFile(path)
	if err != nil {
		return err
	}
	specPath := a.spec.path
	if !a.spec.set {
		specPath = plan.Spec.File
	}
	s, err := spec.Load(specPath)
	if err != nil {
		if !a.spec.set && errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w\nThe plan was made from %s; if that spec is elsewhere now, give it with -f.", err, specPath)
		}
		return err
	}
	if err := engine.CheckSpec(plan, s); err != nil {
		return err
	}
	if err := refusePartialPlan(plan, "the saved plan was made with errors"); err != nil {
		return err
	}
	b, err := a.backend.open(ctx, e, s)
	if err != nil {
		return err
	}
	defer b.close()
	if plan.Empty() {
		fmt.Fprintln(e.Stdout, "The saved plan has no changes. Nothing to apply.")
		return nil
	}
	opts := b.engineOptions(nil)
	b.startDiscovery()
	if err := engine.CheckStaleLive(ctx, b.provider, s, plan, opts); err != nil {
		b.progressDone()
		return &exitError{code: ExitError, err: err}
	}
	b.progressDone()
	return a.execute(ctx, e, b, plan, format, e.useColor(e.Stdout, a.out.noColor), path)
}

// refusePartialPlan refuses a plan with scope errors before anything is
// asked or applied (engine.CheckApplicable; engine.Apply refuses it too).
// --target does not help, since every scope error stays in a filtered plan.
func refusePartialPlan(plan *engine.Plan, when string) error {
	err := engine.CheckApplicable(plan)
	if err == nil {
		return nil
	}
	if when != "" {
		err = fmt.Errorf("%s: %w", when, err)
	}
	return &exitError{code: ExitError, err: err}
}

// execute applies plan and renders the result; planFile is the saved plan
// it came from, if any.
func (a *applyArgs) execute(ctx context.Context, e *env, b *backend, plan *engine.Plan, format render.Format, color bool, planFile string) error {
	pending := 0
	for _, c := range plan.Changes {
		if c.Action != engine.NoOp {
			pending++
		}
	}
	b.startPhase("applying", pending, "changes", engine.EventChangeDone)
	result, err := engine.Apply(ctx, b.provider, plan, b.engineOptions(nil))
	b.progressDone()
	if result != nil {
		if rerr := render.Result(e.Stdout, result, plan, format, a.out.options(color, render.MarkerApply, planFile)); rerr != nil {
			return rerr
		}
	}
	if err != nil {
		if result != nil {
			// Every failure is already listed with its address above.
			return errSilent
		}
		return err
	}
	return nil
}

// confirm asks on a terminal and refuses when stdin is not one.
func confirm(e *env) error {
	if !e.stdinTTY {
		return &exitError{code: ExitError, err: errors.New("apply needs confirmation, but stdin is not a terminal.\n" +
			"Re-run with --auto-approve, or save a reviewed plan with 'flowplan plan --out FILE' and run 'flowplan apply FILE'.")}
	}
	fmt.Fprint(e.Stderr, "\nDo you want to apply these changes? Only 'yes' will be accepted: ")
	line, err := bufio.NewReader(e.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return &exitError{code: ExitError, err: errors.New("apply cancelled: no answer")}
	}
	if strings.TrimSpace(line) != "yes" {
		return &exitError{code: ExitError, err: errors.New("apply cancelled")}
	}
	return nil
}
