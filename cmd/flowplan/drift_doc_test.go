package main

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// TestDriftDocCoversRealOutput checks docs/drift-json.md against a real
// drift document: the JSON that drift-kinds.txtar compares with what
// flowplan prints on an emulator world drifted every way at once. Every
// key the document uses must be documented (as `key`), and every kind
// must occur in it, so the golden and the doc cannot drift apart.
// render's TestDriftDoc checks the doc's example and the Go types.
func TestDriftDocCoversRealOutput(t *testing.T) {
	doc, err := os.ReadFile("../../docs/drift-json.md")
	if err != nil {
		t.Fatal(err)
	}
	ar, err := txtar.ParseFile("testdata/script/drift-kinds.txtar")
	if err != nil {
		t.Fatal(err)
	}
	var golden []byte
	for _, f := range ar.Files {
		if f.Name == "all.json.golden" {
			golden = f.Data
		}
	}
	var v any
	if err := json.Unmarshal(golden, &v); err != nil {
		t.Fatalf("all.json.golden of drift-kinds.txtar is not a JSON document: %v", err)
	}
	keys := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				keys[k] = true
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	if len(keys) < 20 {
		t.Fatalf("the golden has only %d keys: %v", len(keys), keys)
	}
	var missing []string
	for k := range keys {
		if !strings.Contains(string(doc), "`"+k+"`") {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("docs/drift-json.md does not document %v, which flowplan drift writes", missing)
	}
	kinds := v.(map[string]any)["summary"].(map[string]any)["kinds"].(map[string]any)
	for k, n := range kinds {
		if n.(float64) == 0 {
			t.Errorf("kind %s does not occur in the golden: the drifted world must show every kind", k)
		}
	}
}
