package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/spec/logformat"
)

// base is a minimal valid spec; tests append rules or replace parts of it.
const base = `version: 1
name: test
accounts:
  - {id: "111111111111", alias: prod, regions: [us-east-1, eu-west-1]}
  - {id: "222222222222", alias: staging, regions: [us-east-1]}
delivery_roles:
  fl: {}
`

func mustParse(t *testing.T, src string) *Spec {
	t.Helper()
	s, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v\n--- spec:\n%s", err, src)
	}
	return s
}

func TestParseDefaults(t *testing.T) {
	src := base + `defaults: {traffic_type: REJECT, max_aggregation_interval: 60, tags: {owner: netsec, team: a}}
flow_logs:
  - name: vpcs
    accounts: [prod]
    targets: {vpcs: {all: true}}
    tags: {team: b}
    destination: {cloudwatch_logs: {log_group: "/fl/{account_id}", delivery_role: fl}}
  - name: tgws
    targets: {transit_gateways: {all: true}}
    destination: {s3: {bucket_arn: "arn:aws:s3:::bucket-a"}}
  - name: plain
    targets: {subnets: {ids: [subnet-0123456789abcdef0]}}
    traffic_type: ACCEPT
    max_aggregation_interval: 600
    destination: {firehose: {delivery_stream_arn: "arn:aws:firehose:us-east-1:111111111111:deliverystream/s", delivery_role: fl, cross_account_role: "arn:aws:iam::111111111111:role/AWSLogDeliveryFirehoseCrossAccountRole"}}
`
	s := mustParse(t, src)
	type got struct {
		Name, TrafficType, LogFormat string
		Interval                     int
		Accounts                     []string
		Tags                         map[string]string
	}
	var have []got
	for _, r := range s.Rules {
		have = append(have, got{r.Name, r.TrafficType, r.LogFormat, r.MaxAggregationInterval, r.Accounts, r.Tags})
	}
	want := []got{
		{"vpcs", "REJECT", logformat.DefaultVPC, 60, []string{"111111111111"}, map[string]string{"owner": "netsec", "team": "b"}},
		// Transit gateway rules ignore the default traffic type and interval.
		{"tgws", "", logformat.DefaultTransitGateway, 60, nil, map[string]string{"owner": "netsec", "team": "a"}},
		{"plain", "ACCEPT", logformat.DefaultVPC, 600, nil, map[string]string{"owner": "netsec", "team": "a"}},
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if s.Rules[1].Destination.S3.FileFormat != "plain-text" {
		t.Errorf("S3 file format default = %q, want plain-text", s.Rules[1].Destination.S3.FileFormat)
	}
	sum := sha256.Sum256([]byte(src))
	if s.SHA256 != hex.EncodeToString(sum[:]) || s.File != "t.yaml" {
		t.Errorf("File, SHA256 = %q, %q", s.File, s.SHA256)
	}
}

func TestParseNoDefaults(t *testing.T) {
	s := mustParse(t, base+`flow_logs:
  - name: r
    targets: {network_interfaces: {tags: {flowlog: "yes"}}}
    destination: {cloudwatch_logs: {log_group: g, delivery_role: "arn:aws:iam::{account_id}:role/existing"}}
`)
	r := s.Rules[0]
	if r.TrafficType != "ALL" || r.MaxAggregationInterval != 600 || r.Tags != nil {
		t.Errorf("defaults: traffic %q interval %d tags %v; want ALL 600 nil", r.TrafficType, r.MaxAggregationInterval, r.Tags)
	}
	cw := r.Destination.CloudWatchLogs
	if cw.DeliveryRoleARN != "arn:aws:iam::{account_id}:role/existing" || cw.DeliveryRole != cw.DeliveryRoleARN {
		t.Errorf("delivery role = %q / %q", cw.DeliveryRole, cw.DeliveryRoleARN)
	}
}

func TestParseLogFormats(t *testing.T) {
	tests := []struct {
		name, format, targets, want string
	}{
		{"default vpc", "default", "{vpcs: {all: true}}", logformat.DefaultVPC},
		{"default tgw", "default", "{transit_gateways: {all: true}}", logformat.DefaultTransitGateway},
		{"string", `"${srcaddr}   ${dstaddr}\n ${action}"`, "{vpcs: {all: true}}", "${srcaddr} ${dstaddr} ${action}"},
		{"list", "[version, srcaddr, tgw-id]", "{transit_gateway_attachments: {all: true}}", "${version} ${srcaddr} ${tgw-id}"},
		{"folded", ">-\n      ${version}\n      ${flow-direction}", "{subnets: {all: true}}", "${version} ${flow-direction}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, base+`flow_logs:
  - name: r
    targets: `+tt.targets+`
    log_format: `+tt.format+`
    destination: {s3: {bucket_arn: "arn:aws:s3:::bucket-a"}}
`)
			if got := s.Rules[0].LogFormat; got != tt.want {
				t.Errorf("LogFormat = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseAnchorsAndAliases(t *testing.T) {
	s := mustParse(t, base+`flow_logs:
  - name: a
    targets: {vpcs: {all: true}}
    tags: &common {cost-center: "42"}
    destination: &dest {s3: {bucket_arn: "arn:aws:s3:::bucket-a", prefix: a/}}
  - name: b
    targets: {subnets: {all: true}}
    tags: *common
    destination: *dest
`)
	if s.Rules[1].Tags["cost-center"] != "42" || s.Rules[1].Destination.S3.Prefix != "a/" {
		t.Errorf("aliases not resolved: %+v", s.Rules[1])
	}
}

func TestParseSortsDeliveryRoles(t *testing.T) {
	s := mustParse(t, `version: 1
name: t
accounts: [{id: "111111111111", regions: [us-east-1]}]
delivery_roles:
  zz: {path: /a/b/}
  aa:
flow_logs:
  - {name: r, targets: {vpcs: {all: true}}, destination: {cloudwatch_logs: {log_group: g, delivery_role: zz}}}
`)
	var names []string
	for _, r := range s.DeliveryRoles {
		names = append(names, r.Name+":"+r.Path)
	}
	if diff := cmp.Diff([]string{"aa:/", "zz:/a/b/"}, names); diff != "" {
		t.Errorf("delivery roles (-want +got):\n%s", diff)
	}
}

// TestParseLimits checks the inputs that must fail fast, before any walk.
func TestParseLimits(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, prev := 'b', 'a'; i <= 'j'; i, prev = i+1, i {
		bomb += string(i) + ": &" + string(i) + " [" + strings.Repeat("*"+string(prev)+", ", 9) + "*" + string(prev) + "]\n"
	}
	tests := []struct {
		name, src, want string
	}{
		{"alias bomb", bomb, "YAML aliases expand the spec to more than 1000000 nodes"},
		{"too large", "# " + strings.Repeat("x", MaxFileSize), "the spec is larger than 4 MiB"},
		{"empty", "", "t.yaml:1:1: the spec is empty"},
		{"comments only", "# nothing\n", "the spec is empty"},
		{"two documents", "version: 1\n---\nname: x\n", "t.yaml:2:1: a spec file holds one YAML document"},
		{"syntax", "version: 1\nname: [x\n", "invalid YAML:"},
		{"not a mapping", "- 1\n", "top level must be a mapping"},
		{"recursive alias", "a: &a [*a]\n", "refers to a node that contains it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.src))
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("Parse error = %v (%T), want Errors", err, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flowplan.yaml")
	if err := os.WriteFile(path, []byte(base+"flow_logs: [{name: r, targets: {vpcs: {all: true}}, destination: {s3: {bucket_arn: \"arn:aws:s3:::bucket-a\"}}}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.File != path {
		t.Errorf("File = %q, want %q", s.File, path)
	}
	missing := filepath.Join(dir, "missing.yaml")
	if _, err := Load(missing); err == nil || err.Error() != "load spec "+missing+": no such file or directory" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) error = %v, want a wrapped I/O error naming the file once", err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, MaxFileSize+10), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), big+":1:1: the spec is larger than 4 MiB") {
		t.Errorf("Load(big) error = %v", err)
	}
}

func TestSummary(t *testing.T) {
	s := mustParse(t, base+`organization: {assume_role_name: R, regions: [us-east-1]}
flow_logs:
  - {name: r, targets: {vpcs: {all: true}, subnets: {all: true}}, destination: {s3: {bucket_arn: "arn:aws:s3:::bucket-a"}}}
`)
	want := "t.yaml: valid: 2 accounts (+ organization), 1 rule, 2 target selectors"
	if got := Summary(s); got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
}

func TestExpand(t *testing.T) {
	tests := []struct {
		tmpl string
		p    Placeholders
		want string
	}{
		{"/a/{account_id}/{region}", Placeholders{AccountID: "111111111111", Region: "us-east-1"}, "/a/111111111111/us-east-1"},
		{"/a/{account_alias}", Placeholders{AccountID: "111111111111", AccountAlias: "prod"}, "/a/prod"},
		{"/a/{account_alias}", Placeholders{AccountID: "111111111111"}, "/a/111111111111"},
		{"/{rule}/{resource_id}", Placeholders{Rule: "r", ResourceID: "vpc-1"}, "/r/vpc-1"},
		{"arn:aws:iam::{account_id}:role/x", Placeholders{AccountID: "222222222222"}, "arn:aws:iam::222222222222:role/x"},
		{"plain", Placeholders{}, "plain"},
	}
	for _, tt := range tests {
		if got := Expand(tt.tmpl, tt.p); got != tt.want {
			t.Errorf("Expand(%q) = %q, want %q", tt.tmpl, got, tt.want)
		}
	}
	if !UsesPlaceholder("/a/{resource_id}", PlaceholderResourceID) || UsesPlaceholder("/a/{region}", PlaceholderResourceID) {
		t.Errorf("UsesPlaceholder is wrong")
	}
}

// The YAML parser blames line 1 for any bad UTF-8; Parse finds the byte.
func TestParseReportsBadUTF8WhereItIs(t *testing.T) {
	tests := []struct {
		data string
		want string
	}{
		{"version: 1\nname: x\n# caf\xe9\n", "f.yaml:3:6: the spec is not valid UTF-8: byte 0xE9 here is not part of a character; save the file as UTF-8"},
		{"name: \"é\xff\"\n", "f.yaml:1:9: the spec is not valid UTF-8: byte 0xFF here is not part of a character; save the file as UTF-8"},
		{"\xc3", "f.yaml:1:1: the spec is not valid UTF-8: byte 0xC3 here is not part of a character; save the file as UTF-8"},
	}
	for _, tt := range tests {
		_, err := Parse("f.yaml", []byte(tt.data))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) error = %v, want %q", tt.data, err, tt.want)
		}
	}
}

func TestRegionRefsSayWhereEachRegionIsNamed(t *testing.T) {
	src := base + `flow_logs:
  - name: vpcs
    regions: [eu-west-1]
    targets: {vpcs: {all: true}}
    destination: {s3: {bucket_arn: "arn:aws:s3:::bucket-a"}}
`
	s := mustParse(t, src)
	want := []RegionRef{
		{Region: "us-east-1", Pos: Pos{File: "t.yaml", Line: 4, Column: 49}},
		{Region: "eu-west-1", Pos: Pos{File: "t.yaml", Line: 4, Column: 60}},
		{Region: "us-east-1", Pos: Pos{File: "t.yaml", Line: 5, Column: 52}},
		{Region: "eu-west-1", Pos: Pos{File: "t.yaml", Line: 10, Column: 15}},
	}
	if diff := cmp.Diff(want, s.RegionRefs); diff != "" {
		t.Errorf("RegionRefs (-want +got):\n%s", diff)
	}
}
