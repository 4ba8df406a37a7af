package spec

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/flowplan/flowplan/spec/logformat"
)

// This file proves that schema.json (for editors) and the Go validator agree:
// every example and valid spec passes both, and every structurally invalid
// spec (testdata/invalid/struct-*.yaml) fails both. Semantic problems, like
// a rule naming an unknown account, are the Go validator's alone.

const schemaPath = "../schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("compile schema.json: %v", err)
	}
	return sch
}

// schemaValidate validates YAML the way an editor does: decoded as plain
// data (aliases expanded), then checked against the schema. YAML that does
// not decode counts as rejected.
func schemaValidate(sch *jsonschema.Schema, data []byte) error {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return err
	}
	js, err := json.Marshal(v)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

func globAll(t *testing.T, patterns ...string) []string {
	t.Helper()
	var out []string
	for _, p := range patterns {
		files, err := filepath.Glob(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, files...)
	}
	return out
}

func TestSchemaAcceptsValidSpecs(t *testing.T) {
	sch := compileSchema(t)
	files := globAll(t, "../examples/*.yaml", "testdata/valid/*.yaml")
	if len(files) == 0 {
		t.Fatal("no specs found")
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(file, data); err != nil {
			t.Errorf("Go validator rejects %s:\n%v", file, err)
		}
		if err := schemaValidate(sch, data); err != nil {
			t.Errorf("schema.json rejects %s:\n%v", file, err)
		}
	}
}

func TestSchemaRejectsStructurallyInvalidSpecs(t *testing.T) {
	sch := compileSchema(t)
	files := globAll(t, "testdata/invalid/struct-*.yaml")
	if len(files) < 20 {
		t.Fatalf("only %d struct-* specs", len(files))
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(file, data); err == nil {
			t.Errorf("Go validator accepts %s", file)
		}
		if err := schemaValidate(sch, data); err == nil {
			t.Errorf("schema.json accepts %s", file)
		}
	}
}

// readSchema returns schema.json as plain data.
func readSchema(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// lookup follows a JSON pointer like "$defs/logFormat/oneOf/1/items/enum".
func lookup(t *testing.T, v any, pointer string) any {
	t.Helper()
	for _, part := range strings.Split(pointer, "/") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			var i int
			if err := json.Unmarshal([]byte(part), &i); err != nil || i >= len(x) {
				t.Fatalf("bad pointer %s", pointer)
			}
			v = x[i]
		default:
			t.Fatalf("pointer %s runs into %T", pointer, v)
		}
	}
	return v
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func ints(v any) []int {
	var out []int
	for _, x := range v.([]any) {
		out = append(out, int(x.(float64)))
	}
	return out
}

// TestSchemaEnumsMatchGo keeps the schema's value lists in step with the
// Go tables they mirror.
func TestSchemaEnumsMatchGo(t *testing.T) {
	s := readSchema(t)
	checks := []struct {
		pointer string
		want    []string
	}{
		{"$defs/logFormat/oneOf/1/items/enum", logformat.Names()},
		{"$defs/trafficType/enum", TrafficTypes},
		{"$defs/s3/properties/file_format/enum", FileFormats},
		{"$defs/tagFieldSpecification/properties/resource_type/enum", TagFieldResourceTypes},
	}
	for _, c := range checks {
		got := strs(lookup(t, s, c.pointer))
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-go +schema):\n%s", c.pointer, diff)
		}
	}
	if diff := cmp.Diff(RetentionDays, ints(lookup(t, s, "$defs/cloudwatchLogs/properties/retention_days/enum"))); diff != "" {
		t.Errorf("retention_days (-go +schema):\n%s", diff)
	}
	if diff := cmp.Diff([]int{60, 600}, ints(lookup(t, s, "$defs/interval/enum"))); diff != "" {
		t.Errorf("interval (-go +schema):\n%s", diff)
	}
	if got := int(lookup(t, s, "$defs/tags/maxProperties").(float64)); got != maxUserTags {
		t.Errorf("tags maxProperties = %d, want %d", got, maxUserTags)
	}
}

// schemaKey is one documented key of the spec language.
type schemaKey struct {
	path        string // like flow_logs[].destination.s3.prefix
	description string
}

// schemaKeys walks schema.json from the root, following $refs, and returns
// every key with its path and description, once per place it is described.
// Arrays add "[]", maps keyed by a name add ".<name>", and the five target
// kinds share one selector, written <kind>.
func schemaKeys(t *testing.T) []schemaKey {
	s := readSchema(t)
	defs := s["$defs"].(map[string]any)
	var out []schemaKey
	var walk func(node map[string]any, path string)
	walk = func(node map[string]any, path string) {
		if ref, ok := node["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, "#/$defs/")
			if name == "selector" {
				path = path[:strings.LastIndex(path, ".")+1] + "<kind>"
			}
			walk(defs[name].(map[string]any), path)
		}
		for _, key := range []string{"allOf", "anyOf", "oneOf"} {
			if subs, ok := node[key].([]any); ok {
				for _, sub := range subs {
					walk(sub.(map[string]any), path)
				}
			}
		}
		if items, ok := node["items"].(map[string]any); ok {
			walk(items, path+"[]")
		}
		if ap, ok := node["additionalProperties"].(map[string]any); ok {
			walk(ap, path+".<name>")
		}
		props, _ := node["properties"].(map[string]any)
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := strings.TrimPrefix(path+"."+k, ".")
			prop := props[k].(map[string]any)
			desc, _ := prop["description"].(string)
			out = append(out, schemaKey{path: p, description: desc})
			walk(prop, p)
		}
	}
	walk(s, "")
	return out
}

// keyPaths returns the distinct key paths, sorted.
func keyPaths(keys []schemaKey) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.path)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestSchemaDescribesEveryKey makes sure editors have help for every key.
func TestSchemaDescribesEveryKey(t *testing.T) {
	keys := schemaKeys(t)
	paths := keyPaths(keys)
	if len(paths) < 50 {
		t.Fatalf("only %d keys found in schema.json", len(paths))
	}
	for _, k := range keys {
		if k.description == "" {
			t.Errorf("schema.json: %s has no description", k.path)
		}
	}
	t.Logf("schema.json documents %d keys (%d descriptions)", len(paths), len(keys))
}

// TestDocsMentionEveryKey keeps docs/spec.md in step with schema.json and
// the field table: every key path and every log format field appears in it,
// in backquotes.
func TestDocsMentionEveryKey(t *testing.T) {
	docs, err := os.ReadFile("../docs/spec.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range keyPaths(schemaKeys(t)) {
		if !bytes.Contains(docs, []byte("`"+p+"`")) {
			t.Errorf("docs/spec.md does not mention `%s`", p)
		}
	}
	for _, f := range logformat.Names() {
		if !bytes.Contains(docs, []byte("`"+f+"`")) {
			t.Errorf("docs/spec.md's field table lacks `%s`", f)
		}
	}
}

// TestExamplesNameTheSchema checks the editor hint on every example.
func TestExamplesNameTheSchema(t *testing.T) {
	const hint = "# yaml-language-server: $schema=../schema.json\n"
	for _, file := range globAll(t, "../examples/*.yaml") {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte(hint)) {
			t.Errorf("%s does not start with %q", file, hint)
		}
	}
}
