package aws

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/flowplan/flowplan/providers/awsemu"
)

// seed declares what an integration test needs before flowplan runs and
// that flowplan never creates: networks, buckets and the organisation.
// Backends build it their own way (moto through its API, the emulator from
// a world) and return the IDs by name. Everything else (roles, log groups,
// flow logs, bucket policies) tests create through the AWS API, which both
// backends serve.
type seed struct {
	// networks are keyed by "<account>/<region>".
	networks map[string][]seedVPC
	tgws     map[string][]seedTGW
	buckets  []seedBucket
	org      *seedOU
}

type seedVPC struct {
	name, cidr string
	tags       map[string]string
	subnets    []seedSubnet
}

type seedSubnet struct {
	name, cidr string
	tags       map[string]string
	enis       []string
}

type seedTGW struct {
	name        string
	attachments []seedAttachment
}

// seedAttachment attaches the named VPC, through its first subnet.
type seedAttachment struct{ name, vpc string }

type seedBucket struct{ owner, region, name string }

// seedOU is the organisation root (or an OU): accounts by name (a name
// starting with "suspended-" is a suspended account) and child OUs. The
// management account is always baseAccount.
type seedOU struct {
	name     string
	accounts []string
	ous      []*seedOU
}

func (s *seed) vpcs(scope string, v ...seedVPC) *seed {
	if s.networks == nil {
		s.networks = map[string][]seedVPC{}
	}
	s.networks[scope] = append(s.networks[scope], v...)
	return s
}

// seedMoto builds the seed through moto's API and returns IDs by name.
func seedMoto(t testing.TB, p *Provider, s *seed) map[string]string {
	t.Helper()
	ctx := context.Background()
	ids := map[string]string{}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, scope := range sortedKeys(s.networks, s.tgws) {
		account, region := splitScope(scope)
		c := p.ec2(testSession(t, p, testAccount(account)), region)
		for _, v := range s.networks[scope] {
			out, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(v.cidr), TagSpecifications: ec2TagSpec(ec2types.ResourceTypeVpc, v.tags)})
			must(err)
			ids[v.name] = aws.ToString(out.Vpc.VpcId)
			for _, sn := range v.subnets {
				out, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: out.Vpc.VpcId, CidrBlock: aws.String(sn.cidr), TagSpecifications: ec2TagSpec(ec2types.ResourceTypeSubnet, sn.tags)})
				must(err)
				ids[sn.name] = aws.ToString(out.Subnet.SubnetId)
				for _, eni := range sn.enis {
					out, err := c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: out.Subnet.SubnetId})
					must(err)
					ids[eni] = aws.ToString(out.NetworkInterface.NetworkInterfaceId)
				}
			}
		}
		for _, tg := range s.tgws[scope] {
			out, err := c.CreateTransitGateway(ctx, &ec2.CreateTransitGatewayInput{})
			must(err)
			ids[tg.name] = aws.ToString(out.TransitGateway.TransitGatewayId)
			for _, a := range tg.attachments {
				subnet := ids[s.firstSubnet(a.vpc)]
				out, err := c.CreateTransitGatewayVpcAttachment(ctx, &ec2.CreateTransitGatewayVpcAttachmentInput{
					TransitGatewayId: out.TransitGateway.TransitGatewayId, VpcId: aws.String(ids[a.vpc]), SubnetIds: []string{subnet}})
				must(err)
				ids[a.name] = aws.ToString(out.TransitGatewayVpcAttachment.TransitGatewayAttachmentId)
			}
		}
	}
	for _, b := range s.buckets {
		in := &s3.CreateBucketInput{Bucket: aws.String(b.name)}
		if b.region != "us-east-1" {
			in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(b.region)}
		}
		_, err := p.s3(testSession(t, p, testAccount(b.owner)), b.region).CreateBucket(ctx, in)
		must(err)
	}
	if s.org != nil {
		seedMotoOrg(t, p, s.org, ids)
	}
	return ids
}

func seedMotoOrg(t testing.TB, p *Provider, root *seedOU, ids map[string]string) {
	ctx := context.Background()
	c := p.organizations()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	must(err)
	roots, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
	must(err)
	var walk func(ou *seedOU, id string)
	walk = func(ou *seedOU, id string) {
		ids[ou.name] = id
		for _, name := range ou.accounts {
			out, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
			must(err)
			acct := aws.ToString(out.CreateAccountStatus.AccountId)
			ids[name] = acct
			if ou != root {
				_, err = c.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(acct), SourceParentId: aws.String(ids[root.name]), DestinationParentId: aws.String(id)})
				must(err)
			}
			if isSuspended(name) {
				_, err = c.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(acct)})
				must(err)
			}
		}
		for _, child := range ou.ous {
			out, err := c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(id), Name: aws.String(child.name)})
			must(err)
			walk(child, aws.ToString(out.OrganizationalUnit.Id))
		}
	}
	walk(root, aws.ToString(roots.Roots[0].Id))
}

func isSuspended(name string) bool { return len(name) > 10 && name[:10] == "suspended-" }

