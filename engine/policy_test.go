package engine

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// golden compares got with testdata/<name>, rewriting the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update after checking):\n got: %s\nwant: %s", path, got, want)
	}
}

func indent(t *testing.T, doc string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(doc), "", "  "); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	b.WriteByte('\n')
	return b.Bytes()
}

func TestPolicyGolden(t *testing.T) {
	golden(t, "policies/trust.json", indent(t, TrustPolicy("111111111111", []string{"us-east-1", "eu-west-1", "us-east-1"})))
	golden(t, "policies/delivery.json", indent(t, DeliveryPolicy([]string{
		LogGroupARN("111111111111", "us-east-1", "/vpc-flow-logs/111111111111/us-east-1"),
		LogGroupARN("111111111111", "eu-west-1", "/vpc/{resource_id}"),
	})))
	stmts := BucketStatements("org", "org-flow-logs", []BucketWriter{
		{Account: "222222222222", Prefix: ""},
		{Account: "111111111111", Prefix: ""},
		{Account: "111111111111", Prefix: "hive/", Hive: true},
	})
	for _, sid := range sortedKeys(stmts) {
		golden(t, "policies/bucket-"+sid+".json", indent(t, stmts[sid]))
	}
}

func TestTrustPolicyConfusedDeputy(t *testing.T) {
	var doc struct {
		Statement []struct {
			Principal map[string][]string
			Action    []string
			Condition map[string]map[string][]string
		}
	}
	if err := json.Unmarshal([]byte(TrustPolicy("111111111111", []string{"us-east-1"})), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Statement[0]
	checks := []struct {
		what      string
		got, want string
	}{
		{"principal", strings.Join(s.Principal["Service"], ","), "vpc-flow-logs.amazonaws.com"},
		{"action", strings.Join(s.Action, ","), "sts:AssumeRole"},
		{"source account", strings.Join(s.Condition["StringEquals"]["aws:SourceAccount"], ","), "111111111111"},
		{"source arn", strings.Join(s.Condition["ArnLike"]["aws:SourceArn"], ","), "arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/*"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
}

func TestDeliveryPolicyLeastPrivilege(t *testing.T) {
	doc := DeliveryPolicy([]string{LogGroupARN("111111111111", "us-east-1", "/vpc/{rule}/{resource_id}")})
	if strings.Contains(doc, "CreateLogGroup") {
		t.Errorf("delivery policy grants logs:CreateLogGroup: %s", doc)
	}
	if strings.Contains(doc, `"Resource":["*"]`) {
		t.Errorf("delivery policy is not scoped to log groups: %s", doc)
	}
	if !strings.Contains(doc, `"arn:aws:logs:us-east-1:111111111111:log-group:/vpc/{rule}/*:*"`) {
		t.Errorf("{resource_id} did not become *: %s", doc)
	}
}

func TestBucketStatementSids(t *testing.T) {
	stmts := BucketStatements("org", "b", []BucketWriter{{Account: "1", Prefix: "a/"}, {Account: "2", Prefix: "b/"}})
	if len(stmts) != 3 {
		t.Fatalf("want aclcheck and one write statement per prefix, got %v", sortedKeys(stmts))
	}
	for sid, st := range stmts {
		if !OwnsSid("org", sid) {
			t.Errorf("Sid %q is not recognised as ours", sid)
		}
		if !strings.Contains(st, `"Sid":"`+sid+`"`) {
			t.Errorf("statement %s does not carry its Sid: %s", sid, st)
		}
	}
	if WriteStatementKind("a/") == WriteStatementKind("b/") {
		t.Error("prefixes share a write Sid")
	}
}
