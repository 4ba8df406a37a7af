package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/flowplan/flowplan/examples"
	awsprovider "github.com/flowplan/flowplan/providers/aws"
	"github.com/flowplan/flowplan/providers/awsemu"
)

// The sandbox keeps its state in the current directory, so that plan,
// apply, drift and serve run as separate commands see one world.
const (
	sandboxDir       = ".flowplan"
	sandboxStatePath = sandboxDir + "/sandbox.json"
	// sandboxAddrPath holds the address of a running 'sandbox serve'; while
	// it answers, --sandbox commands use it instead of their own in-process
	// emulator, so that both never write the state file at once.
	sandboxAddrPath = sandboxDir + "/serve.addr"
	// sandboxRegion is the home region of sandbox runs.
	sandboxRegion = "us-east-1"
	// sandboxIAMDelay is how long a new role is unusable in the sandbox: long
	// enough to show flowplan waiting for IAM, short enough for a demo.
	sandboxIAMDelay = 2 * time.Second
	// sandboxSaveInterval is how often 'sandbox serve' saves its state at
	// most: the writes of many calls go into one save of the file, and the
	// last ones are saved when the server stops.
	sandboxSaveInterval = 250 * time.Millisecond
)

// sandboxEndpoint is the endpoint the SDK is given for the in-process
// sandbox; requests never leave the process, so the host is only a label.
const sandboxEndpoint = "http://sandbox.flowplan.internal"

// sandbox is an emulator in this process, served on loopback by 'sandbox
// serve', or a connection to a running 'flowplan sandbox serve'.
type sandbox struct {
	emu    *awsemu.Emulator
	srv    *http.Server // set while serving on a socket
	url    string
	akid   string
	secret string
	// inProcess routes the SDK's requests straight to emu, without a socket.
	inProcess bool
}

// openSandbox starts the in-process sandbox, or finds a running server.
func openSandbox(ctx context.Context, e *env) (*sandbox, error) {
	if url, ok := runningServer(ctx); ok {
		emu := awsemu.New(awsemu.Options{})
		if err := emu.LoadStateFile(sandboxStatePath); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		akid, secret := emu.SandboxCredentials()
		fmt.Fprintf(e.Stderr, "Using the sandbox served at %s.\n", url)
		return &sandbox{emu: emu, url: url, akid: akid, secret: secret}, nil
	}
	emu := awsemu.New(awsemu.Options{IAMPropagationDelay: sandboxIAMDelay, AutoSavePath: sandboxStatePath})
	created, err := loadSandboxState(emu, "")
	if err != nil {
		return nil, err
	}
	if created {
		fmt.Fprintf(e.Stderr, "Created the sandbox from the built-in world in %s (reset it with 'flowplan sandbox reset').\n", sandboxStatePath)
	}
	sb := &sandbox{emu: emu, url: sandboxEndpoint, inProcess: true}
	sb.akid, sb.secret = emu.SandboxCredentials()
	return sb, nil
}

// loadSandboxState loads the saved state, or seeds it from worldPath (the
// built-in world when empty) on first use, and reports whether it did.
func loadSandboxState(emu *awsemu.Emulator, worldPath string) (created bool, err error) {
	err = emu.LoadStateFile(sandboxStatePath)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("sandbox: %w (remove it or run 'flowplan sandbox reset')", err)
	}
	// Seed with an emulator of its own: the world is the past, so its roles
	// have long propagated, whatever delay emu applies to new ones.
	if err := seedSandbox(awsemu.New(awsemu.Options{}), worldPath); err != nil {
		return false, err
	}
	return true, emu.LoadStateFile(sandboxStatePath)
}

// seedSandbox loads a world into emu and saves it as the sandbox state.
func seedSandbox(emu *awsemu.Emulator, worldPath string) error {
	if worldPath == "" {
		if err := emu.LoadWorld(bytes.NewReader(examples.SandboxWorld)); err != nil {
			return fmt.Errorf("sandbox: built-in world: %w", err)
		}
	} else if err := emu.LoadWorldFile(worldPath); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	return emu.SaveStateFile(sandboxStatePath)
}

func (sb *sandbox) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sandbox: listen on %s: %w", addr, err)
	}
	sb.url = "http://" + ln.Addr().String()
	sb.srv = &http.Server{Handler: sb.emu.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go sb.srv.Serve(ln)
	return nil
}

// configure points the AWS provider at the sandbox.
func (sb *sandbox) configure(o *awsprovider.Options) {
	o.EndpointURL = sb.url
	if sb.inProcess {
		o.HTTPClient = sb.emu.HTTPClient()
	}
	o.Credentials = credentials.NewStaticCredentialsProvider(sb.akid, sb.secret, "")
	if o.Region == "" {
		o.Region = sandboxRegion
	}
}

// close stops serving (letting the calls under way finish), stops the
// emulator's batched saves and saves the state, so that every change a
// client was told of is in the file; a connection to another process's
// server has nothing to close.
func (sb *sandbox) close() error {
	if sb.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		sb.srv.Shutdown(ctx)
		sb.srv = nil
	} else if !sb.inProcess {
		return nil
	}
	sb.inProcess = false
	if err := sb.emu.Close(); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	return sb.emu.SaveStateFile(sandboxStatePath)
}

// runningServer returns the URL of a running 'sandbox serve', if any.
func runningServer(ctx context.Context) (string, bool) {
	b, err := os.ReadFile(sandboxAddrPath)
	if err != nil {
		return "", false
	}
	url := strings.TrimSpace(string(b))
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/", nil)
	if err != nil {
		return "", false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", false
	}
	resp.Body.Close()
	return url, true
}

