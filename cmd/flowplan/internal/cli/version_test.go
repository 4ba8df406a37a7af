package cli

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// The release stamps the version with -ldflags -X on this package's
// version variable; 'flowplan version' shows it.
func TestVersionShowsTheStampedVersion(t *testing.T) {
	old := version
	t.Cleanup(func() { version = old })
	version = "v1.2.3"
	code, stdout, _ := runCLI(t, "version")
	if code != ExitOK || !strings.HasPrefix(stdout, "flowplan v1.2.3\n") {
		t.Errorf("exit %d, stdout %q; want it to start with flowplan v1.2.3", code, stdout)
	}
}

// The release script stamps the variable above by its full name, and
// builds static binaries for every platform the README promises.
func TestReleaseScriptStampsThisVariable(t *testing.T) {
	script, err := os.ReadFile("../../../../.github/scripts/build-release.sh")
	if err != nil {
		t.Fatal(err)
	}
	pkg := reflect.TypeOf(env{}).PkgPath()
	for _, want := range []string{
		"-X " + pkg + ".version=${version}",
		"CGO_ENABLED=0",
		"linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64",
		"sha256sum",
	} {
		if !strings.Contains(string(script), want) {
			t.Errorf("build-release.sh lacks %q", want)
		}
	}
	workflow, err := os.ReadFile("../../../../.github/workflows/release.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(workflow), ".github/scripts/build-release.sh") {
		t.Error("release.yml does not run build-release.sh")
	}
}
