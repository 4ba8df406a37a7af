// Package tfharness finds Terraform and the local mirror of its AWS provider, and runs Terraform in tests against a local AWS endpoint.
//
// Nothing is downloaded: Terraform must be on PATH, and the hashicorp/aws
// provider (ProviderVersion) must be in a filesystem mirror, by default
// /opt/tf-plugins, or the directory FLOWPLAN_TF_MIRROR names. Tests call
// Require, which skips when either is missing, or fails under
// FLOWPLAN_REQUIRE_E2E=1 (CI).
package tfharness

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowplan/flowplan/internal/motoserver"
)

// ProviderVersion is the hashicorp/aws version the test configurations pin.
const ProviderVersion = "5.100.0"

// MirrorEnv names the environment variable that overrides DefaultMirror.
const MirrorEnv = "FLOWPLAN_TF_MIRROR"

// DefaultMirror is where these machines keep the provider mirror.
const DefaultMirror = "/opt/tf-plugins"

// providerSource is the provider's address in the mirror.
const providerSource = "registry.terraform.io/hashicorp/aws"

// Setup is a Terraform and a provider mirror that were found.
type Setup struct {
	// Terraform is the path of the terraform binary.
	Terraform string
	// Version is what `terraform version` reports, such as 1.11.4.
	Version string
	// Mirror is the filesystem mirror's root directory.
	Mirror string
}

// Find locates terraform on PATH and the provider in the mirror, and says
// what is missing when it cannot.
func Find() (*Setup, error) {
	bin, err := exec.LookPath("terraform")
	if err != nil {
		return nil, errors.New("terraform is not on PATH")
	}
	mirror := os.Getenv(MirrorEnv)
	if mirror == "" {
		mirror = DefaultMirror
	}
	if err := checkMirror(mirror); err != nil {
		return nil, err
	}
	out, err := exec.Command(bin, "version", "-json").Output()
	if err != nil {
		return nil, fmt.Errorf("terraform version: %v", err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil || v.Version == "" {
		return nil, fmt.Errorf("terraform version -json printed %q, not a version", out)
	}
	return &Setup{Terraform: bin, Version: v.Version, Mirror: mirror}, nil
}

// checkMirror accepts the unpacked layout (a directory per platform) and
// the packed one (a zip per platform), as Terraform's filesystem_mirror does.
func checkMirror(mirror string) error {
	platform := runtime.GOOS + "_" + runtime.GOARCH
	unpacked := filepath.Join(mirror, providerSource, ProviderVersion, platform)
	packed := filepath.Join(mirror, providerSource, "terraform-provider-aws_"+ProviderVersion+"_"+platform+".zip")
	for _, p := range []string{unpacked, packed} {
		if _, err := os.Stat(p); err == nil {
			return nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("provider mirror: %v", err)
		}
	}
	return fmt.Errorf("the provider mirror has no hashicorp/aws %s for %s (looked for %s; set %s to another mirror)",
		ProviderVersion, platform, unpacked, MirrorEnv)
}

var (
	findOnce sync.Once
	found    *Setup
	findErr  error
)

// Require returns the Setup, or skips the test saying what is missing; with
// FLOWPLAN_REQUIRE_E2E=1 it fails it instead.
func Require(t testing.TB) *Setup {
	t.Helper()
	findOnce.Do(func() { found, findErr = Find() })
	if findErr == nil {
		return found
	}
	if motoserver.Required() {
		t.Fatalf("Terraform is required (FLOWPLAN_REQUIRE_E2E=1): %v", findErr)
	}
	t.Skipf("SKIPPING: this test needs Terraform and the hashicorp/aws %s provider mirror: %v", ProviderVersion, findErr)
	return nil
}

// CLIConfig is the Terraform CLI configuration that installs hashicorp/aws
// from the mirror only, and everything else (nothing, in these tests) as
// usual. pluginCache, when not empty, is a plugin cache directory: with an
// unpacked mirror Terraform only links to the mirror, with a packed one it
// unpacks each provider once per cache instead of once per working
// directory. Terraform does not promise that concurrent inits may share a
// cache, so give each concurrently running user its own.
func (s *Setup) CLIConfig(pluginCache string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [%q]\n  }\n", s.Mirror, providerSource)
	fmt.Fprintf(&b, "  direct {\n    exclude = [%q]\n  }\n}\n", providerSource)
	if pluginCache != "" {
		fmt.Fprintf(&b, "plugin_cache_dir = %q\n", pluginCache)
	}
	return b.String()
}

// Env writes the CLI configuration into dir (with a plugin cache beside it)
// and returns the environment Terraform needs: the configuration, no
// upgrade check (it would reach for the network), no prompts, and no AWS
// settings of the developer's (a HOME without them).
func (s *Setup) Env(dir string) ([]string, error) {
	cache := filepath.Join(dir, "plugin-cache")
	home := filepath.Join(dir, "home")
	for _, d := range []string{cache, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	config := filepath.Join(dir, "terraform.tfrc")
	if err := os.WriteFile(config, []byte(s.CLIConfig(cache)), 0o644); err != nil {
		return nil, err
	}
	return []string{
		"TF_CLI_CONFIG_FILE=" + config,
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, ".aws", "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
	}, nil
}

// Workdir runs Terraform in one directory for a test.
type Workdir struct {
	t   testing.TB
	s   *Setup
	dir string
	env []string
}

// Workdir returns a runner for dir, with Env's settings (kept in a
// temporary directory of the test) and extra "KEY=VALUE" variables, such
// as TF_VAR_endpoint. The environment is built from nothing but PATH and
// TMPDIR, so nothing of the developer's leaks in.
func (s *Setup) Workdir(t testing.TB, dir string, extra ...string) *Workdir {
	t.Helper()
	env, err := s.Env(t.TempDir())
	if err != nil {
		t.Fatalf("tfharness: %v", err)
	}
	base := []string{"PATH=" + os.Getenv("PATH")}
	if tmp := os.Getenv("TMPDIR"); tmp != "" {
		base = append(base, "TMPDIR="+tmp)
	}
	return &Workdir{t: t, s: s, dir: dir, env: append(append(base, env...), extra...)}
}

// Run runs terraform with args and returns its combined output and exit
// code. It logs the command and how long it took.
func (w *Workdir) Run(args ...string) (string, int) {
	w.t.Helper()
	cmd := exec.Command(w.s.Terraform, args...)
	cmd.Dir = w.dir
	cmd.Env = w.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		w.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
	}
	w.t.Logf("terraform %s: exit %d in %s", strings.Join(args, " "), code, time.Since(start).Round(100*time.Millisecond))
	return out.String(), code
}

// Must runs terraform with args and fails the test, with Terraform's
// output, unless it exits with want.
func (w *Workdir) Must(want int, args ...string) string {
	w.t.Helper()
	out, code := w.Run(args...)
	if code != want {
		w.t.Fatalf("terraform %s exited %d, want %d:\n%s", strings.Join(args, " "), code, want, out)
	}
	return out
}
