package engine

import (
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

// cwl is a flow log as a user would write it for CloudWatch Logs.
func cwl() *FlowLog {
	return &FlowLog{
		ResourceID: "vpc-0abc", ResourceType: "VPC", TrafficType: "ALL",
		DestinationType: DestCloudWatchLogs, Destination: "arn:aws:logs:us-east-1:111111111111:log-group:/vpc/flow",
		DeliverLogsPermissionARN: "arn:aws:iam::111111111111:role/flowplan",
		LogFormat:                logformat.DefaultVPC, MaxAggregationInterval: 600,
	}
}

func s3fl() *FlowLog {
	return &FlowLog{
		ResourceID: "vpc-0abc", ResourceType: "VPC", TrafficType: "ALL",
		DestinationType: DestS3, Destination: "arn:aws:s3:::org-logs/vpc/",
		LogFormat: logformat.DefaultVPC, MaxAggregationInterval: 600,
		FileFormat: "plain-text",
	}
}

func tgwfl() *FlowLog {
	return &FlowLog{
		ResourceID: "tgw-0abc", ResourceType: "TransitGateway",
		DestinationType: DestS3, Destination: "arn:aws:s3:::org-logs",
		LogFormat: logformat.DefaultTransitGateway, MaxAggregationInterval: 60, FileFormat: "plain-text",
	}
}

func with(f *FlowLog, edit func(*FlowLog)) *FlowLog {
	c := *f
	edit(&c)
	return &c
}

// TestNormalizeFlowLog has one case per perpetual-diff cause in landscape.md
// pain points 3 and 4, plus AWS's defaults, and cases that must stay
// different so that normalisation never hides a real change.
func TestNormalizeFlowLog(t *testing.T) {
	tests := []struct {
		name        string
		desired     *FlowLog
		observed    *FlowLog
		wantEqual   bool
		wantChanged string // when unequal: the attribute expected to differ
	}{
		// Pain point 3: value normalisation diffs.
		{"cwl arn with :* suffix (tf-aws#26479)", cwl(), with(cwl(), func(f *FlowLog) { f.Destination += ":*" }), true, ""},
		{"s3 with iam role echoed back (tf-aws#23521)", s3fl(), with(s3fl(), func(f *FlowLog) { f.DeliverLogsPermissionARN = "arn:aws:iam::111111111111:role/x" }), true, ""},
		{"s3 destination options absent (tf-aws#23521, cdk-real-drift#1632)", s3fl(), with(s3fl(), func(f *FlowLog) { f.FileFormat = "" }), true, ""},
		{"s3 in another partition with and without the trailing slash", with(s3fl(), func(f *FlowLog) { f.Destination = "arn:aws-cn:s3:::org-logs/vpc/" }), with(s3fl(), func(f *FlowLog) { f.Destination = "arn:aws-cn:s3:::org-logs/vpc" }), true, ""},
		{"another partition is another destination", s3fl(), with(s3fl(), func(f *FlowLog) { f.Destination = "arn:aws-cn:s3:::org-logs/vpc/" }), false, "destination"},
		{"firehose takes no destination options", with(s3fl(), func(f *FlowLog) {
			f.DestinationType, f.Destination = DestFirehose, "arn:aws:firehose:us-east-1:1:deliverystream/s"
		}), with(s3fl(), func(f *FlowLog) {
			f.DestinationType, f.Destination, f.FileFormat, f.PerHourPartition = DestFirehose, "arn:aws:firehose:us-east-1:1:deliverystream/s", "", false
		}), true, ""},
		{"s3 trailing slash on bucket-only arn", with(s3fl(), func(f *FlowLog) { f.Destination = "arn:aws:s3:::org-logs/" }), with(s3fl(), func(f *FlowLog) { f.Destination = "arn:aws:s3:::org-logs" }), true, ""},
		{"s3 prefix without trailing slash", s3fl(), with(s3fl(), func(f *FlowLog) { f.Destination = "arn:aws:s3:::org-logs/vpc" }), true, ""},
		{"s3 prefix with doubled slash", s3fl(), with(s3fl(), func(f *FlowLog) { f.Destination = "arn:aws:s3:::org-logs/vpc//" }), true, ""},
		{"destination options reported on a cloudwatch flow log", cwl(), with(cwl(), func(f *FlowLog) { f.FileFormat = "plain-text" }), true, ""},
		// Pain point 4: log format strings.
		{"default written as the word", with(cwl(), func(f *FlowLog) { f.LogFormat = "default" }), cwl(), true, ""},
		{"default left empty", with(cwl(), func(f *FlowLog) { f.LogFormat = "" }), cwl(), true, ""},
		{"transit gateway default", with(tgwfl(), func(f *FlowLog) { f.LogFormat = "default" }), tgwfl(), true, ""},
		{"trailing space (rain#288)", cwl(), with(cwl(), func(f *FlowLog) { f.LogFormat = logformat.DefaultVPC + " " }), true, ""},
		{"folded yaml whitespace", cwl(), with(cwl(), func(f *FlowLog) { f.LogFormat = strings.ReplaceAll(logformat.DefaultVPC, " ", "\n  ") }), true, ""},
		{"terraform $${} escape is not a format", with(cwl(), func(f *FlowLog) { f.LogFormat = "$${version} $${srcaddr}" }), with(cwl(), func(f *FlowLog) { f.LogFormat = "${version} ${srcaddr}" }), false, "log_format"},
		{"vpc default is not the transit gateway default", with(cwl(), func(f *FlowLog) { f.LogFormat = "default" }), with(cwl(), func(f *FlowLog) { f.LogFormat = logformat.DefaultTransitGateway }), false, "log_format"},
		{"field order matters", with(cwl(), func(f *FlowLog) { f.LogFormat = "${srcaddr} ${dstaddr}" }), with(cwl(), func(f *FlowLog) { f.LogFormat = "${dstaddr} ${srcaddr}" }), false, "log_format"},
		{"references without a space between them are not the spaced format", with(cwl(), func(f *FlowLog) { f.LogFormat = "${srcaddr} ${dstaddr}" }), with(cwl(), func(f *FlowLog) { f.LogFormat = "${srcaddr}${dstaddr}" }), false, "log_format"},
		{"tabs between references", with(cwl(), func(f *FlowLog) { f.LogFormat = "${srcaddr} ${dstaddr}" }), with(cwl(), func(f *FlowLog) { f.LogFormat = "${srcaddr}\t${dstaddr}" }), true, ""},
		// AWS defaults.
		{"interval absent means 600", cwl(), with(cwl(), func(f *FlowLog) { f.MaxAggregationInterval = 0 }), true, ""},
		{"transit gateway interval absent means 60", tgwfl(), with(tgwfl(), func(f *FlowLog) { f.MaxAggregationInterval = 0 }), true, ""},
		{"interval 60 is not 600", cwl(), with(cwl(), func(f *FlowLog) { f.MaxAggregationInterval = 60 }), false, "max_aggregation_interval"},
		{"destination type absent means cloudwatch", cwl(), with(cwl(), func(f *FlowLog) { f.DestinationType = "" }), true, ""},
		{"resource type inferred from the id", cwl(), with(cwl(), func(f *FlowLog) { f.ResourceType = "" }), true, ""},
		{"traffic type echoed on a transit gateway", tgwfl(), with(tgwfl(), func(f *FlowLog) { f.TrafficType = "ALL" }), true, ""},
		{"traffic type case", cwl(), with(cwl(), func(f *FlowLog) { f.TrafficType = "all" }), true, ""},
		{"traffic type differs", cwl(), with(cwl(), func(f *FlowLog) { f.TrafficType = "REJECT" }), false, "traffic_type"},
		{"parquet is not plain text", s3fl(), with(s3fl(), func(f *FlowLog) { f.FileFormat = "parquet" }), false, "file_format"},
		{"hive partitions differ", s3fl(), with(s3fl(), func(f *FlowLog) { f.HiveCompatiblePartitions = true }), false, "hive_compatible_partitions"},
		{"per-hour partition differs (tf-aws#21411)", s3fl(), with(s3fl(), func(f *FlowLog) { f.PerHourPartition = true }), false, "per_hour_partition"},
		{"role differs", cwl(), with(cwl(), func(f *FlowLog) { f.DeliverLogsPermissionARN = "arn:aws:iam::111111111111:role/other" }), false, "deliver_logs_permission_arn"},
		{"other log group", cwl(), with(cwl(), func(f *FlowLog) { f.Destination += "-2" }), false, "destination"},
		{"tag field specs in any order", with(cwl(), func(f *FlowLog) {
			f.TagFieldSpecifications = []spec.TagFieldSpecification{{ResourceType: "network-interface", TagKeys: []string{"a"}}, {ResourceType: "instance", TagKeys: []string{"b"}}}
		}), with(cwl(), func(f *FlowLog) {
			f.TagFieldSpecifications = []spec.TagFieldSpecification{{ResourceType: "instance", TagKeys: []string{"b"}}, {ResourceType: "network-interface", TagKeys: []string{"a"}}}
		}), true, ""},
		{"tag field specs empty vs nil", with(cwl(), func(f *FlowLog) { f.TagFieldSpecifications = []spec.TagFieldSpecification{} }), cwl(), true, ""},
		{"observed status is never compared", cwl(), with(cwl(), func(f *FlowLog) { f.Status = &FlowLogStatus{DeliverLogsStatus: "FAILED"} }), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, after := normalizeFlowLog(tt.observed), normalizeFlowLog(tt.desired)
			diffs := flowLogDiffs(before, after)
			if tt.wantEqual {
				if len(diffs) != 0 {
					t.Fatalf("want equal after normalisation, got diffs %+v", diffs)
				}
				return
			}
			if len(diffs) == 0 {
				t.Fatalf("want a difference in %s, got none", tt.wantChanged)
			}
			if diffs[0].Attr != tt.wantChanged || !diffs[0].ForcesReplacement {
				t.Errorf("diffs = %+v, want %s forcing replacement", diffs, tt.wantChanged)
			}
		})
	}
}

