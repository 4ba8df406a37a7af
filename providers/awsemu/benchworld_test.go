package awsemu_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/flowplan/flowplan/providers/awsemu"
)

// The bench world has every account, in every region, the VPCs and
// subnets asked for, in the organisation, and answers the management
// account's sandbox credentials.
func TestBenchWorld(t *testing.T) {
	regions, err := awsemu.BenchRegions(2)
	if err != nil {
		t.Fatal(err)
	}
	w, err := awsemu.BenchWorld(awsemu.BenchWorldOptions{Accounts: 3, Regions: regions, VPCs: 4, Subnets: 2, RunnerRole: "Runner", Bucket: "bench-bucket"})
	if err != nil {
		t.Fatal(err)
	}
	emu := awsemu.New(awsemu.Options{})
	must(t, emu.ApplyWorld(w))
	if got := emu.Accounts(); len(got) != 3 || got[0] != awsemu.BenchAccountID(0) {
		t.Fatalf("accounts = %v", got)
	}
	akid, secret := emu.SandboxCredentials()
	for _, r := range regions {
		c := ec2.NewFromConfig(aws.Config{Region: r, Credentials: credentials.NewStaticCredentialsProvider(akid, secret, ""),
			BaseEndpoint: aws.String("http://sandbox.awsemu"), HTTPClient: emu.HTTPClient()})
		vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		if err != nil {
			t.Fatal(err)
		}
		subnets, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(vpcs.Vpcs) != 4 || len(subnets.Subnets) != 8 {
			t.Errorf("%s: %d VPCs and %d subnets, want 4 and 8", r, len(vpcs.Vpcs), len(subnets.Subnets))
		}
		for _, s := range subnets.Subnets {
			if aws.ToString(s.AvailabilityZone) != r+"a" {
				t.Errorf("%s: subnet %s in zone %s", r, aws.ToString(s.SubnetId), aws.ToString(s.AvailabilityZone))
			}
		}
	}
	for _, bad := range []awsemu.BenchWorldOptions{{Accounts: 0}, {Accounts: 1, Regions: regions, VPCs: 1, Subnets: 17, RunnerRole: "r", Bucket: "b"}} {
		if _, err := awsemu.BenchWorld(bad); err == nil {
			t.Errorf("BenchWorld(%+v) took it", bad)
		}
	}
	if _, err := awsemu.BenchRegions(0); err == nil {
		t.Error("BenchRegions(0) took it")
	}
}
