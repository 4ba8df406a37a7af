package arn

import "testing"

func TestPartition(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "aws", "eu-west-1": "aws", "cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn",
		"us-gov-west-1": "aws-us-gov", "us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b", "": "aws",
	} {
		if got := Partition(region); got != want {
			t.Errorf("Partition(%q) = %q, want %q", region, got, want)
		}
	}
}

func TestBuildAndParse(t *testing.T) {
	if got := Role("aws-cn", "111111111111", "/flowplan/", "r"); got != "arn:aws-cn:iam::111111111111:role/flowplan/r" {
		t.Errorf("Role = %s", got)
	}
	if got := Role("aws", "111111111111", "", "r"); got != "arn:aws:iam::111111111111:role/r" {
		t.Errorf("Role with empty path = %s", got)
	}
	if acct, name, ok := ParseRole("arn:aws-us-gov:iam::222222222222:role/a/b/c"); !ok || acct != "222222222222" || name != "c" {
		t.Errorf("ParseRole = %s %s %v", acct, name, ok)
	}
	for _, bad := range []string{"", "arn:aws:iam::1:user/x", "arn:aws:s3:::b", "arn:aws:iam::1:role/", "role/x"} {
		if _, _, ok := ParseRole(bad); ok {
			t.Errorf("ParseRole(%q) ok", bad)
		}
	}
	lg := LogGroup("111111111111", "cn-north-1", "/a/b")
	if lg != "arn:aws-cn:logs:cn-north-1:111111111111:log-group:/a/b" {
		t.Errorf("LogGroup = %s", lg)
	}
	for _, s := range []string{lg, lg + ":*", LogGroupStreams("111111111111", "cn-north-1", "/a/b")} {
		if name, ok := ParseLogGroup(s); !ok || name != "/a/b" {
			t.Errorf("ParseLogGroup(%s) = %q %v", s, name, ok)
		}
	}
	if _, ok := ParseLogGroup("arn:aws:s3:::x"); ok {
		t.Error("ParseLogGroup of an S3 ARN ok")
	}
	if p, b, pre, ok := ParseBucket("arn:aws-us-gov:s3:::logs/a/b/"); !ok || p != "aws-us-gov" || b != "logs" || pre != "a/b/" {
		t.Errorf("ParseBucket = %s %s %s %v", p, b, pre, ok)
	}
	if _, _, _, ok := ParseBucket("arn:aws:s3:us-east-1:1:x"); ok {
		t.Error("ParseBucket with region ok")
	}
	if got := Bucket("aws-cn", "b"); got != "arn:aws-cn:s3:::b" {
		t.Errorf("Bucket = %s", got)
	}
	if got := FlowLogs("1", "us-gov-east-1"); got != "arn:aws-us-gov:ec2:us-gov-east-1:1:vpc-flow-log/*" {
		t.Errorf("FlowLogs = %s", got)
	}
	if got := LogDeliverySources("aws", "1"); got != "arn:aws:logs:*:1:*" {
		t.Errorf("LogDeliverySources = %s", got)
	}
	if got := AccountRoot("aws-cn", "1"); got != "arn:aws-cn:iam::1:root" {
		t.Errorf("AccountRoot = %s", got)
	}
	if got := DeliveryStreamAccount("arn:aws:firehose:us-east-1:333333333333:deliverystream/s"); got != "333333333333" {
		t.Errorf("DeliveryStreamAccount = %s", got)
	}
}