// emuWorld turns a seed into an emulator world with fixed IDs. It always
// has baseAccount (whose key the tests use) and the accounts tests reach
// by AssumeRole.
func emuWorld(s *seed, accessKey, secret string) (*awsemu.World, map[string]string) {
	ids := map[string]string{}
	n := 0
	id := func(prefix string) string {
		n++
		return fmt.Sprintf("%s0%016x", prefix, n)
	}
	accounts := map[string]*awsemu.WorldAccount{}
	account := func(a string) *awsemu.WorldAccount {
		if accounts[a] == nil {
			accounts[a] = &awsemu.WorldAccount{ID: a, Name: "acct-" + a, Email: a + "@example.com", Regions: map[string]awsemu.WorldRegion{}}
		}
		return accounts[a]
	}
	for _, a := range []string{baseAccount, "111111111111", "222222222222"} {
		account(a)
	}
	for _, scope := range sortedKeys(s.networks, s.tgws) {
		a, region := splitScope(scope)
		wr := account(a).Regions[region]
		for _, v := range s.networks[scope] {
			wv := awsemu.WorldVPC{ID: id("vpc-"), CIDR: v.cidr, Tags: v.tags}
			ids[v.name] = wv.ID
			for _, sn := range v.subnets {
				ws := awsemu.WorldSubnet{ID: id("subnet-"), CIDR: sn.cidr, AZ: region + "a", Tags: sn.tags}
				ids[sn.name] = ws.ID
				for _, eni := range sn.enis {
					we := awsemu.WorldENI{ID: id("eni-")}
					ids[eni] = we.ID
					ws.ENIs = append(ws.ENIs, we)
				}
				wv.Subnets = append(wv.Subnets, ws)
			}
			wr.VPCs = append(wr.VPCs, wv)
		}
		for _, tg := range s.tgws[scope] {
			wt := awsemu.WorldTGW{ID: id("tgw-")}
			ids[tg.name] = wt.ID
			for _, at := range tg.attachments {
				wa := awsemu.WorldAttachment{ID: id("tgw-attach-"), VPC: ids[at.vpc]}
				ids[at.name] = wa.ID
				wt.Attachments = append(wt.Attachments, wa)
			}
			wr.TransitGateways = append(wr.TransitGateways, wt)
		}
		account(a).Regions[region] = wr
	}
	for _, b := range s.buckets {
		wa := account(b.owner)
		wa.Buckets = append(wa.Buckets, awsemu.WorldBucket{Name: b.name, Region: b.region})
	}
	w := &awsemu.World{Seed: 1, Credentials: []awsemu.WorldCredential{{AccessKeyID: accessKey, SecretAccessKey: secret, Account: baseAccount, Sandbox: true}}}
	if s.org != nil {
		w.Organization = &awsemu.WorldOrganization{ManagementAccount: baseAccount, Root: emuOU(s.org, ids, account, true)}
	}
	for _, a := range slices.Sorted(maps.Keys(accounts)) {
		w.Accounts = append(w.Accounts, *accounts[a])
	}
	// The management account must come first: the world's first account
	// is where generated credentials would go, and tests use baseAccount.
	slices.SortStableFunc(w.Accounts, func(x, y awsemu.WorldAccount) int {
		return boolInt(y.ID == baseAccount) - boolInt(x.ID == baseAccount)
	})
	return w, ids
}

// emuOU declares an OU with fixed IDs: OU IDs ou-test-NNNNNNNN, account
// IDs 3000000000NN.
func emuOU(ou *seedOU, ids map[string]string, account func(string) *awsemu.WorldAccount, root bool) awsemu.WorldOU {
	w := awsemu.WorldOU{Name: ou.name, ID: fmt.Sprintf("ou-test-%08d", len(ids))}
	if root {
		w.ID = "r-test"
		w.Accounts = append(w.Accounts, baseAccount)
	}
	ids[ou.name] = w.ID
	for _, name := range ou.accounts {
		id := fmt.Sprintf("3%011d", len(ids))
		ids[name] = id
		a := account(id)
		a.Name = name
		if isSuspended(name) {
			a.Status = "SUSPENDED"
		}
		w.Accounts = append(w.Accounts, id)
	}
	for _, child := range ou.ous {
		w.OUs = append(w.OUs, emuOU(child, ids, account, false))
	}
	return w
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *seed) firstSubnet(vpc string) string {
	for _, vs := range s.networks {
		for _, v := range vs {
			if v.name == vpc && len(v.subnets) > 0 {
				return v.subnets[0].name
			}
		}
	}
	return ""
}

func splitScope(scope string) (account, region string) {
	for i := range scope {
		if scope[i] == '/' {
			return scope[:i], scope[i+1:]
		}
	}
	return scope, ""
}

func sortedKeys[A, B any](m1 map[string]A, m2 map[string]B) []string {
	seen := map[string]bool{}
	for k := range m1 {
		seen[k] = true
	}
	for k := range m2 {
		seen[k] = true
	}
	return slices.Sorted(maps.Keys(seen))
}
