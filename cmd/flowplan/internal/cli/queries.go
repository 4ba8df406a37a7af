package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/flowplan/flowplan/render/queries"
	"github.com/flowplan/flowplan/spec"
)

// setupAthena is 'flowplan athena': Athena tables for the spec's S3
// destinations, from the spec alone.
func setupAthena(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	var sf specFlag
	var o queries.Options
	sf.define(fs)
	fs.StringVar(&o.Rule, "rule", "", "only the table of this `rule`'s destination")
	fs.StringVar(&o.Database, "database", queries.DefaultDatabase, "Athena `database` to create the tables in")
	fs.StringVar(&o.TablePrefix, "table-prefix", queries.DefaultTablePrefix, "`prefix` of every table name")
	return func(_ context.Context, e *env, args []string) error {
		return printQueries(e, "athena", sf, args, func(s *spec.Spec) (string, error) { return queries.Athena(s, o) })
	}
}

// setupInsights is 'flowplan insights': CloudWatch Logs Insights queries
// for the spec's log groups, from the spec alone.
func setupInsights(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	var sf specFlag
	var o queries.Options
	sf.define(fs)
	fs.StringVar(&o.Rule, "rule", "", "only the queries of this `rule`")
	return func(_ context.Context, e *env, args []string) error {
		return printQueries(e, "insights", sf, args, func(s *spec.Spec) (string, error) { return queries.Insights(s, o) })
	}
}

// printQueries loads the spec and prints what render makes of it. Neither
// command calls AWS.
func printQueries(e *env, cmd string, sf specFlag, args []string, render func(*spec.Spec) (string, error)) error {
	if len(args) > 0 {
		return &usageError{cmd: cmd, msg: fmt.Sprintf("unexpected argument %q (the spec is given with -f)", args[0])}
	}
	s, err := sf.load()
	if err != nil {
		return err
	}
	out, err := render(s)
	if err != nil {
		return fmt.Errorf("%s %s: %w", cmd, sf.path, err)
	}
	_, err = fmt.Fprint(e.Stdout, out)
	return err
}
