package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/awsregions"
	awsprovider "github.com/flowplan/flowplan/providers/aws"
	"github.com/flowplan/flowplan/render"
	"github.com/flowplan/flowplan/spec"
)

// backendFlags choose and tune what flowplan talks to: AWS through the
// standard credential chain, or the embedded sandbox.
type backendFlags struct {
	cmd         string
	sandbox     bool
	profile     string
	region      string
	parallelism int
	logLevel    string
	logFormat   string
	noProgress  bool
}

func (b *backendFlags) define(fs *flag.FlagSet) { b.defineExcept(fs) }

// defineExcept defines the flags but those named in skip, which the
// command defines its own way (init's --region lists the regions to read).
func (b *backendFlags) defineExcept(fs *flag.FlagSet, skip ...string) {
	b.cmd = fs.Name()
	fs.BoolVar(&b.sandbox, "sandbox", false, "run against the embedded AWS sandbox (state in "+sandboxStatePath+")")
	fs.StringVar(&b.profile, "profile", "", "AWS shared config `profile` (default: the standard credential chain)")
	if !slices.Contains(skip, "region") {
		fs.StringVar(&b.region, "region", "", "home `region` for STS and Organizations calls (default: from the AWS config, else us-east-1)")
	}
	fs.IntVar(&b.parallelism, "parallelism", engine.DefaultParallelism, "how many account-regions to work on at once (each is paced at AWS's rates for it)")
	choiceVar(fs, &b.logLevel, "log-level", "warn", "log `level` on stderr (debug logs every AWS call)", "debug", "info", "warn", "error")
	choiceVar(fs, &b.logFormat, "log-format", "text", "log `format`: text, or json for one object a line", "text", "json")
	fs.BoolVar(&b.noProgress, "no-progress", false, "do not show progress on stderr")
}

// backend is an opened provider with what must be closed after it.
type backend struct {
	provider engine.Provider
	progress *render.Progress
	closers  []func() error
	flags    *backendFlags
	env      *env
}

// open builds the provider for spec s.
func (b *backendFlags) open(ctx context.Context, e *env, s *spec.Spec) (*backend, error) {
	if b.parallelism < 1 {
		return nil, &usageError{cmd: b.cmd, msg: fmt.Sprintf("--parallelism must be at least 1, got %d", b.parallelism)}
	}
	if b.region != "" {
		warnRegion(e, b.region)
	}
	out := &backend{flags: b, env: e}
	logs := e.Stderr
	if !b.noProgress {
		opts := render.ProgressOptions{Terminal: e.stderrTTY}
		if e.stderrTTY {
			opts.Width = terminalWidth(e.Stderr)
			ticker := time.NewTicker(time.Second)
			out.closers = append(out.closers, func() error { ticker.Stop(); return nil })
			opts.Tick = ticker.C
		}
		out.progress = render.NewProgress(e.Stderr, opts)
		// Log lines go through the progress display, which clears its
		// status line before each one and draws it again after.
		logs = out.progress.LogWriter()
	}
	logger, err := b.newLogger(logs)
	if err != nil {
		out.close()
		return nil, err
	}
	opts := awsprovider.Options{
		Profile:     b.profile,
		Region:      b.region,
		Logger:      logger,
		Reporter:    out.reporter(),
		SessionName: awsprovider.SessionName(s.Name),
	}
	if b.sandbox {
		if b.profile != "" {
			return nil, &usageError{cmd: b.cmd, msg: "--profile cannot be used with --sandbox"}
		}
		sb, err := openSandbox(ctx, e)
		if err != nil {
			return nil, err
		}
		out.closers = append(out.closers, sb.close)
		sb.configure(&opts)
	}
	p, err := awsprovider.New(ctx, opts)
	if err != nil {
		out.close()
		return nil, err
	}
	if err := p.CheckCredentials(ctx); err != nil {
		out.close()
		return nil, fmt.Errorf("%w\n"+
			"flowplan uses the standard AWS credential chain: environment variables, --profile or AWS_PROFILE\n"+
			"(for SSO, run 'aws sso login' first), or an instance or container role.\n"+
			"To try flowplan without AWS, use the sandbox: flowplan plan --sandbox -f examples/quickstart.yaml", err)
	}
	out.provider = p
	return out, nil
}

func (b *backend) reporter() engine.Reporter {
	if b.progress == nil {
		return nil
	}
	return b.progress
}

// engineOptions are the engine options the flags ask for.
func (b *backend) engineOptions(targets []string) engine.Options {
	return engine.Options{
		Parallelism: b.flags.parallelism,
		Targets:     targets,
		Reporter:    b.reporter(),
	}
}

// startPhase starts counting a phase of work on the progress display.
// total is the number of units when known, else 0.
func (b *backend) startPhase(name string, total int, unit string, done engine.EventType) {
	if b.progress != nil {
		b.progress.Start(render.Phase{Name: name, Total: total, Unit: unit, Done: done})
	}
}

// startDiscovery starts the discovery phase.
func (b *backend) startDiscovery() {
	b.startPhase("discovering", 0, "scopes", engine.EventScopeDone)
}

// progressDone ends the current phase so that output that follows is not
// interleaved with the status line.
func (b *backend) progressDone() {
	if b.progress != nil {
		b.progress.End()
	}
}

// close releases the backend; for the sandbox it saves the state.
func (b *backend) close() {
	if b.progress != nil {
		b.progress.Close()
	}
	for i := len(b.closers) - 1; i >= 0; i-- {
		if err := b.closers[i](); err != nil {
			fmt.Fprintf(b.env.Stderr, "Error: %v\n", err)
		}
	}
	b.closers = nil
}

// newLogger builds the logger the flags ask for, writing to w with one of
// log/slog's handlers: text (key=value) or JSON (one object a line).
func (b *backendFlags) newLogger(w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToLower(b.logLevel))); err != nil {
		return nil, &usageError{cmd: b.cmd, msg: fmt.Sprintf("--log-level %q: use debug, info, warn or error", b.logLevel)}
	}
	opts := &slog.HandlerOptions{Level: l}
	switch strings.ToLower(b.logFormat) {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, &usageError{cmd: b.cmd, msg: fmt.Sprintf("--log-format %q: use text or json", b.logFormat)}
}

// warnRegion warns, on stderr, about a --region of the right shape that the
// AWS SDK does not know (internal/awsregions), and goes on: the region may
// be newer than this build, and AWS has the last word.
func warnRegion(e *env, region string) {
	if msg := awsregions.Unknown(region); msg != "" {
		if !strings.HasSuffix(msg, "?") {
			msg += "."
		}
		fmt.Fprintf(e.Stderr, "Warning: --region %s: %s Going on with it; AWS has the last word.\n", region, msg)
	}
}
