package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeOutput marks a fenced block in README.md as the exact output of a
// flowplan command that makes no AWS call:
//
//	<!-- output of: flowplan athena -f examples/x.yaml -->
//	```sql
//	...
//	```
var readmeOutput = regexp.MustCompile("(?m)^<!-- output of: flowplan ([^>]*?) -->\n```[a-z]*\n((?s:.*?))```\n")

// TestREADMEOutputs runs each command README.md shows the output of, from
// the repository root, and compares: the README cannot show output that
// flowplan no longer prints. -update rewrites the blocks.
func TestREADMEOutputs(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	matches := readmeOutput.FindAllSubmatchIndex(readme, -1)
	if len(matches) == 0 {
		t.Fatal("README.md has no <!-- output of: flowplan ... --> block")
	}
	var out bytes.Buffer
	last := 0
	for _, m := range matches {
		cmdline, shown := string(readme[m[2]:m[3]]), string(readme[m[4]:m[5]])
		stdout, stderr, code := runFlowplan(t, root, nil, strings.Fields(cmdline)...)
		if code != 0 {
			t.Errorf("flowplan %s: exit %d\n%s", cmdline, code, stderr)
			continue
		}
		if stdout != shown && !*update {
			t.Errorf("README.md shows other output for flowplan %s than it prints (go test ./cmd/flowplan -run TestREADMEOutputs -update rewrites it):\n%s",
				cmdline, firstDifference(shown, stdout))
		}
		out.Write(readme[last:m[4]])
		out.WriteString(stdout)
		last = m[5]
	}
	out.Write(readme[last:])
	if *update && !bytes.Equal(out.Bytes(), readme) {
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// firstDifference describes the first line where want and got differ.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  README: %s\n  output: %s", i+1, wl, gl)
		}
	}
	return "(they differ only in line endings)"
}
