package cli

import (
	"context"
	"flag"

	"github.com/flowplan/flowplan/render"
)

// setupDrift is the read-only diff a nightly job runs: the same plan, with
// no plan file, exiting 2 when the live state has drifted from the spec.
func setupDrift(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	a := &planArgs{detailedExitcode: true, kind: render.MarkerDrift}
	a.define(fs, "the check")
	return a.run
}