// sandboxSubcommands are the subcommands of 'flowplan sandbox'.
func sandboxSubcommands() []subcommand {
	return []subcommand{
		{"reset", "sandbox reset [--world FILE]", "start the sandbox over from the built-in world (or --world)", setupSandboxReset},
		{"serve", "sandbox serve [--addr HOST:PORT] [--world FILE] [--faults LIST] [--save-interval D]", "serve the sandbox to any AWS client until stopped", setupSandboxServe},
		{"bench", "sandbox bench [--accounts A] [--regions R] [--vpcs V] [--subnets S] [--destination s3|cloudwatch] [--latency 20ms] [--apply] [--format text|json] [--parallelism N]",
			"measure plan (and apply) on a generated organisation of any size, in memory (docs/bench.md)", setupSandboxBench},
	}
}

func setupSandbox(*flag.FlagSet) func(context.Context, *env, []string) error {
	return dispatch("sandbox", sandboxSubcommands())
}

func setupSandboxReset(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	world := fs.String("world", "", "seed from this world `file` instead of the built-in one")
	return func(_ context.Context, e *env, rest []string) error {
		if len(rest) > 0 {
			return &usageError{cmd: "sandbox reset", msg: fmt.Sprintf("unexpected argument %q", rest[0])}
		}
		return runSandboxReset(e, *world)
	}
}

func runSandboxReset(e *env, world string) error {
	if _, ok := runningServer(context.Background()); ok {
		return errors.New("a 'flowplan sandbox serve' is running on this sandbox; stop it before resetting")
	}
	if err := seedSandbox(awsemu.New(awsemu.Options{}), world); err != nil {
		return err
	}
	src := "the built-in world"
	if world != "" {
		src = world
	}
	fmt.Fprintf(e.Stdout, "Reset the sandbox in %s from %s.\n", sandboxStatePath, src)
	return nil
}

// serveArgs are the flags of 'sandbox serve'.
type serveArgs struct {
	addr, world  string
	iamDelay     time.Duration
	saveInterval time.Duration
	faults       faultsFlag
}

func setupSandboxServe(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	a := &serveArgs{}
	fs.StringVar(&a.addr, "addr", "127.0.0.1:4566", "listen `address`; loopback by default (the sandbox's keys are printed, not secret)")
	fs.StringVar(&a.world, "world", "", "when no sandbox state exists yet, seed it from this world `file`")
	fs.DurationVar(&a.iamDelay, "iam-delay", sandboxIAMDelay, "how long a new IAM role stays unusable")
	fs.DurationVar(&a.saveInterval, "save-interval", sandboxSaveInterval, "save the state file at most this often, with every change since the last save,\n"+
		"and when stopped by SIGINT or SIGTERM; 0 saves it after every change")
	fs.Var(&a.faults, "faults", "inject faults to rehearse failure: a `list` such as throttle=0.1,error=0.05,ghost=0.05,latency=20ms\n"+
		"(throttle, error, reset and ghost are probabilities per call; ghost loses the response of a write that was made;\n"+
		"throttle=aws uses AWS's token buckets; latency delays every call; seed=N repeats a run)")
	return func(ctx context.Context, e *env, rest []string) error {
		if len(rest) > 0 {
			return &usageError{cmd: "sandbox serve", msg: fmt.Sprintf("unexpected argument %q", rest[0])}
		}
		if a.saveInterval < 0 {
			return &usageError{cmd: "sandbox serve", msg: fmt.Sprintf("--save-interval %s is negative", a.saveInterval)}
		}
		return runSandboxServe(ctx, e, a)
	}
}

func runSandboxServe(ctx context.Context, e *env, a *serveArgs) error {
	if url, ok := runningServer(ctx); ok {
		return fmt.Errorf("a sandbox server is already running at %s", url)
	}
	emu := awsemu.New(awsemu.Options{IAMPropagationDelay: a.iamDelay, AutoSavePath: sandboxStatePath, AutoSaveInterval: a.saveInterval,
		Latency: a.faults.latency, Throttling: a.faults.buckets, RandomFaults: a.faults.random})
	if _, err := loadSandboxState(emu, a.world); err != nil {
		return err
	}
	akid, secret := emu.SandboxCredentials()
	sb := &sandbox{emu: emu}
	if err := sb.listen(a.addr); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(sandboxAddrPath), 0o700); err != nil {
		sb.close()
		return err
	}
	if err := os.WriteFile(sandboxAddrPath, []byte(sb.url+"\n"), 0o600); err != nil {
		sb.close()
		return err
	}
	defer os.Remove(sandboxAddrPath)
	fmt.Fprintf(e.Stdout, `The flowplan sandbox is serving AWS APIs at %[1]s (state: %[2]s).
Point any AWS client at it:

  export AWS_ENDPOINT_URL=%[1]s AWS_REGION=%[3]s AWS_DEFAULT_REGION=%[3]s
  export AWS_ACCESS_KEY_ID=%[4]s AWS_SECRET_ACCESS_KEY=%[5]s

'flowplan ... --sandbox' in this directory uses this server while it runs. Stop it with Ctrl-C.
`, sb.url, sandboxStatePath, sandboxRegion, akid, secret)
	if d := a.faults.describe(); d != "" {
		fmt.Fprintf(e.Stdout, "Injecting faults: %s.\n", d)
	}
	<-ctx.Done()
	fmt.Fprintln(e.Stdout, "Stopping the sandbox server.")
	return sb.close()
}
