package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/spec"
)

// ec2PageSize is the largest page of the EC2 describe calls; every one is
// paginated, which also keeps DescribeNetworkInterfaces in the cheaper
// throttling bucket.
const ec2PageSize = 1000

// logsPageSize is the largest page of DescribeLogGroups.
const logsPageSize = 50

// DiscoverRegion reads one account-region with the fewest calls (after
// checking, once per account, that the account has the region enabled:
// checkRegion): one
// paginated describe per target kind asked for, one paginated
// DescribeFlowLogs for every flow log, DescribeLogGroups per shared name
// prefix, and ListTagsForResource per wanted log group that exists, but for
// groups under a template's prefix whose settings are as the spec wants
// (settledUnderPrefix). The
// parts run concurrently, bounded by the account-region's concurrency.
func (p *Provider) DiscoverRegion(ctx context.Context, q engine.RegionQuery) (*engine.RegionState, error) {
	s, err := p.session(ctx, q.Account)
	if err != nil {
		return nil, err
	}
	if err := p.checkRegion(ctx, s, q.Account.ID, q.Region); err != nil {
		return nil, err
	}
	scope := scopeName(q.Account.ID, q.Region)
	c := p.ec2(s, q.Region)
	targets := make([][]engine.Target, len(q.TargetKinds))
	var flowLogs []*engine.Resource
	var logGroups []*engine.Resource
	var tasks []func() error
	for i, k := range q.TargetKinds {
		tasks = append(tasks, func() (err error) {
			targets[i], err = describeTargets(ctx, c, k)
			return wrap("describe "+string(k)+" in", scope, err)
		})
	}
	tasks = append(tasks, func() (err error) {
		var fls []ec2types.FlowLog
		fls, err = describeFlowLogs(ctx, c, nil)
		flowLogs = flowLogResources(q.Account.ID, q.Region, fls)
		return wrap("describe flow logs in", scope, err)
	}, func() (err error) {
		logGroups, err = p.discoverLogGroups(ctx, p.logs(s, q.Region), q)
		return err
	})
	if err := parallel(tasks...); err != nil {
		return nil, err
	}
	st := &engine.RegionState{FlowLogs: flowLogs, LogGroups: logGroups}
	for _, ts := range targets {
		st.Targets = append(st.Targets, ts...)
	}
	return st, nil
}

