package iampolicy

import (
	"errors"
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, value string
		fold, want     bool
	}{
		{"*", "", false, true},
		{"*", "arn:aws:s3:::b/k", false, true},
		{"logs:*", "logs:PutLogEvents", false, true},
		{"logs:Put*", "logs:CreateLogStream", false, false},
		{"LOGS:putlogevents", "logs:PutLogEvents", true, true},
		{"LOGS:putlogevents", "logs:PutLogEvents", false, false},
		{"arn:aws:logs:*:111:log-group:/a/*", "arn:aws:logs:us-east-1:111:log-group:/a/b:log-stream:x", false, true},
		{"arn:aws:logs:*:111:log-group:/a/b:*", "arn:aws:logs:us-east-1:111:log-group:/a/b", false, false},
		{"arn:aws:logs:*:111:log-group:/a/b*", "arn:aws:logs:us-east-1:111:log-group:/a/b", false, true},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"a*b*c", "aXXbYYc", false, true},
		{"a*b*c", "aXXcYYb", false, false},
		{"*.log", "x.log.gz", false, false},
	}
	for _, tt := range tests {
		if got := Glob(tt.pattern, tt.value, tt.fold); got != tt.want {
			t.Errorf("Glob(%q, %q, %v) = %v, want %v", tt.pattern, tt.value, tt.fold, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		kind Kind
		want Problem // 0 means valid
	}{
		{"identity ok", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`, Identity, 0},
		{"single statement object", `{"Statement":{"Effect":"Deny","NotAction":"s3:*","NotResource":"*"}}`, Identity, 0},
		{"not json", `{"Statement":`, Identity, ProblemSyntax},
		{"trailing data", `{"Statement":[]} {}`, Identity, ProblemSyntax},
		{"no statement", `{"Version":"2012-10-17"}`, Identity, ProblemMissingStatement},
		{"empty statements", `{"Statement":[]}`, Identity, ProblemMissingStatement},
		{"bad version", `{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, Identity, ProblemVersion},
		{"bad effect", `{"Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}`, Identity, ProblemEffect},
		{"no action", `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, Identity, ProblemMissingAction},
		{"action without vendor", `{"Statement":[{"Effect":"Allow","Action":"PutObject","Resource":"*"}]}`, Identity, ProblemActionVendor},
		{"identity with principal", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`, Identity, ProblemProhibitedPrincipal},
		{"identity without resource", `{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}`, Identity, ProblemMissingResource},
		{"trust ok", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, Trust, 0},
		{"trust with resource", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","Resource":"*"}]}`, Trust, ProblemProhibitedResource},
		{"trust without principal", `{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`, Trust, ProblemMissingPrincipal},
		{"bad principal string", `{"Statement":[{"Effect":"Allow","Principal":"111111111111","Action":"sts:AssumeRole"}]}`, Trust, ProblemPrincipal},
		{"unknown principal type", `{"Statement":[{"Effect":"Allow","Principal":{"User":"x"},"Action":"sts:AssumeRole"}]}`, Trust, ProblemPrincipal},
		{"bucket ok", `{"Statement":[{"Sid":"a","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceAccount":["1","2"]},"ArnLike":{"aws:SourceArn":"arn:aws:logs:*:1:*"}}}]}`, ResourceBased, 0},
		{"bucket without principal", `{"Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}`, ResourceBased, ProblemMissingPrincipal},
		{"duplicate sid", `{"Statement":[{"Sid":"a","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},{"Sid":"a","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`, ResourceBased, ProblemDuplicateSid},
		{"bad operator", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"a":"b"}}}]}`, ResourceBased, ProblemConditionOperator},
		{"null if exists", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"a":"true"}}}]}`, ResourceBased, ProblemConditionOperator},
		{"bool condition value", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}`, ResourceBased, 0},
		{"unknown element", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Bogus":1}]}`, Identity, ProblemSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Validate(tt.doc, tt.kind)
			if tt.want == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Validate error = %v, want problem %d", err, tt.want)
			}
			if perr.Problem != tt.want {
				t.Fatalf("problem = %d (%s), want %d", perr.Problem, perr.Detail, tt.want)
			}
		})
	}
}

const deliveryTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole",
  "Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"},
               "ArnLike":{"aws:SourceArn":["arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/*","arn:aws:ec2:eu-west-1:111111111111:vpc-flow-log/*"]}}}]}`

func TestEvaluateTrust(t *testing.T) {
	p, err := Validate(deliveryTrust, Trust)
	if err != nil {
		t.Fatal(err)
	}
	flowLogs := Caller{Service: "vpc-flow-logs.amazonaws.com"}
	ctx := func(acct, arn string) map[string]string {
		return map[string]string{"aws:SourceAccount": acct, "aws:SourceArn": arn}
	}
	tests := []struct {
		name string
		r    Request
		want Decision
	}{
		{"matching account and region", Request{Caller: flowLogs, Action: "sts:AssumeRole",
			Context: ctx("111111111111", "arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/fl-0123")}, Allowed},
		{"second region in list", Request{Caller: flowLogs, Action: "sts:AssumeRole",
			Context: ctx("111111111111", "arn:aws:ec2:eu-west-1:111111111111:vpc-flow-log/fl-0123")}, Allowed},
		{"region not listed", Request{Caller: flowLogs, Action: "sts:AssumeRole",
			Context: ctx("111111111111", "arn:aws:ec2:ap-south-1:111111111111:vpc-flow-log/fl-0123")}, NotApplicable},
		{"other account", Request{Caller: flowLogs, Action: "sts:AssumeRole",
			Context: ctx("222222222222", "arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/fl-0123")}, NotApplicable},
		{"keys absent", Request{Caller: flowLogs, Action: "sts:AssumeRole"}, NotApplicable},
		{"key names are case-insensitive", Request{Caller: flowLogs, Action: "STS:assumerole",
			Context: map[string]string{"AWS:SOURCEACCOUNT": "111111111111", "aws:sourcearn": "arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/fl-1"}}, Allowed},
		{"wrong service", Request{Caller: Caller{Service: "delivery.logs.amazonaws.com"}, Action: "sts:AssumeRole",
			Context: ctx("111111111111", "arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/fl-0123")}, NotApplicable},
		{"aws principal", Request{Caller: Caller{Account: "111111111111"}, Action: "sts:AssumeRole"}, NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Evaluate(tt.r); got != tt.want {
				t.Fatalf("Evaluate = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEvaluateAWSPrincipals(t *testing.T) {
	doc := `{"Statement":[
	 {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::333333333333:root","444444444444","arn:aws:iam::555555555555:role/Runner"]},"Action":"sts:AssumeRole",
	  "Condition":{"StringEqualsIfExists":{"sts:ExternalId":"x-1"}}}]}`
	p, err := Validate(doc, Trust)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		caller Caller
		ctx    map[string]string
		want   Decision
	}{
		{"root arn admits any principal of the account", Caller{Account: "333333333333", ARNs: []string{"arn:aws:iam::333333333333:user/u"}}, nil, Allowed},
		{"bare account id", Caller{Account: "444444444444"}, nil, Allowed},
		{"root arn of another partition", Caller{Account: "333333333333", Partition: "aws-cn"}, nil, NotApplicable},
		{"role arn admits its sessions", Caller{Account: "555555555555", ARNs: []string{"arn:aws:iam::555555555555:role/Runner", "arn:aws:sts::555555555555:assumed-role/Runner/s"}}, nil, Allowed},
		{"other role of the account is not admitted", Caller{Account: "555555555555", ARNs: []string{"arn:aws:iam::555555555555:role/Other"}}, nil, NotApplicable},
		{"unknown account", Caller{Account: "666666666666"}, nil, NotApplicable},
		{"external id matches", Caller{Account: "333333333333"}, map[string]string{"sts:ExternalId": "x-1"}, Allowed},
		{"external id differs", Caller{Account: "333333333333"}, map[string]string{"sts:ExternalId": "x-2"}, NotApplicable},
		{"service is not an aws principal", Caller{Service: "ec2.amazonaws.com"}, nil, NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Request{Caller: tt.caller, Action: "sts:AssumeRole", Context: tt.ctx}
			if got := p.Evaluate(r); got != tt.want {
				t.Fatalf("Evaluate = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEvaluateBucketPolicy(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
	 {"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",
	  "Resource":["arn:aws:s3:::logs","arn:aws:s3:::logs/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},
	 {"Sid":"Write","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject",
	  "Resource":"arn:aws:s3:::logs/AWSLogs/111111111111/*",
	  "Condition":{"StringEquals":{"aws:SourceAccount":["111111111111"],"s3:x-amz-acl":"bucket-owner-full-control"},
	               "ArnLike":{"aws:SourceArn":"arn:aws:logs:*:111111111111:*"}}}]}`
	p, err := Validate(doc, ResourceBased)
	if err != nil {
		t.Fatal(err)
	}
	svc := Caller{Service: "delivery.logs.amazonaws.com"}
	ctx := map[string]string{
		"aws:SourceAccount":   "111111111111",
		"aws:SourceArn":       "arn:aws:logs:us-east-1:111111111111:vpc-flow-log/fl-1",
		"s3:x-amz-acl":        "bucket-owner-full-control",
		"aws:SecureTransport": "true",
	}
	with := func(k, v string) map[string]string {
		out := map[string]string{}
		for kk, vv := range ctx {
			out[kk] = vv
		}
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	key := "arn:aws:s3:::logs/AWSLogs/111111111111/vpcflowlogs/us-east-1/2024/01/01/x.log.gz"
	tests := []struct {
		name     string
		resource string
		ctx      map[string]string
		want     Decision
	}{
		{"delivery allowed", key, ctx, Allowed},
		{"other account's path", "arn:aws:s3:::logs/AWSLogs/222222222222/vpcflowlogs/x", with("aws:SourceAccount", "222222222222"), NotApplicable},
		{"source account mismatch", key, with("aws:SourceAccount", "222222222222"), NotApplicable},
		{"source arn from ec2 service", key, with("aws:SourceArn", "arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/fl-1"), NotApplicable},
		{"acl missing", key, with("s3:x-amz-acl", ""), NotApplicable},
		{"insecure transport denied", key, with("aws:SecureTransport", "false"), Denied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Request{Caller: svc, Action: "s3:PutObject", Resource: tt.resource, Context: tt.ctx}
			if got := p.Evaluate(r); got != tt.want {
				t.Fatalf("Evaluate = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConditionOperators(t *testing.T) {
	tests := []struct {
		op     string
		values []string
		ctx    map[string]string
		want   bool
	}{
		{"StringEquals", []string{"a", "b"}, map[string]string{"k": "b"}, true},
		{"StringEquals", []string{"a"}, map[string]string{"k": "A"}, false},
		{"StringEquals", []string{"a"}, nil, false},
		{"StringNotEquals", []string{"a", "b"}, map[string]string{"k": "b"}, false},
		{"StringNotEquals", []string{"a", "b"}, map[string]string{"k": "c"}, true},
		{"StringNotEquals", []string{"a"}, nil, true},
		{"StringEqualsIgnoreCase", []string{"a"}, map[string]string{"k": "A"}, true},
		{"StringLike", []string{"a*"}, map[string]string{"k": "abc"}, true},
		{"StringNotLike", []string{"a*"}, map[string]string{"k": "abc"}, false},
		{"StringEqualsIfExists", []string{"a"}, nil, true},
		{"StringEqualsIfExists", []string{"a"}, map[string]string{"k": "b"}, false},
		{"ArnLike", []string{"arn:aws:logs:*:1:*"}, map[string]string{"k": "arn:aws:logs:us-east-1:1:log-group:x:*"}, true},
		{"ArnLike", []string{"arn:aws:logs:*:1:*"}, map[string]string{"k": "arn:aws:logs:us-east-1:2:x"}, false},
		{"ArnEquals", []string{"arn:aws:ec2:us-east-1:1:vpc-flow-log/*"}, map[string]string{"k": "arn:aws:ec2:us-east-1:1:vpc-flow-log/fl-1"}, true},
		{"ArnLike", []string{"arn:aws:ec2:*"}, map[string]string{"k": "arn:aws:ec2:us-east-1:1:x"}, false},
		{"ArnNotLike", []string{"arn:aws:logs:*:1:*"}, nil, true},
		{"Bool", []string{"false"}, map[string]string{"k": "false"}, true},
		{"Bool", []string{"false"}, map[string]string{"k": "true"}, false},
		{"Null", []string{"true"}, nil, true},
		{"Null", []string{"true"}, map[string]string{"k": "x"}, false},
		{"Null", []string{"false"}, map[string]string{"k": "x"}, true},
		{"NumericLessThan", []string{"10"}, map[string]string{"k": "9"}, true},
		{"NumericLessThan", []string{"10"}, map[string]string{"k": "10"}, false},
		{"DateGreaterThan", []string{"2020-01-01T00:00:00Z"}, map[string]string{"k": "2021-01-01T00:00:00Z"}, true},
		{"IpAddress", []string{"10.0.0.0/8"}, map[string]string{"k": "10.1.2.3"}, true},
		{"NotIpAddress", []string{"10.0.0.0/8"}, map[string]string{"k": "10.1.2.3"}, false},
		{"ForAllValues:StringEquals", []string{"a"}, nil, true},
		{"ForAnyValue:StringEquals", []string{"a"}, nil, false},
	}
	for _, tt := range tests {
		c := Condition{Operator: tt.op, Key: "k", Values: tt.values}
		if got := c.holds(tt.ctx); got != tt.want {
			t.Errorf("%s %v with %v = %v, want %v", tt.op, tt.values, tt.ctx, got, tt.want)
		}
	}
}

func TestIsAllowed(t *testing.T) {
	allow, _ := Parse(`{"Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:1:log-group:g:*"}]}`)
	deny, _ := Parse(`{"Statement":[{"Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`)
	r := Request{Action: "logs:PutLogEvents", Resource: "arn:aws:logs:us-east-1:1:log-group:g:log-stream:eni-1-all"}
	if !IsAllowed(r, allow, nil) {
		t.Error("allow alone: want allowed")
	}
	if IsAllowed(r, allow, deny) {
		t.Error("allow and deny: want denied")
	}
	if IsAllowed(r) {
		t.Error("no policies: want denied")
	}
	r.Resource = "arn:aws:logs:us-east-1:1:log-group:other:log-stream:x"
	if IsAllowed(r, allow) {
		t.Error("other log group: want denied")
	}
}

func TestNormalizePrincipals(t *testing.T) {
	in := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ["111111111111", "arn:aws:iam::222222222222:role/r"]}, "Action": "sts:AssumeRole"}]}`
	got, changed, err := NormalizePrincipals(in, "")
	if err != nil || !changed {
		t.Fatalf("NormalizePrincipals: changed=%v err=%v", changed, err)
	}
	want := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","arn:aws:iam::222222222222:role/r"]},"Action":"sts:AssumeRole"}]}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	same := `{"Statement":{"Effect":"Allow","Principal":{"Service":"x"},"Action":"sts:AssumeRole"}}`
	cn, _, err := NormalizePrincipals(in, "aws-cn")
	if err != nil || !strings.Contains(cn, `"arn:aws-cn:iam::111111111111:root"`) {
		t.Fatalf("in aws-cn: %s, %v", cn, err)
	}
	got, changed, err = NormalizePrincipals(same, "")
	if err != nil || changed || got != same {
		t.Fatalf("unchanged doc: got %q changed=%v err=%v", got, changed, err)
	}
	compact, err := Compact("{ \"b\": 1, \"a\": [true, null, \"<&>\"] }")
	if err != nil || compact != `{"b":1,"a":[true,null,"<&>"]}` {
		t.Fatalf("Compact = %q, %v", compact, err)
	}
}

func TestSize(t *testing.T) {
	if got := Size("{ \"a\" :\n\t1 }"); got != 7 {
		t.Fatalf("Size = %d, want 7", got)
	}
}