func TestNormalizeIsIdempotent(t *testing.T) {
	for _, f := range []*FlowLog{cwl(), s3fl(), tgwfl(), with(cwl(), func(f *FlowLog) { f.LogFormat = "default"; f.Destination += ":*" })} {
		once := normalizeFlowLog(f)
		twice := normalizeFlowLog(once)
		if d := cmp.Diff(once, twice); d != "" {
			t.Errorf("normalising twice changed the flow log (-once +twice):\n%s", d)
		}
	}
}

func TestNormalizeDestination(t *testing.T) {
	tests := []struct{ typ, in, want string }{
		{DestCloudWatchLogs, "arn:aws:logs:us-east-1:1:log-group:g:*", "arn:aws:logs:us-east-1:1:log-group:g"},
		{DestCloudWatchLogs, "arn:aws:logs:us-east-1:1:log-group:g", "arn:aws:logs:us-east-1:1:log-group:g"},
		{"", "arn:aws:logs:us-east-1:1:log-group:g:*", "arn:aws:logs:us-east-1:1:log-group:g"},
		{DestS3, "arn:aws:s3:::b", "arn:aws:s3:::b"},
		{DestS3, "arn:aws:s3:::b/", "arn:aws:s3:::b"},
		{DestS3, "arn:aws:s3:::b/p", "arn:aws:s3:::b/p/"},
		{DestS3, "arn:aws:s3:::b/p/q/", "arn:aws:s3:::b/p/q/"},
		{DestFirehose, "arn:aws:firehose:us-east-1:1:deliverystream/s/", "arn:aws:firehose:us-east-1:1:deliverystream/s/"},
		// Other partitions follow the same rules.
		{DestCloudWatchLogs, "arn:aws-cn:logs:cn-north-1:1:log-group:g:*", "arn:aws-cn:logs:cn-north-1:1:log-group:g"},
		{DestS3, "arn:aws-us-gov:s3:::b/p", "arn:aws-us-gov:s3:::b/p/"},
		{DestS3, " arn:aws:s3:::b/ \n", "arn:aws:s3:::b"},
	}
	for _, tt := range tests {
		if got := NormalizeDestination(tt.typ, tt.in); got != tt.want {
			t.Errorf("NormalizeDestination(%q, %q) = %q, want %q", tt.typ, tt.in, got, tt.want)
		}
	}
}