// parallel runs the functions concurrently and joins their errors in
// argument order.
func parallel(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = fn() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func describeTargets(ctx context.Context, c *ec2.Client, k spec.TargetKind) ([]engine.Target, error) {
	max := aws.Int32(ec2PageSize)
	switch k {
	case spec.TargetVPC:
		pg := ec2.NewDescribeVpcsPaginator(c, &ec2.DescribeVpcsInput{MaxResults: max})
		return allPages(ctx, pg.HasMorePages, pg.NextPage, func(p *ec2.DescribeVpcsOutput) []engine.Target { return mapped(p.Vpcs, vpcTarget) })
	case spec.TargetSubnet:
		pg := ec2.NewDescribeSubnetsPaginator(c, &ec2.DescribeSubnetsInput{MaxResults: max})
		return allPages(ctx, pg.HasMorePages, pg.NextPage, func(p *ec2.DescribeSubnetsOutput) []engine.Target { return mapped(p.Subnets, subnetTarget) })
	case spec.TargetNetworkInterface:
		pg := ec2.NewDescribeNetworkInterfacesPaginator(c, &ec2.DescribeNetworkInterfacesInput{MaxResults: max})
		return allPages(ctx, pg.HasMorePages, pg.NextPage, func(p *ec2.DescribeNetworkInterfacesOutput) []engine.Target {
			return mapped(p.NetworkInterfaces, eniTarget)
		})
	case spec.TargetRegionalNatGateway:
		// DescribeNatGateways has no availability-mode filter: zonal NAT
		// gateways, which take no flow log of their own, are dropped here.
		pg := ec2.NewDescribeNatGatewaysPaginator(c, &ec2.DescribeNatGatewaysInput{MaxResults: max})
		return allPages(ctx, pg.HasMorePages, pg.NextPage, func(p *ec2.DescribeNatGatewaysOutput) []engine.Target {
			return mapped(regionalNatGateways(p.NatGateways), natGatewayTarget)
		})
	case spec.TargetTransitGateway:
		pg := ec2.NewDescribeTransitGatewaysPaginator(c, &ec2.DescribeTransitGatewaysInput{MaxResults: max})
		return allPages(ctx, pg.HasMorePages, pg.NextPage, func(p *ec2.DescribeTransitGatewaysOutput) []engine.Target {
			return mapped(p.TransitGateways, tgwTarget)
		})
	case spec.TargetTransitGatewayAttachment:
		pg := ec2.NewDescribeTransitGatewayAttachmentsPaginator(c, &ec2.DescribeTransitGatewayAttachmentsInput{MaxResults: max})
		return allPages(ctx, pg.HasMorePages, pg.NextPage, func(p *ec2.DescribeTransitGatewayAttachmentsOutput) []engine.Target {
			return mapped(p.TransitGatewayAttachments, tgwAttachmentTarget)
		})
	}
	return nil, fmt.Errorf("unknown target kind %q", k)
}

// allPages reads every page of an SDK paginator (its HasMorePages and
// NextPage methods) and collects the items of each.
func allPages[P, T, O any](ctx context.Context, more func() bool, next func(context.Context, ...func(*O)) (P, error), items func(P) []T) ([]T, error) {
	var out []T
	for more() {
		page, err := next(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, items(page)...)
	}
	return out, nil
}

// mapped applies fn to every element.
func mapped[A, B any](in []A, fn func(A) B) []B {
	out := make([]B, len(in))
	for i, v := range in {
		out[i] = fn(v)
	}
	return out
}

// describeFlowLogs pages through DescribeFlowLogs: every flow log of the
// account-region, 1000 a page, when ids is empty, else those IDs (at most
// 1000; EC2 takes no MaxResults with them).
func describeFlowLogs(ctx context.Context, c *ec2.Client, ids []string) ([]ec2types.FlowLog, error) {
	in := &ec2.DescribeFlowLogsInput{FlowLogIds: ids}
	if len(ids) == 0 {
		in.MaxResults = aws.Int32(ec2PageSize)
	}
	pg := ec2.NewDescribeFlowLogsPaginator(c, in)
	return allPages(ctx, pg.HasMorePages, pg.NextPage, func(p *ec2.DescribeFlowLogsOutput) []ec2types.FlowLog { return p.FlowLogs })
}

// discoverLogGroups reads the wanted log groups that exist, by shared name
// prefix, then the tags of each found. Wanted are the exact names asked for
// and every group under one of the asked prefixes (names that depend on the
// targets, such as /vpc-flow-logs/{resource_id}).
func (p *Provider) discoverLogGroups(ctx context.Context, c *cloudwatchlogs.Client, q engine.RegionQuery) ([]*engine.Resource, error) {
	if len(q.LogGroupNames) == 0 && len(q.LogGroupPrefixes) == 0 {
		return nil, nil
	}
	scope := scopeName(q.Account.ID, q.Region)
	wanted := map[string]bool{}
	for _, n := range q.LogGroupNames {
		wanted[n] = true
	}
	isWanted := func(name string) bool {
		if wanted[name] {
			return true
		}
		for _, prefix := range q.LogGroupPrefixes {
			if strings.HasPrefix(name, prefix) {
				return true
			}
		}
		return false
	}
	var found []logstypes.LogGroup
	for _, prefix := range describePrefixes(q.LogGroupNames, q.LogGroupPrefixes) {
		groups, err := describeLogGroups(ctx, c, prefix)
		if err != nil {
			return nil, wrap("describe log groups in", scope, err)
		}
		for _, g := range groups {
			if isWanted(aws.ToString(g.LogGroupName)) {
				found = append(found, g)
			}
		}
	}
	out := make([]*engine.Resource, len(found))
	var tasks []func() error
	for i, g := range found {
		out[i] = logGroupResource(q.Account.ID, q.Region, g, nil)
		if !wanted[out[i].LogGroup.Name] && settledUnderPrefix(q, out[i].LogGroup) {
			out[i].LogGroup.TagsUnread = true
			continue
		}
		tasks = append(tasks, func() error {
			tags, err := logGroupTags(ctx, c, out[i].ID)
			out[i].Tags = tags
			return wrap("list tags of log group", out[i].Addr.String(), err)
		})
	}
	if err := parallel(tasks...); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr.Less(out[j].Addr) })
	return out, nil
}

// settledUnderPrefix reports whether a group found under one of the
// query's prefixes already has settings a rule wants for the groups under
// it (RegionQuery.LogGroupPrefixSettings): the plan will change nothing on
// it, whoever owns it, so its tags, one ListTagsForResource each, need not
// be read. A group by an exact name the spec asks for is always read.
func settledUnderPrefix(q engine.RegionQuery, lg *engine.LogGroup) bool {
	for _, prefix := range q.LogGroupPrefixes {
		if !strings.HasPrefix(lg.Name, prefix) {
			continue
		}
		for _, want := range q.LogGroupPrefixSettings[prefix] {
			if want.RetentionDays == lg.RetentionDays && want.KMSKeyARN == lg.KMSKeyARN {
				return true
			}
		}
	}
	return false
}

func describeLogGroups(ctx context.Context, c *cloudwatchlogs.Client, prefix string) ([]logstypes.LogGroup, error) {
	pg := cloudwatchlogs.NewDescribeLogGroupsPaginator(c, &cloudwatchlogs.DescribeLogGroupsInput{
		LogGroupNamePrefix: aws.String(prefix), Limit: aws.Int32(logsPageSize),
	})
	return allPages(ctx, pg.HasMorePages, pg.NextPage, func(p *cloudwatchlogs.DescribeLogGroupsOutput) []logstypes.LogGroup { return p.LogGroups })
}

// logGroupTags lists a log group's tags by its ARN without ":*".
func logGroupTags(ctx context.Context, c *cloudwatchlogs.Client, arn string) (map[string]string, error) {
	out, err := c.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return nil, err
	}
	if len(out.Tags) == 0 {
		return nil, nil
	}
	return out.Tags, nil
}
