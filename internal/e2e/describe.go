package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// DescribeNetwork lists an account-region's VPCs, subnets, network
// interfaces, transit gateways and attachments, one line each, sorted by
// kind then ID: "<kind> <id> <attributes> tags=<k=v,...>".
func (s *Seeded) DescribeNetwork(ctx context.Context, account, region string) ([]string, error) {
	c, err := s.clients(account, region)
	if err != nil {
		return nil, err
	}
	var lines []string
	add := func(kind, id, attrs string, tags []ec2types.Tag) {
		lines = append(lines, fmt.Sprintf("%s %s %s tags=%s", kind, id, attrs, ec2TagString(tags)))
	}
	vpcs, err := c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		return nil, fmt.Errorf("describe vpcs in %s/%s: %w", account, region, err)
	}
	for _, v := range vpcs.Vpcs {
		add("vpc", aws.ToString(v.VpcId), fmt.Sprintf("cidr=%s default=%t", aws.ToString(v.CidrBlock), aws.ToBool(v.IsDefault)), v.Tags)
	}
	subnets, err := c.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	if err != nil {
		return nil, fmt.Errorf("describe subnets in %s/%s: %w", account, region, err)
	}
	for _, sn := range subnets.Subnets {
		add("subnet", aws.ToString(sn.SubnetId), fmt.Sprintf("vpc=%s cidr=%s az=%s", aws.ToString(sn.VpcId), aws.ToString(sn.CidrBlock), aws.ToString(sn.AvailabilityZone)), sn.Tags)
	}
	enis, err := c.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(1000)})
	if err != nil {
		return nil, fmt.Errorf("describe network interfaces in %s/%s: %w", account, region, err)
	}
	for _, n := range enis.NetworkInterfaces {
		add("eni", aws.ToString(n.NetworkInterfaceId), fmt.Sprintf("subnet=%s vpc=%s", aws.ToString(n.SubnetId), aws.ToString(n.VpcId)), n.TagSet)
	}
	tgws, err := c.ec2.DescribeTransitGateways(ctx, &ec2.DescribeTransitGatewaysInput{})
	if err != nil {
		return nil, fmt.Errorf("describe transit gateways in %s/%s: %w", account, region, err)
	}
	for _, t := range tgws.TransitGateways {
		add("tgw", aws.ToString(t.TransitGatewayId), "state="+string(t.State), t.Tags)
	}
	atts, err := c.ec2.DescribeTransitGatewayAttachments(ctx, &ec2.DescribeTransitGatewayAttachmentsInput{})
	if err != nil {
		return nil, fmt.Errorf("describe transit gateway attachments in %s/%s: %w", account, region, err)
	}
	for _, a := range atts.TransitGatewayAttachments {
		add("tgw-attach", aws.ToString(a.TransitGatewayAttachmentId), fmt.Sprintf("tgw=%s %s=%s", aws.ToString(a.TransitGatewayId),
			strings.ToLower(string(a.ResourceType)), aws.ToString(a.ResourceId)), a.Tags)
	}
	sort.Strings(lines)
	return lines, nil
}

// Snapshot describes everything the seeded world covers, account by
// account: roles, owned buckets' policies, then per region the network,
// log groups and flow logs. IDs are replaced by their variable names, so
// that two backends holding the same world give the same text.
func (s *Seeded) Snapshot(ctx context.Context) (string, error) {
	var b strings.Builder
	for _, a := range s.world.Accounts {
		fmt.Fprintf(&b, "# account %s\n", a.ID)
		roles, err := s.DescribeRoles(ctx, a.ID)
		if err != nil {
			return "", err
		}
		s.writeLines(&b, "roles", roles)
		for _, bk := range a.Buckets {
			policy, err := s.DescribeBucketPolicy(ctx, a.ID, bk.Name)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "## bucket %s policy\n%s", bk.Name, policy)
		}
		for _, rn := range sortedRegions(a) {
			fmt.Fprintf(&b, "# region %s/%s\n", a.ID, rn)
			for _, part := range []struct {
				title    string
				describe func(context.Context, string, string) ([]string, error)
			}{{"network", s.DescribeNetwork}, {"log groups", s.DescribeLogGroups}, {"flow logs", s.DescribeFlowLogs}} {
				lines, err := part.describe(ctx, a.ID, rn)
				if err != nil {
					return "", err
				}
				s.writeLines(&b, part.title, lines)
			}
		}
	}
	return b.String(), nil
}

// writeLines writes a section of lines with IDs replaced by variable
// names, sorted after the replacement.
func (s *Seeded) writeLines(b *strings.Builder, title string, lines []string) {
	fmt.Fprintf(b, "## %s\n", title)
	named := make([]string, len(lines))
	for i, l := range lines {
		named[i] = s.Names(l)
	}
	sort.Strings(named)
	for _, l := range named {
		fmt.Fprintln(b, l)
	}
}
