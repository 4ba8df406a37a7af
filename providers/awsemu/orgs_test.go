package awsemu_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

func TestOrganizationSandbox(t *testing.T) {
	s := emutest.Start(t, awsemu.Options{}, "../../examples/sandbox/world.yaml")
	client := organizations.NewFromConfig(noRetry(s.Config("us-east-1")))
	org, err := client.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	must(t, err)
	if aws.ToString(org.Organization.MasterAccountId) != "333333333333" || !strings.HasPrefix(aws.ToString(org.Organization.Id), "o-") {
		t.Fatalf("organization = %+v", org.Organization)
	}
	roots, err := client.ListRoots(ctx, &organizations.ListRootsInput{})
	must(t, err)
	if len(roots.Roots) != 1 {
		t.Fatalf("roots = %+v", roots.Roots)
	}
	root := aws.ToString(roots.Roots[0].Id)

	status := map[string]orgtypes.AccountStatus{}
	p := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{MaxResults: aws.Int32(3)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		must(t, err)
		for _, a := range out.Accounts {
			status[aws.ToString(a.Id)] = a.Status
		}
	}
	want := map[string]orgtypes.AccountStatus{"111111111111": "ACTIVE", "123456789012": "ACTIVE", "222222222222": "ACTIVE",
		"333333333333": "ACTIVE", "444444444444": "SUSPENDED", "555555555555": "ACTIVE", "666666666666": "ACTIVE",
		"777777777777": "ACTIVE", "999999999999": "ACTIVE"}
	if fmt.Sprint(status) != fmt.Sprint(want) {
		t.Fatalf("accounts = %v, want %v", status, want)
	}

	// Walk the tree: root → Workloads → Prod, Staging, Payments; Shared
	// Services; Suspended. The root and two OUs have the IDs that
	// examples/organization.yaml names.
	if root != "r-ab12" {
		t.Errorf("root = %s, want r-ab12", root)
	}
	var tree []string
	ouIDs := map[string]string{}
	var walk func(parent, path string)
	walk = func(parent, path string) {
		accts, err := client.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
		must(t, err)
		for _, a := range accts.Accounts {
			tree = append(tree, path+"/"+aws.ToString(a.Id))
		}
		ous, err := client.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
		must(t, err)
		for _, ou := range ous.OrganizationalUnits {
			ouIDs[aws.ToString(ou.Name)] = aws.ToString(ou.Id)
			walk(aws.ToString(ou.Id), path+"/"+aws.ToString(ou.Name))
		}
	}
	walk(root, "")
	sort.Strings(tree)
	for name, id := range map[string]string{"Workloads": "ou-ab12-cdef3456", "Shared Services": "ou-ab12-ghij7890"} {
		if ouIDs[name] != id {
			t.Errorf("OU %s has ID %q, want %s", name, ouIDs[name], id)
		}
	}
	wantTree := "/333333333333 /Shared Services/555555555555 /Shared Services/666666666666 /Shared Services/999999999999" +
		" /Suspended/444444444444 /Workloads/Payments/123456789012 /Workloads/Prod/111111111111 /Workloads/Prod/777777777777" +
		" /Workloads/Staging/222222222222"
	if strings.Join(tree, " ") != wantTree {
		t.Fatalf("tree = %v, want %s", tree, wantTree)
	}

	_, err = client.ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(21)})
	wantAPIError(t, err, "InvalidInputException", "too large")
	_, err = client.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: aws.String("x")})
	wantAPIError(t, err, "InvalidInputException", "nextToken")
	_, err = client.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String("ou-abcd-12345678")})
	wantAPIError(t, err, "ParentNotFoundException", "")
	_, err = client.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String("111111111111")})
	wantAPIError(t, err, "InvalidInputException", "")

	// A member account that is not the management account may not read it.
	member := organizations.NewFromConfig(noRetry(emutest.AssumeRole(s.Config("us-east-1"), "arn:aws:iam::111111111111:role/FlowplanRunner")))
	_, err = member.ListAccounts(ctx, &organizations.ListAccountsInput{})
	wantAPIError(t, err, "AccessDeniedException", "You don't have permissions")
}

func TestOrganizationNotInUse(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	_, err := organizations.NewFromConfig(oneCfg(s)).ListRoots(ctx, &organizations.ListRootsInput{})
	wantAPIError(t, err, "AWSOrganizationsNotInUseException", "not a member of an organization")
}

func TestFirehose(t *testing.T) {
	world := strings.Replace(testWorld, "        log_groups:\n", "        delivery_streams: [{name: flow-logs}]\n        log_groups:\n", 1)
	s := start(t, awsemu.Options{}, world)
	client := firehose.NewFromConfig(oneCfg(s))
	out, err := client.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("flow-logs")})
	must(t, err)
	d := out.DeliveryStreamDescription
	if aws.ToString(d.DeliveryStreamARN) != "arn:aws:firehose:us-east-1:111111111111:deliverystream/flow-logs" || d.DeliveryStreamStatus != "ACTIVE" {
		t.Fatalf("stream = %+v", d)
	}
	_, err = client.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("nope")})
	wantAPIError(t, err, "ResourceNotFoundException", "Firehose nope under account 111111111111 not found.")
}
