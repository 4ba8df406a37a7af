package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/render"
)

// driftArgs are the flags of `flowplan drift`, the read-only check a
// nightly job runs: exit 0 in sync, 2 drifted, 1 on error (a scope that
// could not be read is an error: its drift is unknown).
type driftArgs struct {
	runFlags
	outFile string
	strict  bool
	ignore  string
}

// reportTime is when a report says it was made: now, or SOURCE_DATE_EPOCH
// (seconds since 1970, the reproducible-builds convention) when it is set,
// so that a report can be made again byte for byte.
func reportTime(e *env) (time.Time, error) {
	v := e.getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Now(), nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970", v)
	}
	return time.Unix(n, 0), nil
}

func setupDrift(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	a := &driftArgs{}
	a.define(fs, "the check")
	fs.StringVar(&a.outFile, "out", "", "also write the drift report as JSON to `file` (docs/drift-json.md), whatever --format says")
	fs.BoolVar(&a.strict, "strict", false, "count unmanaged flow logs on targets in scope as drift")
	fs.StringVar(&a.ignore, "ignore", "", "leave out findings of these `kinds`, comma-separated: missing, unhealthy, modified, conflict, orphaned, unmanaged")
	return a.run
}

func (a *driftArgs) run(ctx context.Context, e *env, args []string) error {
	cmd := a.backend.cmd
	if len(args) > 0 {
		return &usageError{cmd: cmd, msg: fmt.Sprintf("unexpected argument %q (the spec is given with -f)", args[0])}
	}
	format, err := a.out.parse(cmd)
	if err != nil {
		return err
	}
	opts := engine.DriftOptions{Strict: a.strict}
	for _, k := range strings.Split(a.ignore, ",") {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		kind, err := engine.ParseDriftKind(k)
		if err != nil {
			return &usageError{cmd: cmd, msg: "--ignore: " + err.Error()}
		}
		opts.Ignore = append(opts.Ignore, kind)
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
	eopts := b.engineOptions(a.targets)
	eopts.Shard = shard
	sv, err := engine.MakeSurvey(ctx, b.provider, s, eopts)
	b.progressDone()
	if terr := (*engine.TargetError)(nil); errors.As(err, &terr) {
		terr.Of = "drift check"
	}
	if err != nil {
		return err
	}
	d := engine.DetectDrift(sv, opts)
	at, err := reportTime(e)
	if err != nil {
		return err
	}
	if err := render.Drift(e.Stdout, d, at, format, a.out.options(e.useColor(e.Stdout, a.out.noColor), render.MarkerDrift, "")); err != nil {
		return err
	}
	if a.outFile != "" {
		if err := writeDriftJSON(a.outFile, d, at); err != nil {
			return err
		}
	}
	// A planning error is a conflict finding (drift, exit 2); only a scope
	// that could not be read leaves drift unknown.
	if unknown := len(d.Unknown()); unknown > 0 {
		return &exitError{code: ExitError, err: fmt.Errorf("%d scope(s) could not be checked (listed above); their drift is unknown", unknown)}
	}
	if d.Drifted() {
		return errChanges
	}
	return nil
}

// writeDriftJSON writes the JSON drift report to path, atomically.
func writeDriftJSON(path string, d *engine.Drift, at time.Time) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".flowplan-drift-*")
	if err != nil {
		return fmt.Errorf("write drift report %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := render.Drift(f, d, at, render.JSON, render.Options{}); err != nil {
		return fmt.Errorf("write drift report %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write drift report %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write drift report %s: %w", path, err)
	}
	return nil
}
