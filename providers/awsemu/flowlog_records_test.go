package awsemu

import (
	"strings"
	"testing"
	"time"
)

// Every field a VPC flow log accepts has a value in delivered records, so
// that a new field in the table fails here rather than writing "-" quietly.
func TestRecordFieldsCoverEveryField(t *testing.T) {
	for f := range vpcFields {
		if f == "version" {
			continue
		}
		if recordFields[f] == nil {
			t.Errorf("field %s has no value in recordFields", f)
		}
		if fieldVersion[f] == 0 {
			t.Errorf("field %s has no version", f)
		}
	}
	for f := range recordFields {
		if !vpcFields[f] {
			t.Errorf("recordFields has %s, which VPC flow logs do not accept", f)
		}
	}
}

func TestFlowsArePlausibleAndSeeded(t *testing.T) {
	n := &eni{ID: "eni-0123456789abcdef0", SubnetID: "subnet-1", VPCID: "vpc-1", PrivateIP: "10.0.1.10", Type: "interface",
		Tags: tags{"team": "web"}}
	sub := &subnet{ID: "subnet-1", CIDR: "10.0.1.0/24", AZID: "use1-az1"}
	fl := &flowLog{TrafficType: "ALL", TagFieldSpecs: []tagFieldSpec{{ResourceType: "network-interface", TagKeys: []string{"team"}}}}
	ws := time.Date(2025, 3, 1, 12, 7, 0, 0, time.UTC)
	fields := formatFields("${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} " +
		"${action} ${log-status} ${tcp-flags} ${flow-direction} ${traffic-path} ${az-id} ${interface-tag} ${instance-id}")
	if v := formatVersion(fields); v != 11 {
		t.Fatalf("version = %d, want 11 (interface-tag)", v)
	}
	seen := map[string]bool{}
	for m := 0; m < 200; m++ {
		start := ws.Add(time.Duration(m) * time.Minute)
		a := flowsFor(7, "111111111111", "us-east-1", n, sub, start)
		b := flowsFor(7, "111111111111", "us-east-1", n, sub, start)
		if len(a) == 0 || len(a) != len(b) {
			t.Fatalf("minute %d: %d and %d flows", m, len(a), len(b))
		}
		for i := range a {
			ra, rb := a[i].record(fields, 11, fl), b[i].record(fields, 11, fl)
			if strings.Join(ra, " ") != strings.Join(rb, " ") {
				t.Fatalf("the same minute gave %q and %q", ra, rb)
			}
			f := a[i]
			if f.start < start.Unix() || f.end < f.start || f.end >= start.Add(time.Minute).Unix() {
				t.Errorf("flow %+v is outside its minute", f)
			}
			if f.protocol == 1 && (f.srcPort != 0 || f.dstPort != 0 || f.tcpFlags != 0) {
				t.Errorf("ICMP flow with ports or flags: %+v", f)
			}
			if f.ingress != (f.dst == n.PrivateIP) || (!f.ingress && f.src != n.PrivateIP) {
				t.Errorf("direction and addresses disagree: %+v", f)
			}
			if ra[0] != "11" || ra[11] != "OK" || ra[15] != "use1-az1" || ra[16] != "web" || ra[17] != "i-0123456789abcdef0" {
				t.Errorf("record %q", ra)
			}
			if f.ingress && ra[14] != "-" || !f.ingress && ra[14] == "-" {
				t.Errorf("traffic-path %q on a flow with ingress=%v", ra[14], f.ingress)
			}
			seen[f.action] = true
		}
	}
	if !seen["ACCEPT"] || !seen["REJECT"] {
		t.Errorf("200 minutes of flows have actions %v, want both", seen)
	}
	if flowsFor(7, "111111111111", "us-east-1", &eni{ID: "eni-1", NoTraffic: true}, sub, ws) != nil {
		t.Error("an idle interface has flows")
	}
	if other := flowsFor(8, "111111111111", "us-east-1", n, sub, ws); strings.Join(other[0].record(fields, 11, fl), " ") ==
		strings.Join(flowsFor(7, "111111111111", "us-east-1", n, sub, ws)[0].record(fields, 11, fl), " ") {
		t.Error("another seed gave the same first record")
	}
}

func TestS3ObjectKey(t *testing.T) {
	at := time.Date(2024, 1, 5, 9, 35, 0, 0, time.UTC)
	tests := []struct {
		o    *destinationOptions
		want string
	}{
		{nil, "p/AWSLogs/111111111111/vpcflowlogs/eu-west-1/2024/01/05/111111111111_vpcflowlogs_eu-west-1_fl-1_20240105T0935Z_abcd0123.log.gz"},
		{&destinationOptions{FileFormat: "plain-text", PerHourPartition: true},
			"p/AWSLogs/111111111111/vpcflowlogs/eu-west-1/2024/01/05/09/111111111111_vpcflowlogs_eu-west-1_fl-1_20240105T0935Z_abcd0123.log.gz"},
		{&destinationOptions{FileFormat: "parquet", HiveCompatiblePartitions: true},
			"p/AWSLogs/aws-account-id=111111111111/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=01/day=05/111111111111_vpcflowlogs_eu-west-1_fl-1_20240105T0935Z_abcd0123.log.parquet"},
		{&destinationOptions{FileFormat: "parquet", HiveCompatiblePartitions: true, PerHourPartition: true},
			"p/AWSLogs/aws-account-id=111111111111/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=01/day=05/hour=09/111111111111_vpcflowlogs_eu-west-1_fl-1_20240105T0935Z_abcd0123.log.parquet"},
	}
	for _, tt := range tests {
		if got := s3ObjectKey("p/", "111111111111", "eu-west-1", "fl-1", tt.o, at, "abcd0123"); got != tt.want {
			t.Errorf("key = %s\nwant  %s", got, tt.want)
		}
	}
}
