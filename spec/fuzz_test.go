package spec

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, and that whenever it fails it
// returns positioned problems, one line each, sorted by position. Its seed
// corpus is testdata/fuzz/FuzzParse plus every example and testdata spec, so
// plain `go test` runs them all.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"../examples/*.yaml", "testdata/valid/*.yaml", "testdata/invalid/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err == nil {
			if s == nil || s.File != "fuzz.yaml" || len(s.Rules) == 0 {
				t.Fatalf("Parse succeeded with %+v", s)
			}
			_ = Summary(s)
			return
		}
		var es Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Fatalf("Parse error %v (%T) is not a non-empty Errors", err, err)
		}
		for _, e := range es {
			if e.File != "fuzz.yaml" || e.Line < 1 || e.Column < 1 || e.Message == "" || strings.Contains(e.Message, "\n") {
				t.Fatalf("badly positioned problem %#v", e)
			}
		}
		if !slices.IsSortedFunc(es, func(a, b *Error) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Column - b.Column
		}) {
			t.Fatalf("problems are not sorted by position:\n%v", err)
		}
		if got := strings.Count(err.Error(), "\n") + 1; got != len(es) {
			t.Fatalf("Error() has %d lines for %d problems", got, len(es))
		}
	})
}
