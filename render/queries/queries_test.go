package queries

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// specFiles are every example spec and the test-only specs.
func specFiles(t *testing.T) []string {
	t.Helper()
	examples, err := filepath.Glob("../../examples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	extra, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(examples) < 6 || len(extra) == 0 {
		t.Fatalf("found %d examples and %d test specs", len(examples), len(extra))
	}
	return append(examples, extra...)
}

// TestGolden renders both commands for every spec; a spec without such
// destinations records the error.
func TestGolden(t *testing.T) {
	for _, file := range specFiles(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			s, err := spec.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			for kind, fn := range map[string]func(*spec.Spec, Options) (string, error){"athena": Athena, "insights": Insights} {
				out, err := fn(s, Options{})
				if err != nil {
					if !errors.Is(err, ErrNothingToQuery) {
						t.Fatalf("%s: %v", kind, err)
					}
					out = "error: " + err.Error() + "\n"
				}
				checkGolden(t, filepath.Join("testdata", name+"."+kind+".golden"), out)
			}
		})
	}
}

func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./render/queries -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", golden, diff)
	}
}

// Every field AWS documents has a column type, so that a new record
// version fails here instead of printing a column without a type.
func TestColumnTypesCoverEveryField(t *testing.T) {
	known := map[string]bool{}
	for _, f := range logformat.Fields() {
		known[f.Name] = true
		switch columnTypes[f.Name] {
		case "int", "bigint", "string":
		case "":
			t.Errorf("field %s (version %d) has no Athena type in columnTypes", f.Name, f.Version)
		default:
			t.Errorf("field %s has type %q, not int, bigint or string", f.Name, columnTypes[f.Name])
		}
	}
	for f := range columnTypes {
		if !known[f] {
			t.Errorf("columnTypes has %s, which spec/logformat does not know", f)
		}
	}
}

func TestOptions(t *testing.T) {
	s, err := spec.Load("../../examples/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Athena(s, Options{Rule: "all-vpcs-to-archive", Database: "net_logs", TablePrefix: "fl_"})
	if err != nil || !strings.Contains(out, "CREATE EXTERNAL TABLE IF NOT EXISTS net_logs.fl_all_vpcs_to_archive (") ||
		!strings.Contains(out, `FROM net_logs.fl_all_vpcs_to_archive`) {
		t.Fatalf("Athena with options: %v\n%s", err, out)
	}
	tests := []struct {
		o    Options
		fn   func(*spec.Spec, Options) (string, error)
		want string
	}{
		{Options{Rule: "prod-rejects-to-cloudwatch"}, Athena, "nothing to query: rule prod-rejects-to-cloudwatch delivers to cloud-watch-logs, not to S3"},
		{Options{Rule: "all-vpcs-to-archive"}, Insights, "nothing to query: rule all-vpcs-to-archive delivers to s3, not to CloudWatch Logs"},
		{Options{Rule: "all-vpc-to-archive"}, Athena, `rule "all-vpc-to-archive" is not in spec quickstart; did you mean "all-vpcs-to-archive"?`},
		{Options{Rule: "nope"}, Insights, `rule "nope" is not in spec quickstart (rules: all-vpcs-to-archive, prod-rejects-to-cloudwatch, prod-transit-gateways)`},
		{Options{Database: "Net-Logs"}, Athena, `database "Net-Logs": Athena database names are lower case letters, digits and underscores`},
		{Options{TablePrefix: "fl-"}, Athena, `table prefix "fl-"`},
	}
	for _, tt := range tests {
		_, err := tt.fn(s, tt.o)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.o, err, tt.want)
		}
	}
}
