package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/render"
	"github.com/flowplan/flowplan/spec"
)

// auditArgs are the flags of `flowplan audit`: read-only, exit 0, or 1
// when coverage is below --fail-under or something failed.
type auditArgs struct {
	spec      specFlag
	backend   backendFlags
	targets   stringList
	format    string
	outFile   string
	failUnder string
	evidence  bool
	maxAge    time.Duration
	allVPCs   bool
	noColor   bool
	maxChars  int
	shard     shardFlag
	merge     bool
}

func setupAudit(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	a := &auditArgs{}
	a.spec.define(fs)
	a.backend.define(fs)
	fs.Var(&a.targets, "target", "limit the audit to units whose address has this `prefix` (repeatable)")
	names := make([]string, len(render.AuditFormats))
	for i, f := range render.AuditFormats {
		names[i] = string(f)
	}
	choiceVar(fs, &a.format, "format", string(render.AuditText), "report `format`", names...)
	fs.StringVar(&a.outFile, "out", "", "write the report to `file` instead of standard output, which then gets the summary line")
	fs.StringVar(&a.failUnder, "fail-under", "", "exit 1 when overall coverage is below `percent` (0-100)")
	fs.BoolVar(&a.evidence, "evidence", false, "read each destination's newest records: proof that logs arrive")
	fs.DurationVar(&a.maxAge, "max-age", engine.DefaultMaxAge, "with --evidence, a compliant target whose newest record is older than `duration` is stale")
	fs.BoolVar(&a.allVPCs, "all-vpcs", false, "also hold every VPC in the spec's account-regions to Security Hub's EC2.6, as units of rule (all-vpcs)")
	fs.BoolVar(&a.noColor, "no-color", false, "never colour the output (NO_COLOR is honoured too)")
	fs.IntVar(&a.maxChars, "max-chars", render.DefaultMarkdownLimit, "keep markdown output under `N` characters, cutting findings, never the summary")
	a.shard.define(fs)
	fs.BoolVar(&a.merge, "merge", false, "combine the JSON audits of shards (audit --shard K/N --format json --out FILE), given as arguments, into one report; no AWS call")
	return a.run
}

// callerIdentity is what the AWS provider says of the credentials.
type callerIdentity interface {
	CallerIdentity(ctx context.Context) (arn, account, userID string, err error)
}

func (a *auditArgs) run(ctx context.Context, e *env, args []string) error {
	cmd := a.backend.cmd
	if a.merge {
		return a.runMerge(e, args)
	}
	if len(args) > 0 {
		return &usageError{cmd: cmd, msg: fmt.Sprintf("unexpected argument %q (the spec is given with -f; audit --merge takes files)", args[0])}
	}
	format, err := render.ParseAuditFormat(a.format)
	if err != nil {
		return &usageError{cmd: cmd, msg: err.Error()}
	}
	shard, err := a.shard.resolve(cmd, e)
	if err != nil {
		return err
	}
	if _, _, err := parsePercent(a.failUnder); err != nil {
		return &usageError{cmd: cmd, msg: "--fail-under: " + err.Error()}
	}
	if a.maxAge <= 0 {
		return &usageError{cmd: cmd, msg: fmt.Sprintf("--max-age must be positive, got %s", a.maxAge)}
	}
	if a.maxAge != engine.DefaultMaxAge && !a.evidence {
		return &usageError{cmd: cmd, msg: "--max-age needs --evidence: without it no record is read"}
	}
	if a.maxChars < render.MinMarkdownLimit {
		return &usageError{cmd: cmd, msg: fmt.Sprintf("--max-chars %d is too small: markdown output needs at least %d characters", a.maxChars, render.MinMarkdownLimit)}
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
	opts := b.engineOptions(nil)
	opts.Shard = shard
	if a.allVPCs {
		opts.AlsoRead = append(opts.AlsoRead, spec.TargetVPC)
	}
	if a.evidence {
		// Log streams are per network interface: reading them all
		// attributes each stream to its VPC and subnet.
		opts.AlsoRead = append(opts.AlsoRead, spec.TargetNetworkInterface)
	}
	b.startDiscovery()
	sv, err := engine.MakeSurvey(ctx, b.provider, s, opts)
	b.progressDone()
	if err != nil {
		return err
	}
	audit, err := engine.MakeAudit(s, sv, engine.AuditOptions{AllVPCs: a.allVPCs, Targets: a.targets})
	if err != nil {
		return err
	}
	if a.evidence {
		r, ok := b.provider.(engine.DeliveryReader)
		if !ok {
			return fmt.Errorf("audit --evidence: this backend cannot read deliveries")
		}
		b.startPhase("reading evidence", 0, "calls", engine.EventCall)
		engine.CollectEvidence(ctx, r, audit, sv.Current, engine.EvidenceOptions{MaxAge: a.maxAge, Now: time.Now(), Parallelism: a.backend.parallelism})
		b.progressDone()
	}
	at, err := reportTime(e)
	if err != nil {
		return err
	}
	hdr := render.AuditHeader{GeneratedAt: at, Version: versionString()}
	if ci, ok := b.provider.(callerIdentity); ok {
		arn, account, userID, err := ci.CallerIdentity(ctx)
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		hdr.Caller = render.Caller{ARN: arn, Account: account, UserID: userID}
	}
	if err := a.report(e, audit, hdr, format); err != nil {
		return err
	}
	return a.failBelow(audit)
}

// report writes the audit to stdout, or to --out with the summary line on
// stdout.
func (a *auditArgs) report(e *env, audit *engine.Audit, hdr render.AuditHeader, format render.AuditFormat) error {
	ropts := render.Options{Color: a.outFile == "" && e.useColor(e.Stdout, a.noColor), MarkdownLimit: a.maxChars, MarkerKind: render.MarkerAudit}
	if a.outFile == "" {
		if err := render.Audit(e.Stdout, audit, hdr, format, ropts); err != nil {
			return err
		}
	} else {
		if err := writeAuditFile(a.outFile, audit, hdr, format, ropts); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "%s\nWrote the %s report to %s.\n", render.AuditSummaryLine(audit), format, a.outFile)
	}
	return nil
}