func TestNormalizeTags(t *testing.T) {
	tests := []struct {
		name string
		a, b map[string]string
		want bool
	}{
		{"nil and empty", nil, map[string]string{}, true},
		{"aws reserved keys ignored", map[string]string{"owner": "net"}, map[string]string{"owner": "net", "aws:cloudformation:stack-name": "s"}, true},
		{"only reserved keys equal nil", nil, map[string]string{"aws:createdBy": "x"}, true},
		{"value differs", map[string]string{"owner": "net"}, map[string]string{"owner": "sec"}, false},
		{"key case matters", map[string]string{"Owner": "net"}, map[string]string{"owner": "net"}, false},
		{"an empty value is a value", map[string]string{"owner": ""}, nil, false},
		{"empty values compare", map[string]string{"owner": ""}, map[string]string{"owner": ""}, true},
	}
	for _, tt := range tests {
		if got := cmp.Equal(NormalizeTags(tt.a), NormalizeTags(tt.b)); got != tt.want {
			t.Errorf("%s: equal = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNormalizePolicy(t *testing.T) {
	base := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"},"ArnLike":{"aws:SourceArn":["arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/*"]}}}]}`
	tests := []struct {
		name string
		doc  string
		want bool
	}{
		{"identical", base, true},
		{"url-encoded as IAM returns it", url.PathEscape(base), true},
		{"url-encoded with + for spaces", strings.ReplaceAll(url.QueryEscape(strings.Replace(base, `{"Version"`, `{ "Version"`, 1)), "%20", "+"), true},
		{"key order and whitespace", `{
			"Statement": [{"Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/*"},
			  "StringEquals": {"aws:SourceAccount": ["111111111111"]}},
			  "Action": ["sts:AssumeRole"], "Principal": {"Service": ["vpc-flow-logs.amazonaws.com"]}, "Effect": "Allow"}],
			"Version": "2012-10-17"}`, true},
		{"statement as a single object", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"},"ArnLike":{"aws:SourceArn":"arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/*"}}}}`, true},
		{"version matters", strings.Replace(base, "2012-10-17", "2008-10-17", 1), false},
		{"condition value matters", strings.Replace(base, `"aws:SourceAccount":"111111111111"`, `"aws:SourceAccount":"222222222222"`, 1), false},
		{"missing condition matters", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, false},
	}
	want, err := NormalizePolicy(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizePolicy(tt.doc)
			if err != nil {
				t.Fatalf("NormalizePolicy: %v", err)
			}
			if (got == want) != tt.want {
				t.Errorf("equal = %v, want %v\n got: %s\nwant: %s", got == want, tt.want, got, want)
			}
		})
	}
}

func TestNormalizePolicySets(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"statement order", `{"Statement":[{"Sid":"a","Effect":"Allow","Action":"x:A","Resource":"*"},{"Sid":"b","Effect":"Deny","Action":"x:B","Resource":"*"}]}`,
			`{"Statement":[{"Sid":"b","Effect":"Deny","Action":"x:B","Resource":"*"},{"Sid":"a","Effect":"Allow","Action":"x:A","Resource":"*"}]}`, true},
		{"action list order and duplicates", `{"Statement":[{"Effect":"Allow","Action":["x:B","x:A"],"Resource":"*"}]}`,
			`{"Statement":[{"Effect":"Allow","Action":["x:A","x:B","x:A"],"Resource":["*"]}]}`, true},
		{"principal account id is its root arn", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}]}`,
			`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root"]},"Action":"sts:AssumeRole"}]}`, true},
		{"boolean condition equals its string", `{"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}`,
			`{"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, true},
		{"NotAction is not Action", `{"Statement":[{"Effect":"Allow","NotAction":"x:A","Resource":"*"}]}`,
			`{"Statement":[{"Effect":"Allow","Action":"x:A","Resource":"*"}]}`, false},
		{"numeric condition equals its string", `{"Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NumericLessThanEquals":{"s3:max-keys":10}}}]}`,
			`{"Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NumericLessThanEquals":{"s3:max-keys":["10"]}}}]}`, true},
		{"condition operator order", `{"Statement":[{"Effect":"Allow","Action":"a:B","Condition":{"StringEquals":{"k":"v"},"ArnLike":{"a":"b"}}}]}`,
			`{"Statement":[{"Effect":"Allow","Action":"a:B","Condition":{"ArnLike":{"a":["b"]},"StringEquals":{"k":["v"]}}}]}`, true},
		{"pretty-printed, url-encoded, with a trailing newline", "%7B%0A%20%20%22Statement%22%3A%20%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22x%3AA%22%7D%5D%0A%7D%0A",
			`{"Statement":{"Effect":"Allow","Action":["x:A"]}}`, true},
		{"surrounding whitespace", "\n\t " + `{"Statement":[{"Effect":"Allow","Action":"x:A"}]}` + " \n", `{"Statement":[{"Effect":"Allow","Action":"x:A"}]}`, true},
		{"version absent is not version 2012-10-17 (IAM keeps what it was given)", `{"Statement":[{"Effect":"Allow","Action":"x:A"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"x:A"}]}`, false},
		{"condition value case matters", `{"Statement":[{"Effect":"Allow","Action":"a:B","Condition":{"StringEquals":{"k":"V"}}}]}`,
			`{"Statement":[{"Effect":"Allow","Action":"a:B","Condition":{"StringEquals":{"k":"v"}}}]}`, false},
		{"wildcard principal is kept", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"x:A"}]}`,
			`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"x:A"}]}`, false},
	}
	for _, tt := range tests {
		a, err := NormalizePolicy(tt.a)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		b, err := NormalizePolicy(tt.b)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if (a == b) != tt.want {
			t.Errorf("%s: equal = %v, want %v\n a: %s\n b: %s", tt.name, a == b, tt.want, a, b)
		}
	}
}

func TestNormalizePolicyErrors(t *testing.T) {
	for _, doc := range []string{"", "not json", "[]", `{"Statement":"x"}`, `{"Statement":[1]}`, `{} {}`, "%7B%ZZ"} {
		if _, err := NormalizePolicy(doc); err == nil {
			t.Errorf("NormalizePolicy(%q) succeeded, want an error", doc)
		}
	}
}

func TestNormalizeResource(t *testing.T) {
	trust := TrustPolicy(RoleNeeds{Account: "111111111111", LogGroupRegions: []string{"us-east-1"}})
	tests := []struct {
		name string
		a, b *Resource
		want bool
	}{
		{"role path empty is /", &Resource{Role: &Role{Name: "r", Path: "/", AssumeRolePolicy: trust}}, &Resource{Role: &Role{Name: "r", AssumeRolePolicy: url.PathEscape(trust)}}, true},
		{"role policy url-encoded", &Resource{RolePolicy: &RolePolicy{Document: DeliveryPolicy(RoleNeeds{LogGroupARNs: []string{"a", "b"}})}}, &Resource{RolePolicy: &RolePolicy{Document: url.PathEscape(DeliveryPolicy(RoleNeeds{LogGroupARNs: []string{"b", "a"}}))}}, true},
		{"bucket statement key order and single values", &Resource{BucketPolicyStatement: &BucketPolicyStatement{Statement: `{"Sid":"s","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}`}},
			&Resource{BucketPolicyStatement: &BucketPolicyStatement{Statement: `{"Resource":["arn:aws:s3:::b/*"],"Action":["s3:PutObject"],"Effect":"Allow","Sid":"s"}`}}, true},
		{"malformed policy kept raw and unequal", &Resource{RolePolicy: &RolePolicy{Document: "{"}}, &Resource{RolePolicy: &RolePolicy{Document: "{}"}}, false},
		{"log group tags", &Resource{Tags: map[string]string{}, LogGroup: &LogGroup{Name: "g"}}, &Resource{Tags: map[string]string{"aws:x": "y"}, LogGroup: &LogGroup{Name: "g"}}, true},
	}
	for _, tt := range tests {
		if got := cmp.Equal(Normalize(tt.a), Normalize(tt.b)); got != tt.want {
			t.Errorf("%s: equal = %v, want %v\n%s", tt.name, got, tt.want, cmp.Diff(Normalize(tt.a), Normalize(tt.b)))
		}
	}
}

func TestAddrLessIsDependencyOrderPerAccount(t *testing.T) {
	want := []Addr{
		{Account: "", Region: "", Kind: "", Name: ""},
		{Account: "1", Region: "global", Kind: KindRole, Name: "r"},
		{Account: "1", Region: "global", Kind: KindRolePolicy, Name: "r/p"},
		{Account: "1", Region: "eu-west-1", Kind: KindLogGroup, Name: "/z"},
		{Account: "1", Region: "us-east-1", Kind: KindLogGroup, Name: "/x"},
		{Account: "1", Region: "us-east-1", Kind: KindLogGroup, Name: "/x/y"},
		{Account: "1", Region: "global", Kind: KindBucketPolicyStatement, Name: "b/flowplan-s-aclcheck"},
		{Account: "1", Region: "us-east-1", Kind: KindFlowLog, Name: "a"},
		{Account: "1", Region: "us-east-1", Kind: KindFlowLog, Name: "a/vpc-1"},
		{Account: "1", Region: "us-east-10", Kind: KindFlowLog, Name: "a"},
		{Account: "1-", Region: "us-east-1", Kind: KindFlowLog, Name: "a"},
	}
	got := append([]Addr(nil), want...)
	for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
		got[i], got[j] = got[j], got[i]
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Less(got[j]) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sorted order (-want +got):\n%s", diff)
	}
	for i, a := range want {
		if a.Less(a) {
			t.Errorf("%v.Less(itself) = true", a)
		}
		if i > 0 && want[i].Less(want[i-1]) {
			t.Errorf("%v sorts before %v", want[i], want[i-1])
		}
	}
}

func TestResourceTypeOf(t *testing.T) {
	for id, want := range map[string]string{
		"vpc-1": "VPC", "subnet-1": "Subnet", "eni-1": "NetworkInterface",
		"tgw-1": "TransitGateway", "tgw-attach-1": "TransitGatewayAttachment", "nat-1": "RegionalNatGateway", "i-1": "",
	} {
		if got := ResourceTypeOf(id); got != want {
			t.Errorf("ResourceTypeOf(%q) = %q, want %q", id, got, want)
		}
	}
}
