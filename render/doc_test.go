package render

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flowplan/flowplan/engine"
	"github.com/google/go-cmp/cmp"
)

// docPath is the format's documentation; its examples are this package's
// output, checked here and rewritten with -update.
const docPath = "../docs/plan-json.md"

func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	// Real output: the doc world's plan, and the apply of its plan
	// without the discovery error (testdata/worlds/doc.txtar).
	var plan, result bytes.Buffer
	if err := Plan(&plan, realPlan(t, "doc"), JSON, Options{}); err != nil {
		t.Fatal(err)
	}
	res, applied := realResult(t, "doc")
	if err := Result(&result, res, applied, JSON, Options{}); err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, ex := range []struct{ name, want string }{{"plan", plan.String()}, {"result", result.String()}} {
		got, replaced, err := exampleBlock(text, ex.name, ex.want)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			text = replaced
			continue
		}
		if diff := cmp.Diff(ex.want, got); diff != "" {
			t.Errorf("%s example in %s is stale; run go test ./render -update (-want +got):\n%s", ex.name, docPath, diff)
		}
	}
	if *update {
		if err := os.WriteFile(docPath, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const driftDocPath = "../docs/drift-json.md"

// TestDriftDoc checks docs/drift-json.md against the output: its example
// is this package's output (rewritten with -update), and every field of the
// document has a row.
func TestDriftDoc(t *testing.T) {
	doc, err := os.ReadFile(driftDocPath)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Drift(&out, exampleDrift(), time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC), JSON, Options{}); err != nil {
		t.Fatal(err)
	}
	got, replaced, err := exampleBlock(string(doc), "drift", out.String())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(driftDocPath, []byte(replaced), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if diff := cmp.Diff(out.String(), got); diff != "" {
		t.Errorf("drift example in %s is stale; run go test ./render -update (-want +got):\n%s", driftDocPath, diff)
	}
	for _, typ := range []reflect.Type{reflect.TypeOf(DriftJSON{}), reflect.TypeOf(FindingJSON{}), reflect.TypeOf(DriftSummary{}), reflect.TypeOf(DriftScope{})} {
		for i := 0; i < typ.NumField(); i++ {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if !strings.Contains(string(doc), "`"+name+"`") {
				t.Errorf("%s does not document field %s of %s", driftDocPath, name, typ.Name())
			}
		}
	}
	for _, k := range engine.DriftKinds {
		if !strings.Contains(string(doc), "| `"+string(k)+"` |") {
			t.Errorf("%s does not document kind %s", driftDocPath, k)
		}
	}
}

// exampleBlock returns the ```json block after "<!-- example: name -->",
// and the document with that block's content replaced by repl.
func exampleBlock(doc, name, repl string) (block, replaced string, err error) {
	marker := "<!-- example: " + name + " -->\n```json\n"
	start := strings.Index(doc, marker)
	if start < 0 {
		return "", "", fmt.Errorf("%s has no %q example: want a ```json block after <!-- example: %s -->", docPath, name, name)
	}
	start += len(marker)
	end := strings.Index(doc[start:], "```\n")
	if end < 0 {
		return "", "", fmt.Errorf("%s: the %q example block does not end", docPath, name)
	}
	return doc[start : start+end], doc[:start] + repl + doc[start+end:], nil
}
