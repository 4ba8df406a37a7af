package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/flowplan/flowplan/engine/runnerpolicy"
)

// setupIAMPolicy is 'flowplan iam-policy': the IAM policy flowplan's
// credentials need for a spec, from the spec alone (no AWS call). JSON goes
// to stdout as the bare policy document, ready for aws iam put-role-policy,
// and where to attach it to stderr; the Terraform form carries the same
// words as comments.
func setupIAMPolicy(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	var sf specFlag
	var mode, format, principal string
	sf.define(fs)
	choiceVar(fs, &mode, "for", string(runnerpolicy.Apply), "the `command` the policy is for: plan, apply, drift or audit", "plan", "apply", "drift", "audit")
	choiceVar(fs, &format, "format", "json", "output `format`: json (the policy document) or terraform (an aws_iam_policy_document data source)", "json", "terraform")
	choiceVar(fs, &principal, "principal", string(runnerpolicy.Runner),
		"whose policy: runner (the role assumed in each account) or caller (the credentials flowplan starts with)", "runner", "caller")
	return func(_ context.Context, e *env, args []string) error {
		if len(args) > 0 {
			return &usageError{cmd: "iam-policy", msg: fmt.Sprintf("unexpected argument %q (the spec is given with -f)", args[0])}
		}
		s, err := sf.load()
		if err != nil {
			return err
		}
		m, err := runnerpolicy.ParseMode(mode)
		if err != nil {
			return &usageError{cmd: "iam-policy", msg: "--for: " + err.Error()}
		}
		if format != "json" && format != "terraform" {
			return &usageError{cmd: "iam-policy", msg: fmt.Sprintf("--format %q: use json or terraform", format)}
		}
		pr := runnerpolicy.Principal(principal)
		if pr != runnerpolicy.Runner && pr != runnerpolicy.Caller {
			return &usageError{cmd: "iam-policy", msg: fmt.Sprintf("--principal %q: use runner or caller", principal)}
		}
		p := runnerpolicy.Generate(s, m, pr)
		if len(p.Statements) == 0 {
			return fmt.Errorf("iam-policy %s: the %s needs no permission for flowplan %s: every account is reached with the credentials flowplan starts with, which need the runner policy", sf.path, principal, m)
		}
		if format == "terraform" {
			_, err := e.Stdout.Write(p.Terraform())
			return err
		}
		doc, err := p.JSON()
		if err != nil {
			return fmt.Errorf("iam-policy %s: %w", sf.path, err)
		}
		if _, err := e.Stdout.Write(doc); err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.Stderr, "# %s\n", strings.Join(p.Description, "\n# "))
		return err
	}
}
