package engine

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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

// Sample uses of a delivery role in account 111111111111.
var (
	cloudWatchNeeds = RoleNeeds{
		Account:         "111111111111",
		ARN:             "arn:aws:iam::111111111111:role/flowplan/flowplan-delivery",
		LogGroupRegions: []string{"us-east-1", "eu-west-1", "us-east-1"},
		LogGroupARNs: []string{
			LogGroupARN("111111111111", "us-east-1", "/vpc-flow-logs/111111111111/us-east-1"),
			LogGroupARN("111111111111", "eu-west-1", "/vpc/{resource_id}"),
		},
	}
	firehoseNeeds = RoleNeeds{
		Account: "111111111111",
		ARN:     "arn:aws:iam::111111111111:role/flowplan/flowplan-delivery",
		CrossAccountRoles: []string{
			"arn:aws:iam::666666666666:role/AWSLogDeliveryFirehoseCrossAccountRole",
			"arn:aws:iam::555555555555:role/AWSLogDeliveryFirehoseCrossAccountRole-eu",
			"arn:aws:iam::666666666666:role/AWSLogDeliveryFirehoseCrossAccountRole",
		},
	}
	bothNeeds = RoleNeeds{
		Account:           "111111111111",
		ARN:               cloudWatchNeeds.ARN,
		LogGroupRegions:   cloudWatchNeeds.LogGroupRegions,
		LogGroupARNs:      cloudWatchNeeds.LogGroupARNs,
		CrossAccountRoles: firehoseNeeds.CrossAccountRoles,
	}
)

func TestPolicyGolden(t *testing.T) {
	for _, c := range []struct {
		suffix string
		needs  RoleNeeds
	}{
		{"", cloudWatchNeeds},
		{"-firehose", firehoseNeeds},
		{"-both", bothNeeds},
	} {
		golden(t, "policies/trust"+c.suffix+".json", indent(t, TrustPolicy(c.needs)))
		golden(t, "policies/delivery"+c.suffix+".json", indent(t, DeliveryPolicy(c.needs)))
	}
	stmts := BucketStatements("org", "arn:aws:s3:::org-flow-logs", []BucketWriter{
		{Account: "222222222222", Prefix: ""},
		{Account: "111111111111", Prefix: ""},
		{Account: "111111111111", Prefix: "hive/", Hive: true},
	})
	for _, sid := range slices.Sorted(maps.Keys(stmts)) {
		golden(t, "policies/bucket-"+sid+".json", indent(t, stmts[sid]))
	}
}

// policyStatement is a decoded statement of a canonical policy, in which
// every value is a list.
type policyStatement struct {
	Sid       string
	Principal map[string][]string
	Action    []string
	Resource  []string
	Condition map[string]map[string][]string
}

func statementsOf(t *testing.T, doc string) []policyStatement {
	t.Helper()
	var d struct{ Statement []policyStatement }
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	return d.Statement
}

// TestTrustPolicyConfusedDeputy checks that each service a role trusts gets
// its own statement, limited to the role's account (and, for flow logs to
// CloudWatch Logs, to its regions' flow logs), and that no other service is
// trusted.
func TestTrustPolicyConfusedDeputy(t *testing.T) {
	flowLogsArns := "arn:aws:ec2:eu-west-1:111111111111:vpc-flow-log/*,arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/*"
	for _, c := range []struct {
		name  string
		needs RoleNeeds
		want  map[string]string // principal → "source account | source arns"
	}{
		{"cloudwatch logs", cloudWatchNeeds, map[string]string{flowLogsService: "111111111111 | " + flowLogsArns}},
		{"cross-account firehose", firehoseNeeds, map[string]string{logDeliveryService: "111111111111 | "}},
		{"both", bothNeeds, map[string]string{flowLogsService: "111111111111 | " + flowLogsArns, logDeliveryService: "111111111111 | "}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := map[string]string{}
			for _, s := range statementsOf(t, TrustPolicy(c.needs)) {
				if strings.Join(s.Action, ",") != "sts:AssumeRole" || len(s.Principal) != 1 || len(s.Principal["Service"]) != 1 {
					t.Errorf("statement grants more than sts:AssumeRole to one service: %+v", s)
					continue
				}
				p := s.Principal["Service"][0]
				if _, dup := got[p]; dup {
					t.Errorf("service %s trusted twice", p)
				}
				got[p] = strings.Join(s.Condition["StringEquals"]["aws:SourceAccount"], ",") + " | " + strings.Join(s.Condition["ArnLike"]["aws:SourceArn"], ",")
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("trusted services (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDeliveryPolicyLeastPrivilege checks each use's permissions: exactly
// the actions it needs, on the ARNs it names; "*" only for the log delivery
// actions, which AWS grants on nothing narrower; never logs:CreateLogGroup.
func TestDeliveryPolicyLeastPrivilege(t *testing.T) {
	logGroups := "arn:aws:logs:eu-west-1:111111111111:log-group:/vpc/*:*,arn:aws:logs:us-east-1:111111111111:log-group:/vpc-flow-logs/111111111111/us-east-1:*"
	crossRoles := "arn:aws:iam::555555555555:role/AWSLogDeliveryFirehoseCrossAccountRole-eu,arn:aws:iam::666666666666:role/AWSLogDeliveryFirehoseCrossAccountRole"
	cloudWatch := map[string]string{
		"logs:CreateLogStream":    logGroups,
		"logs:DescribeLogGroups":  logGroups,
		"logs:DescribeLogStreams": logGroups,
		"logs:PutLogEvents":       logGroups,
	}
	firehose := map[string]string{
		"iam:PassRole [iam:PassedToService=delivery.logs.amazonaws.com]": "arn:aws:iam::111111111111:role/flowplan/flowplan-delivery",
		"logs:CreateLogDelivery": "*",
		"logs:DeleteLogDelivery": "*",
		"logs:GetLogDelivery":    "*",
		"logs:ListLogDeliveries": "*",
		"sts:AssumeRole":         crossRoles,
	}
	both := map[string]string{}
	for _, m := range []map[string]string{cloudWatch, firehose} {
		for k, v := range m {
			both[k] = v
		}
	}
	for _, c := range []struct {
		name  string
		needs RoleNeeds
		want  map[string]string // action [conditions] → resources
	}{
		{"cloudwatch logs", cloudWatchNeeds, cloudWatch},
		{"cross-account firehose", firehoseNeeds, firehose},
		{"both", bothNeeds, both},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := map[string]string{}
			for _, s := range statementsOf(t, DeliveryPolicy(c.needs)) {
				for _, a := range s.Action {
					key := a
					for op, kv := range s.Condition {
						for k, v := range kv {
							key += " [" + k + "=" + strings.Join(v, ",") + "]"
							if op != "StringEquals" {
								t.Errorf("%s: unexpected condition operator %s", a, op)
							}
						}
					}
					if _, dup := got[key]; dup {
						t.Errorf("%s granted twice", key)
					}
					got[key] = strings.Join(s.Resource, ",")
				}
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("permissions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBucketStatementSids(t *testing.T) {
	stmts := BucketStatements("org", "arn:aws:s3:::b", []BucketWriter{{Account: "1", Prefix: "a/"}, {Account: "2", Prefix: "b/"}})
	if len(stmts) != 3 {
		t.Fatalf("want aclcheck and one write statement per prefix, got %v", slices.Sorted(maps.Keys(stmts)))
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
