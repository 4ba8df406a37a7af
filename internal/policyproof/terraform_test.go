package policyproof

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/engine/runnerpolicy"
	"github.com/flowplan/flowplan/internal/tfharness"
	"github.com/flowplan/flowplan/spec"
)

// TestTerraformFormIsTheJSON has Terraform's aws_iam_policy_document turn
// the --format terraform output back into JSON, which must be the --format
// json document (compared as engine normalises policies: statement and key
// order aside, one value equal to a list of it).
func TestTerraformFormIsTheJSON(t *testing.T) {
	tf := tfharness.Require(t)
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(`provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAPOLICYPROOF00000"
  secret_key                  = "not-a-secret"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}
`)
	want := map[string]string{}
	for _, c := range []struct {
		example string
		mode    runnerpolicy.Mode
		p       runnerpolicy.Principal
	}{
		{"quickstart.yaml", runnerpolicy.Apply, runnerpolicy.Runner},
		{"quickstart.yaml", runnerpolicy.Apply, runnerpolicy.Caller},
		{"organization.yaml", runnerpolicy.Audit, runnerpolicy.Runner},
		{"firehose-cross-account.yaml", runnerpolicy.Apply, runnerpolicy.Runner},
		{"central-s3-parquet.yaml", runnerpolicy.Plan, runnerpolicy.Caller},
	} {
		s, err := spec.Load(filepath.Join("..", "..", "examples", c.example))
		if err != nil {
			t.Fatal(err)
		}
		p := runnerpolicy.Generate(s, c.mode, c.p)
		doc, err := p.JSON()
		if err != nil {
			t.Fatal(err)
		}
		name := p.DataSourceName()
		if want[name], err = engine.NormalizePolicy(string(doc)); err != nil {
			t.Fatal(err)
		}
		b.Write(p.Terraform())
		fmt.Fprintf(&b, "output %q {\n  value = data.aws_iam_policy_document.%s.json\n}\n", name, name)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run := tf.Workdir(t, dir)
	run.Must(0, "init", "-input=false", "-no-color")
	run.Must(0, "apply", "-auto-approve", "-input=false", "-no-color")
	var outputs map[string]struct{ Value string }
	if err := json.Unmarshal([]byte(run.Must(0, "output", "-json")), &outputs); err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		got, err := engine.NormalizePolicy(outputs[name].Value)
		if err != nil {
			t.Fatalf("%s: Terraform's JSON: %v\n%s", name, err, outputs[name].Value)
		}
		if got != w {
			t.Errorf("%s: Terraform's document differs from the JSON form:\n terraform: %s\n json:      %s", name, got, w)
		}
	}
}
