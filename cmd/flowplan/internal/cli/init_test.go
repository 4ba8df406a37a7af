package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// init checks what it was asked before it reads anything from AWS: these
// fail without credentials, at once.
func TestInitRefusesBeforeReadingAWS(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "flowplan.yaml")
	if err := os.WriteFile(existing, []byte("mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--region", "us-east-1"}, "init needs the accounts to read: --account ID (repeatable), or --organization"},
		{[]string{"--account", "111111111111"}, "init needs the regions to read: --region NAME (repeatable)"},
		{[]string{"--account", "1111", "--region", "us-east-1"}, `--account "1111": an account ID is 12 digits`},
		{[]string{"--organization", "--region", "us-east-1"}, "--organization needs --assume-role NAME"},
		{[]string{"--account", "111111111111", "--region", "us-east-1", "--name", "Bad_Name"}, `--name "Bad_Name": `},
		{[]string{"--account", "111111111111", "--region", "us-east-1", "-f", existing}, existing + " exists; flowplan init never overwrites a file"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runEnv(t, nil, append([]string{"init", "--no-progress"}, tt.args...)...)
		if code != ExitError || !strings.Contains(stderr, tt.want) || stdout != "" {
			t.Errorf("init %v: exit %d, stdout %q, stderr %q; want exit 1 and %q", tt.args, code, stdout, stderr, tt.want)
		}
	}
	if b, _ := os.ReadFile(existing); string(b) != "mine\n" {
		t.Errorf("init changed an existing file: %q", b)
	}
}
