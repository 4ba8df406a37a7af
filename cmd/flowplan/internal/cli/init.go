package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/flowplan/flowplan/engine/starter"
	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/spec"
)

// sandboxRegions are the regions of the sandbox's built-in world, which
// 'init --sandbox' reads when no --region is given.
var sandboxRegions = []string{"us-east-1", "eu-west-1"}

// sandboxRunnerRole is the role the sandbox's member accounts let its
// management account assume.
const sandboxRunnerRole = "FlowplanRunner"

type initArgs struct {
	spec         specFlag
	backend      backendFlags
	name         string
	accounts     stringList
	regions      stringList
	assumeRole   string
	organization bool
}

func setupInit(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	a := &initArgs{}
	a.spec.define(fs)
	a.backend.defineExcept(fs, "region")
	fs.StringVar(&a.name, "name", "flowplan", "the spec's `name`, recorded in the flowplan:spec tag of what it adopts")
	fs.Var(&a.accounts, "account", "read this account `ID` (repeatable, or comma-separated)")
	fs.Var(&a.regions, "region", "read this `region` (repeatable, or comma-separated); the first is also the home region")
	fs.StringVar(&a.assumeRole, "assume-role", "", "assume this role `name` in each account (default: the current credentials; FlowplanRunner with --sandbox)")
	fs.BoolVar(&a.organization, "organization", false, "read every active account of the AWS organization")
	return a.run
}

func (a *initArgs) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return &usageError{cmd: "init", msg: fmt.Sprintf("unexpected argument %q (the file to write is given with -f)", args[0])}
	}
	if a.name == "" || spec.CheckName(a.name) != "" {
		return &usageError{cmd: "init", msg: fmt.Sprintf("--name %q: %s", a.name, spec.CheckName(a.name))}
	}
	out := a.spec.path
	if out != "-" {
		if _, err := os.Lstat(out); err == nil {
			return fmt.Errorf("%s exists; flowplan init never overwrites a file: remove it, or write elsewhere with -f", out)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("init: %w", err)
		}
	}
	regions := splitList(a.regions)
	accounts := splitList(a.accounts)
	assumeRole := a.assumeRole
	source := "--account"
	switch {
	case a.backend.sandbox && len(accounts) == 0 && !a.organization:
		a.organization = true
		if assumeRole == "" {
			assumeRole = sandboxRunnerRole
		}
		if len(regions) == 0 {
			regions = sandboxRegions
		}
	case len(accounts) == 0 && !a.organization:
		return &usageError{cmd: "init", msg: "init needs the accounts to read: --account ID (repeatable), or --organization"}
	}
	if a.organization {
		source = "the organization"
		if len(accounts) > 0 {
			source = "--account and the organization"
		}
	}
	if len(regions) == 0 {
		return &usageError{cmd: "init", msg: "init needs the regions to read: --region NAME (repeatable)"}
	}
	for _, r := range regions[1:] {
		// The first is checked as the home region when the backend opens.
		warnRegion(e, r)
	}
	a.backend.region = regions[0]
	s := &spec.Spec{Name: a.name}
	for _, id := range accounts {
		acct := spec.Account{ID: id, Regions: regions}
		if assumeRole != "" {
			acct.AssumeRole = arn.Role(arn.Partition(regions[0]), id, "/", assumeRole)
		}
		s.Accounts = append(s.Accounts, acct)
	}
	if a.organization {
		s.Organization = &spec.Organization{AssumeRoleName: assumeRole, Regions: regions}
		if assumeRole == "" {
			return &usageError{cmd: "init", msg: "--organization needs --assume-role NAME: the role flowplan assumes in each member account"}
		}
	}
	if msg := checkAccounts(accounts); msg != "" {
		return &usageError{cmd: "init", msg: msg}
	}
	b, err := a.backend.open(ctx, e, s)
	if err != nil {
		return err
	}
	defer b.close()
	b.startDiscovery()
	inv, err := starter.Discover(ctx, b.provider, s, a.backend.parallelism)
	b.progressDone()
	if err != nil {
		return err
	}
	file := out
	if file == "-" {
		file = defaultSpec
	}
	res, err := starter.Write(inv, starter.Options{Name: a.name, File: file, Source: source})
	if err != nil {
		return err
	}
	if out == "-" {
		_, err := e.Stdout.Write(res.YAML)
		return err
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists; flowplan init never overwrites a file: remove it, or write elsewhere with -f", out)
		}
		return fmt.Errorf("init: %w", err)
	}
	if _, err := f.Write(res.YAML); err != nil {
		f.Close()
		return fmt.Errorf("init: write %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("init: write %s: %w", out, err)
	}
	fmt.Fprintf(e.Stdout, "Wrote %s: %d rule(s) describing %d existing flow log(s) in %d account(s).\n", out, res.Rules, res.Described, len(inv.Accounts))
	if n := len(res.Left) + len(inv.Errors); n > 0 {
		fmt.Fprintf(e.Stdout, "%d flow log(s) or scope(s) are not described; the file's header says which and why.\n", n)
	}
	next := "flowplan plan -f " + out
	if a.backend.sandbox {
		next = "flowplan plan --sandbox -f " + out
	}
	fmt.Fprintf(e.Stdout, "Next: %s  (it should adopt them and create nothing)\n", next)
	return nil
}

// splitList splits repeatable, comma-separated flag values.
func splitList(l stringList) []string {
	var out []string
	for _, v := range l {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// checkAccounts checks --account values are account IDs.
func checkAccounts(ids []string) string {
	for _, id := range ids {
		if len(id) != 12 || strings.Trim(id, "0123456789") != "" {
			return fmt.Sprintf("--account %q: an account ID is 12 digits", id)
		}
	}
	return ""
}