// failBelow is --fail-under's exit: 1 when coverage is below it.
func (a *auditArgs) failBelow(audit *engine.Audit) error {
	failUnder, hasFailUnder, err := parsePercent(a.failUnder)
	if err != nil {
		return &usageError{cmd: a.backend.cmd, msg: "--fail-under: " + err.Error()}
	}
	if hasFailUnder && audit.Summary.Below(failUnder) {
		c := audit.Summary
		got := "n/a (no targets)"
		if p, ok := c.CoveragePercent(); ok {
			got = strconv.FormatFloat(p, 'f', 1, 64) + "%"
		}
		return &exitError{code: ExitError, err: fmt.Errorf("coverage %s is below --fail-under %s%%", got, strconv.FormatFloat(failUnder, 'f', -1, 64))}
	}
	return nil
}

// parsePercent parses --fail-under: a number from 0 to 100, with an
// optional "%".
func parsePercent(s string) (float64, bool, error) {
	if s == "" {
		return 0, false, nil
	}
	p, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || p < 0 || p > 100 {
		return 0, false, fmt.Errorf("%q is not a percentage from 0 to 100", s)
	}
	return p, true, nil
}

// writeAuditFile writes the report to path, atomically, readable by its
// owner and group only: an audit names accounts and resources.
func writeAuditFile(path string, a *engine.Audit, hdr render.AuditHeader, f render.AuditFormat, opts render.Options) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".flowplan-audit-*")
	if err != nil {
		return fmt.Errorf("write audit report %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o640); err != nil {
		return fmt.Errorf("write audit report %s: %w", path, err)
	}
	if err := render.Audit(tmp, a, hdr, f, opts); err != nil {
		return fmt.Errorf("write audit report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write audit report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write audit report %s: %w", path, err)
	}
	return nil
}

// runMerge is audit --merge: the shards' JSON audits combined by
// engine.MergeAudits, with every count worked out again from the units,
// rendered in any audit format. The merged report is dated by its oldest
// part and names the caller of the lowest shard merged. --fail-under
// applies to the merged coverage.
func (a *auditArgs) runMerge(e *env, args []string) error {
	cmd := a.backend.cmd
	if len(args) == 0 {
		return &usageError{cmd: cmd, msg: "audit --merge needs the shards' JSON audit files (audit --shard K/N --format json --out FILE)"}
	}
	var conflicting []string
	if a.spec.set {
		conflicting = append(conflicting, "-f")
	}
	if a.shard.value != "" {
		conflicting = append(conflicting, "--shard")
	}
	if a.evidence {
		conflicting = append(conflicting, "--evidence")
	}
	if a.allVPCs {
		conflicting = append(conflicting, "--all-vpcs")
	}
	if len(a.targets) > 0 {
		conflicting = append(conflicting, "--target")
	}
	if a.backend.sandbox {
		conflicting = append(conflicting, "--sandbox")
	}
	if len(conflicting) > 0 {
		return &usageError{cmd: cmd, msg: fmt.Sprintf("audit --merge reads the shards' files only; %s cannot be used with it (give them to each shard's audit)", strings.Join(conflicting, ", "))}
	}
	format, err := render.ParseAuditFormat(a.format)
	if err != nil {
		return &usageError{cmd: cmd, msg: err.Error()}
	}
	if _, _, err := parsePercent(a.failUnder); err != nil {
		return &usageError{cmd: cmd, msg: "--fail-under: " + err.Error()}
	}
	if a.maxChars < render.MinMarkdownLimit {
		return &usageError{cmd: cmd, msg: fmt.Sprintf("--max-chars %d is too small: markdown output needs at least %d characters", a.maxChars, render.MinMarkdownLimit)}
	}
	audits := make([]*engine.Audit, len(args))
	headers := make([]render.AuditHeader, len(args))
	for i, path := range args {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("read audit %s: %w", path, err)
		}
		audits[i], headers[i], err = render.ReadAudit(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("read audit %s: %w", path, err)
		}
	}
	merged, err := engine.MergeAudits(args, audits)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	hdr := render.AuditHeader{Version: versionString()}
	lowest := -1
	for i, h := range headers {
		if hdr.GeneratedAt.IsZero() || h.GeneratedAt.Before(hdr.GeneratedAt) {
			hdr.GeneratedAt = h.GeneratedAt
		}
		if lowest < 0 || audits[i].Shard.Index < audits[lowest].Shard.Index {
			lowest = i
		}
	}
	hdr.Caller = headers[lowest].Caller
	if err := a.report(e, merged, hdr, format); err != nil {
		return err
	}
	warnMissingShards(e, merged.Merged)
	return a.failBelow(merged)
}
