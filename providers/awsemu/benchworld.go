package awsemu

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// BenchWorldOptions size the organisation BenchWorld generates for
// 'flowplan sandbox bench'.
type BenchWorldOptions struct {
	// Accounts is the number of accounts, the organisation's management
	// account (the first) included. At least 1.
	Accounts int
	// Regions are the regions every account has VPCs in; none may be an
	// opt-in region.
	Regions []string
	// VPCs is the number of VPCs per account-region, at most 65,536.
	VPCs int
	// Subnets is the number of subnets per VPC, at most 16 (/28s of the
	// VPC's /24).
	Subnets int
	// RunnerRole is the role, in every account, that the management
	// account's credentials may assume.
	RunnerRole string
	// Bucket is the S3 bucket, in the management account, that the log
	// delivery service may write to (its policy allows it).
	Bucket string
	// Seed drives the generated IDs.
	Seed int64
}

// benchRegions are the regions BenchRegions hands out, in order: enabled
// by default in every account, so that none needs an opt-in.
var benchRegions = []string{
	"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2", "eu-central-1", "us-east-2", "ap-northeast-1",
	"us-west-1", "eu-west-2", "ap-southeast-1", "ca-central-1", "eu-north-1", "ap-south-1", "sa-east-1",
	"eu-west-3", "ap-northeast-2", "ap-northeast-3",
}

// BenchRegions returns the first n of the default-enabled commercial
// regions the bench uses, or an error when n is out of range.
func BenchRegions(n int) ([]string, error) {
	if n < 1 || n > len(benchRegions) {
		return nil, fmt.Errorf("regions must be between 1 and %d (the default-enabled regions the bench uses), got %d", len(benchRegions), n)
	}
	return append([]string(nil), benchRegions[:n]...), nil
}

// BenchAccountID is the ID of the bench organisation's i-th account
// (0 is the management account).
func BenchAccountID(i int) string { return fmt.Sprintf("%012d", 100000000000+i) }

// BenchWorld generates an organisation of o.Accounts accounts, each with
// o.VPCs VPCs (tagged env=bench, each with o.Subnets subnets) in every one
// of o.Regions, no flow logs, the runner role in every account, and the
// delivery bucket. The world is built in memory, as ApplyWorld takes it:
// nothing goes through the API, so a 40,000-VPC world is seeded in about a
// second.
func BenchWorld(o BenchWorldOptions) (*World, error) {
	switch {
	case o.Accounts < 1:
		return nil, fmt.Errorf("accounts must be at least 1, got %d", o.Accounts)
	case o.Accounts > 900_000_000_000:
		return nil, fmt.Errorf("accounts must be fewer than 900,000,000,000, got %d", o.Accounts)
	case len(o.Regions) == 0:
		return nil, fmt.Errorf("at least one region is required")
	case o.VPCs < 0 || o.VPCs > 65536:
		return nil, fmt.Errorf("vpcs must be between 0 and 65536 per account-region, got %d", o.VPCs)
	case o.Subnets < 0 || o.Subnets > 16:
		return nil, fmt.Errorf("subnets must be between 0 and 16 per VPC, got %d", o.Subnets)
	case o.RunnerRole == "" || o.Bucket == "":
		return nil, fmt.Errorf("the runner role and the bucket must be named")
	}
	mgmt := BenchAccountID(0)
	w := &World{Seed: o.Seed}
	w.Credentials = []WorldCredential{{Account: mgmt, ARN: "arn:aws:iam::" + mgmt + ":user/flowplan-bench", Sandbox: true}}
	trust := scalarNode(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + mgmt + `:root"},"Action":"sts:AssumeRole"}]}`)
	bucketPolicy := scalarNode(`{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"LogDeliveryAclCheck","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::` + o.Bucket + `"},` +
		`{"Sid":"LogDeliveryWrite","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + o.Bucket + `/*"}]}`)
	// One VPC per region, reused by value: ApplyWorld copies what it takes.
	vpcs := make([]WorldVPC, o.VPCs)
	for v := range vpcs {
		cidr := fmt.Sprintf("10.%d.%d.0/24", v/256, v%256)
		vpc := WorldVPC{Name: fmt.Sprintf("bench-%d", v), CIDR: cidr, Tags: map[string]string{"env": "bench"}}
		for s := 0; s < o.Subnets; s++ {
			vpc.Subnets = append(vpc.Subnets, WorldSubnet{CIDR: fmt.Sprintf("10.%d.%d.%d/28", v/256, v%256, 16*s)})
		}
		vpcs[v] = vpc
	}
	ids := make([]string, o.Accounts)
	for i := range ids {
		ids[i] = BenchAccountID(i)
		a := WorldAccount{ID: ids[i], Name: fmt.Sprintf("bench-%d", i), Regions: map[string]WorldRegion{},
			Roles: []WorldRole{{Name: o.RunnerRole, TrustPolicy: trust}}}
		for _, r := range o.Regions {
			rv := make([]WorldVPC, len(vpcs))
			copy(rv, vpcs)
			for v := range rv {
				// Subnets are per region: their zone is the region's.
				subnets := make([]WorldSubnet, len(rv[v].Subnets))
				for s, sn := range rv[v].Subnets {
					sn.AZ = r + "a"
					subnets[s] = sn
				}
				rv[v].Subnets = subnets
			}
			a.Regions[r] = WorldRegion{VPCs: rv}
		}
		if i == 0 {
			a.Buckets = []WorldBucket{{Name: o.Bucket, Policy: bucketPolicy}}
		}
		w.Accounts = append(w.Accounts, a)
	}
	w.Organization = &WorldOrganization{ManagementAccount: mgmt, Root: WorldOU{Accounts: ids}}
	return w, nil
}

// scalarNode is a world policy given as a JSON string.
func scalarNode(s string) yaml.Node {
	return yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}
