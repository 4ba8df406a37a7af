package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/render"
	"github.com/flowplan/flowplan/spec"
)

type applyArgs struct {
	runFlags
	planKey     planKeyFlag
	autoApprove bool
	lockTimeout time.Duration
}

func setupApply(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	a := &applyArgs{}
	a.define(fs, "the changes")
	a.defineAdoptRoles(fs)
	fs.BoolVar(&a.autoApprove, "auto-approve", false, "apply without asking for confirmation")
	fs.DurationVar(&a.lockTimeout, "lock-timeout", 0, "how long to wait while another apply of the spec holds its lock (`duration`, such as 10m; default: fail at once)")
	a.planKey.define(fs)
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
	shard, err := a.shard.resolve("apply", e)
	if err != nil {
		return err
	}
	if len(args) == 1 {
		return a.applySaved(ctx, e, args[0], format, shard)
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
	ctx, release, err := takeLock(ctx, e, b, s, a.lockTimeout)
	if err != nil {
		return err
	}
	defer release()
	opts := a.engineOptions(b)
	opts.Shard = shard
	b.startDiscovery()
	plan, err := engine.MakePlan(ctx, b.provider, s, opts)
	b.progressDone()
	if err != nil {
		return lockLost(ctx, err)
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
		if err := confirm(ctx, e); err != nil {
			return err
		}
	}
	return a.execute(ctx, e, b, plan, format, color, "")
}

// applySaved applies a saved plan file. The file is untrusted (it travels
// as a CI artifact): its signature is checked when a plan key is set, the
// spec it names must be inside the working directory unless given with -f,
// and engine.PrepareSaved makes the plan again from that spec and AWS, so
// that what is applied is the fresh version of each change the file lists.
//
// A plan made with --shard is applied within its shard; --shard, when
// given too, must be the plan's.
func (a *applyArgs) applySaved(ctx context.Context, e *env, path string, format render.Format, shard *engine.Shard) error {
	if len(a.targets) > 0 {
		return &usageError{cmd: "apply", msg: "--target cannot be used with a saved plan: the plan is applied exactly as saved; make a new plan with --target instead"}
	}
	if a.adoptRoles {
		return &usageError{cmd: "apply", msg: "--adopt-roles cannot be used with a saved plan: the plan adopts what it was made to adopt; make a new plan with --adopt-roles instead"}
	}
	plan, err := engine.LoadPlanFile(path)
	if err != nil {
		return err
	}
	if err := a.planKey.verify(e, path, plan); err != nil {
		return err
	}
	if plan.Merged != nil {
		return &exitError{code: ExitError, err: engine.ErrMergedPlan}
	}
	if err := engine.CheckSavedShard(plan, shard); err != nil {
		return &usageError{cmd: "apply", msg: err.Error()}
	}
	var s *spec.Spec
	if a.spec.set {
		if s, err = spec.Load(a.spec.path); err != nil {
			return err
		}
	} else {
		specPath, err := planSpecPath(plan.Spec.File)
		if err != nil {
			return &exitError{code: ExitError, err: err}
		}
		// Never echo what the file holds: the plan chose it.
		if s, err = spec.Load(specPath); err != nil {
			return &exitError{code: ExitError, err: fmt.Errorf("the spec the plan names, %s, is not a valid flowplan spec; see why with: flowplan validate -f %s", display(plan.Spec.File), plan.Spec.File)}
		}
		s.File = plan.Spec.File
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
	ctx, release, err := takeLock(ctx, e, b, s, a.lockTimeout)
	if err != nil {
		return err
	}
	defer release()
	opts := b.engineOptions(nil)
	opts.Shard = shard
	b.startDiscovery()
	ready, err := engine.PrepareSaved(ctx, b.provider, s, plan, opts)
	b.progressDone()
	if err != nil {
		return &exitError{code: ExitError, err: lockLost(ctx, err)}
	}
	return a.execute(ctx, e, b, ready, format, e.useColor(e.Stdout, a.out.noColor), path)
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
	var ie *engine.InterruptedError
	if errors.As(err, &ie) {
		// The result above lists each change and why it was not made.
		next := "run the same command again to finish"
		if planFile != "" {
			// A saved plan is stale once part of it is applied.
			next = "the saved plan is stale now: make a new plan (flowplan plan --out FILE) and apply it to finish"
		}
		fmt.Fprintf(e.Stderr, "interrupted%s: %d of %d changes applied; %s\n", interruptedBy(ctx), ie.Applied, ie.Total, next)
		return &exitError{code: interruptCode(ctx)}
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

// confirm asks on a terminal and refuses when stdin is not one. An
// interrupt while it waits for the answer cancels the apply.
func confirm(ctx context.Context, e *env) error {
	if !e.stdinTTY {
		return &exitError{code: ExitError, err: errors.New("apply needs confirmation, but stdin is not a terminal.\n" +
			"Re-run with --auto-approve, or save a reviewed plan with 'flowplan plan --out FILE' and run 'flowplan apply FILE'.")}
	}
	fmt.Fprint(e.Stderr, "\nDo you want to apply these changes? Only 'yes' will be accepted: ")
	type answer struct {
		line string
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(e.Stdin).ReadString('\n')
		got <- answer{line, err}
	}()
	var line string
	var err error
	select {
	case <-ctx.Done():
		fmt.Fprintln(e.Stderr)
		return fmt.Errorf("apply cancelled: %w", context.Cause(ctx))
	case a := <-got:
		line, err = a.line, a.err
	}
	if err != nil && line == "" {
		return &exitError{code: ExitError, err: errors.New("apply cancelled: no answer")}
	}
	if strings.TrimSpace(line) != "yes" {
		return &exitError{code: ExitError, err: errors.New("apply cancelled")}
	}
	return nil
}
