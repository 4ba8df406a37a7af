package render

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowplan/flowplan/engine"
)

// FuzzPlanFile renders whatever engine.ReadPlan accepts from a plan file,
// as `flowplan show` does, in every format: no input may panic. The seeds
// are the JSON goldens, which a saved-plan reader accepts, and changes of
// every kind and action without their resources.
func FuzzPlanFile(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json.golden")
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
	// Changes without the resources their action needs, of every kind.
	for _, kind := range engine.Kinds {
		for _, action := range engine.Actions {
			f.Add([]byte(`{"format_version":"1.0","changes":[{"address":{"account":"1","region":"r","kind":"` + string(kind) +
				`","name":"n"},"action":"` + string(action) + `","diffs":[{"attr":"a"}],"depends_on":[{}]}],"notes":[{"kind":"conflict"}],"errors":[{}]}`))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := engine.ReadPlan(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, format := range Formats {
			for _, color := range []bool{false, true} {
				if err := Plan(io.Discard, p, format, Options{Color: color, MarkdownLimit: 4096}); err != nil {
					t.Fatalf("render %s: %v", format, err)
				}
			}
		}
	})
}
