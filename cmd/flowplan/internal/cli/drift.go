package cli

import (
	"context"
	"flag"
)

// setupDrift is the read-only diff a nightly job runs: the same plan, with
// no plan file, exiting 2 when the live state has drifted from the spec.
func setupDrift(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	a := &planArgs{detailedExitcode: true}
	a.spec.define(fs)
	a.out.define(fs)
	a.backend.define(fs)
	fs.Var(&a.targets, "target", "limit the check to addresses with this `prefix` (repeatable)")
	return a.run
}
