package tfharness

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestCheckMirror(t *testing.T) {
	platform := runtime.GOOS + "_" + runtime.GOARCH
	unpacked := t.TempDir()
	if err := os.MkdirAll(filepath.Join(unpacked, providerSource, ProviderVersion, platform), 0o755); err != nil {
		t.Fatal(err)
	}
	packed := t.TempDir()
	if err := os.MkdirAll(filepath.Join(packed, providerSource), 0o755); err != nil {
		t.Fatal(err)
	}
	zip := filepath.Join(packed, providerSource, "terraform-provider-aws_"+ProviderVersion+"_"+platform+".zip")
	if err := os.WriteFile(zip, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{unpacked, packed} {
		if err := checkMirror(dir); err != nil {
			t.Errorf("checkMirror(%s): %v", dir, err)
		}
	}
	err := checkMirror(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "no hashicorp/aws "+ProviderVersion) || !strings.Contains(err.Error(), MirrorEnv) {
		t.Errorf("checkMirror of an empty directory: %v", err)
	}
}

func TestCLIConfig(t *testing.T) {
	s := &Setup{Mirror: "/opt/tf-plugins"}
	want := `provider_installation {
  filesystem_mirror {
    path    = "/opt/tf-plugins"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
plugin_cache_dir = "/tmp/cache"
`
	if got := s.CLIConfig("/tmp/cache"); got != want {
		t.Errorf("CLIConfig:\n%s\nwant:\n%s", got, want)
	}
	if got := s.CLIConfig(""); strings.Contains(got, "plugin_cache_dir") {
		t.Errorf("CLIConfig without a cache names one:\n%s", got)
	}
}

func TestEnv(t *testing.T) {
	dir := t.TempDir()
	env, err := (&Setup{Mirror: "/m"}).Env(dir)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	if vars["CHECKPOINT_DISABLE"] != "1" || vars["TF_INPUT"] != "0" {
		t.Errorf("env %v: the upgrade check or prompts are on", env)
	}
	b, err := os.ReadFile(vars["TF_CLI_CONFIG_FILE"])
	if err != nil || !strings.Contains(string(b), `plugin_cache_dir = "`+filepath.Join(dir, "plugin-cache")+`"`) {
		t.Errorf("CLI configuration %s: %q, %v", vars["TF_CLI_CONFIG_FILE"], b, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "plugin-cache")); err != nil || !fi.IsDir() {
		t.Errorf("plugin cache: %v", err)
	}
}
