package cli

import (
	"context"
	"flag"

	"github.com/flowplan/flowplan"
)

// setupSchema prints the embedded JSON Schema of a spec, byte for byte
// schema.json, so that editors get completion without a checkout:
//
//	flowplan schema > schema.json
//
// and, first in the spec,
//
//	# yaml-language-server: $schema=./schema.json
func setupSchema(*flag.FlagSet) func(context.Context, *env, []string) error {
	return func(_ context.Context, e *env, args []string) error {
		if len(args) > 0 {
			return &usageError{cmd: "schema", msg: "schema takes no arguments"}
		}
		_, err := e.Stdout.Write(flowplan.Schema)
		return err
	}
}
