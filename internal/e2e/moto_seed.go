package e2e

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	firehosetypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"gopkg.in/yaml.v3"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/motoserver"
	"github.com/flowplan/flowplan/providers/awsemu"
)

// ErrUnsupported is returned when a world needs something moto cannot
// model. Scripts that use such a world skip on moto.
var ErrUnsupported = errors.New("moto cannot model this")

// motoBaseKey is a plain access key: moto maps it to its default account
// (123456789012 unless MOTO_ACCOUNT_ID was set when it started). The
// harness only uses it to call AssumeRole, which moto answers with
// credentials bound to the role's account, whether or not the role exists.
var motoBaseKey = credentials.NewStaticCredentialsProvider("AKIAE2EMOTOBASE00000", "e2e-moto-base", "")

// Seed resets moto and creates w's resources through the AWS API, in each
// account through AssumeRole. moto chooses its own IDs; Seeded.IDs reports
// them. moto's default VPC in each account-region of the world is deleted,
// unless the world has a default VPC, which then is moto's (retagged, its
// default subnets replaced by the world's).
//
// Not modelled (ErrUnsupported): an organisation (moto makes up account
// IDs), requester-managed interface types, regional NAT gateways and
// delivery streams that are not ACTIVE.
func SeedMoto(ctx context.Context, m *motoserver.Server, w *awsemu.World) (*Seeded, error) {
	if w.Organization != nil {
		return nil, fmt.Errorf("seed moto: organization: %w: moto generates its own account IDs", ErrUnsupported)
	}
	if err := m.Reset(ctx); err != nil {
		return nil, err
	}
	s := &Seeded{
		Backend:       BackendMoto,
		Endpoint:      m.URL,
		CallerAccount: callerAccount(w),
		roleARNs:      roleARNs(w),
		world:         w,
	}
	stsBase := sts.NewFromConfig(sdkConfig(m.URL, HomeRegion, motoBaseKey))
	s.mint = func(account string) (aws.CredentialsProvider, error) {
		p := stscreds.NewAssumeRoleProvider(stsBase, "arn:aws:iam::"+account+":role/e2e-harness",
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName, o.Duration = "e2e-harness", time.Hour })
		return aws.NewCredentialsCache(p), nil
	}
	caller, err := stscreds.NewAssumeRoleProvider(stsBase, "arn:aws:iam::"+s.CallerAccount+":role/e2e-caller",
		func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName, o.Duration = "e2e-caller", time.Hour }).Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("seed moto: assume the caller's role in %s: %w", s.CallerAccount, err)
	}
	s.Caller = caller
	sd := &motoSeeder{ctx: ctx, s: s, ids: newIDTable()}
	if err := sd.world(w); err != nil {
		return nil, fmt.Errorf("seed moto: %w", err)
	}
	s.IDs = sd.ids.vars
	return s, nil
}

// motoSeeder creates one world in moto.
type motoSeeder struct {
	ctx context.Context
	s   *Seeded
	ids *idTable
}

func (sd *motoSeeder) world(w *awsemu.World) error {
	for _, a := range w.Accounts {
		c, err := sd.s.clients(a.ID, HomeRegion)
		if err != nil {
			return err
		}
		for _, r := range a.Roles {
			if err := sd.role(c, r); err != nil {
				return fmt.Errorf("account %s: role %s: %w", a.ID, r.Name, err)
			}
		}
	}
	for _, a := range w.Accounts {
		for _, b := range a.Buckets {
			if err := sd.bucket(a.ID, b); err != nil {
				return fmt.Errorf("account %s: bucket %s: %w", a.ID, b.Name, err)
			}
		}
	}
	for _, a := range w.Accounts {
		for _, rn := range sortedRegions(a) {
			if err := sd.region(a.ID, rn, a.Regions[rn]); err != nil {
				return fmt.Errorf("account %s region %s: %w", a.ID, rn, err)
			}
		}
	}
	return nil
}

// policyJSON turns a world policy (a YAML mapping or a JSON string) into JSON.
func policyJSON(n yaml.Node) (string, error) {
	switch {
	case n.Kind == 0:
		return "", nil
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str":
		return n.Value, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return "", fmt.Errorf("line %d: policy: %w", n.Line, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("line %d: policy is not representable as JSON: %w", n.Line, err)
	}
	return strings.TrimSpace(buf.String()), nil
}

func (sd *motoSeeder) role(c *clients, r awsemu.WorldRole) error {
	trust, err := policyJSON(r.TrustPolicy)
	if err != nil {
		return err
	}
	in := &iam.CreateRoleInput{RoleName: aws.String(r.Name), AssumeRolePolicyDocument: aws.String(trust)}
	if r.Path != "" {
		in.Path = aws.String(r.Path)
	}
	if r.Description != "" {
		in.Description = aws.String(r.Description)
	}
	if r.MaxSessionDuration != 0 {
		in.MaxSessionDuration = aws.Int32(int32(r.MaxSessionDuration))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Tags)) {
		in.Tags = append(in.Tags, iamtypes.Tag{Key: aws.String(k), Value: aws.String(r.Tags[k])})
	}
	if _, err := c.iam.CreateRole(sd.ctx, in); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(r.Policies)) {
		doc, err := policyJSON(r.Policies[name])
		if err != nil {
			return fmt.Errorf("policy %s: %w", name, err)
		}
		if _, err := c.iam.PutRolePolicy(sd.ctx, &iam.PutRolePolicyInput{
			RoleName: aws.String(r.Name), PolicyName: aws.String(name), PolicyDocument: aws.String(doc),
		}); err != nil {
			return fmt.Errorf("policy %s: %w", name, err)
		}
	}
	return nil
}

func (sd *motoSeeder) bucket(account string, b awsemu.WorldBucket) error {
	region := b.Region
	if region == "" {
		region = "us-east-1"
	}
	c, err := sd.s.clients(account, region)
	if err != nil {
		return err
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(b.Name)}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
	}
	if _, err := c.s3.CreateBucket(sd.ctx, in); err != nil {
		return err
	}
	doc, err := policyJSON(b.Policy)
	if err != nil || doc == "" {
		return err
	}
	_, err = c.s3.PutBucketPolicy(sd.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(b.Name), Policy: aws.String(doc)})
	return err
}

// ec2Tags is a TagSpecifications parameter, nil for no tags.
func ec2Tags(rt ec2types.ResourceType, tags map[string]string) []ec2types.TagSpecification {
	if len(tags) == 0 {
		return nil
	}
	return []ec2types.TagSpecification{{ResourceType: rt, Tags: ec2TagList(tags)}}
}

// ec2TagList is tags as EC2 tags, sorted by key.
func ec2TagList(tags map[string]string) []ec2types.Tag {
	var out []ec2types.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

func (sd *motoSeeder) region(account, region string, r awsemu.WorldRegion) error {
	c, err := sd.s.clients(account, region)
	if err != nil {
		return err
	}
	if err := sd.defaultVPC(c, account, region, r.VPCs); err != nil {
		return err
	}
	firstSubnet := map[string]string{}
	for _, v := range r.VPCs {
		if err := sd.vpc(c, account, region, v, firstSubnet); err != nil {
			return fmt.Errorf("vpc %s: %w", cmp.Or(v.Name, v.ID), err)
		}
	}
	for _, g := range r.NATGateways {
		if err := sd.natGateway(c, account, region, g); err != nil {
			return fmt.Errorf("nat gateway %s: %w", cmp.Or(g.Name, g.ID), err)
		}
	}
	for _, t := range r.TransitGateways {
		if err := sd.tgw(c, account, region, t, firstSubnet); err != nil {
			return fmt.Errorf("transit gateway %s: %w", cmp.Or(t.Name, t.ID), err)
		}
	}
	for _, g := range r.LogGroups {
		if err := sd.logGroup(c, g); err != nil {
			return fmt.Errorf("log group %s: %w", g.Name, err)
		}
	}
	for _, ds := range r.DeliveryStreams {
		if err := sd.deliveryStream(c, account, ds); err != nil {
			return fmt.Errorf("delivery stream %s: %w", ds.Name, err)
		}
	}
	for i, f := range r.FlowLogs {
		if err := sd.flowLog(c, account, region, f); err != nil {
			return fmt.Errorf("flow_logs[%d] (%s): %w", i, f.Resource, err)
		}
	}
	return nil
}

// defaultVPC deletes moto's default VPC unless the world has one.
func (sd *motoSeeder) defaultVPC(c *clients, account, region string, vpcs []awsemu.WorldVPC) error {
	id, err := motoDefaultVPC(sd.ctx, c)
	if err != nil || id == "" {
		return err
	}
	for _, v := range vpcs {
		if v.Default {
			return nil
		}
	}
	if err := deleteSubnets(sd.ctx, c, id); err != nil {
		return err
	}
	igws, err := c.ec2.DescribeInternetGateways(sd.ctx, &ec2.DescribeInternetGatewaysInput{
		Filters: []ec2types.Filter{{Name: aws.String("attachment.vpc-id"), Values: []string{id}}},
	})
	if err != nil {
		return fmt.Errorf("delete default vpc %s: %w", id, err)
	}
	for _, g := range igws.InternetGateways {
		if _, err := c.ec2.DetachInternetGateway(sd.ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: g.InternetGatewayId, VpcId: aws.String(id)}); err != nil {
			return fmt.Errorf("delete default vpc %s: %w", id, err)
		}
		if _, err := c.ec2.DeleteInternetGateway(sd.ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: g.InternetGatewayId}); err != nil {
			return fmt.Errorf("delete default vpc %s: %w", id, err)
		}
	}
	if _, err := c.ec2.DeleteVpc(sd.ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id)}); err != nil {
		return fmt.Errorf("delete default vpc %s: %w", id, err)
	}
	return nil
}

func motoDefaultVPC(ctx context.Context, c *clients) (string, error) {
	out, err := c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{
		Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}},
	})
	if err != nil {
		return "", fmt.Errorf("find the default vpc: %w", err)
	}
	if len(out.Vpcs) == 0 {
		return "", nil
	}
	return aws.ToString(out.Vpcs[0].VpcId), nil
}

func deleteSubnets(ctx context.Context, c *clients, vpcID string) error {
	out, err := c.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}},
	})
	if err != nil {
		return fmt.Errorf("list subnets of %s: %w", vpcID, err)
	}
	for _, sn := range out.Subnets {
		if _, err := c.ec2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: sn.SubnetId}); err != nil {
			return fmt.Errorf("delete subnet %s: %w", aws.ToString(sn.SubnetId), err)
		}
	}
	return nil
}

func (sd *motoSeeder) vpc(c *clients, account, region string, v awsemu.WorldVPC, firstSubnet map[string]string) error {
	tags := withName(v.Tags, v.Name)
	var id string
	if v.Default {
		var err error
		if id, err = sd.adoptDefaultVPC(c, v, tags); err != nil {
			return err
		}
	} else {
		out, err := c.ec2.CreateVpc(sd.ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(v.CIDR), TagSpecifications: ec2Tags(ec2types.ResourceTypeVpc, tags)})
		if err != nil {
			return err
		}
		id = aws.ToString(out.Vpc.VpcId)
	}
	if err := sd.ids.add(account, region, KindVPC, v.Name, v.ID, id); err != nil {
		return err
	}
	for _, sn := range v.Subnets {
		out, err := c.ec2.CreateSubnet(sd.ctx, &ec2.CreateSubnetInput{
			VpcId: aws.String(id), CidrBlock: aws.String(sn.CIDR), AvailabilityZone: aws.String(sn.AZ),
			TagSpecifications: ec2Tags(ec2types.ResourceTypeSubnet, withName(sn.Tags, sn.Name)),
		})
		if err != nil {
			return fmt.Errorf("subnet %s: %w", cmp.Or(sn.Name, sn.CIDR), err)
		}
		subnetID := aws.ToString(out.Subnet.SubnetId)
		if firstSubnet[id] == "" {
			firstSubnet[id] = subnetID
		}
		if err := sd.ids.add(account, region, KindSubnet, sn.Name, sn.ID, subnetID); err != nil {
			return err
		}
		for _, n := range sn.ENIs {
			if err := sd.eni(c, account, region, subnetID, n); err != nil {
				return fmt.Errorf("subnet %s: interface %s: %w", cmp.Or(sn.Name, sn.CIDR), cmp.Or(n.Name, n.ID), err)
			}
		}
	}
	return nil
}

// adoptDefaultVPC makes moto's default VPC the world's: same CIDR, the
// world's tags, and no subnets but the world's.
func (sd *motoSeeder) adoptDefaultVPC(c *clients, v awsemu.WorldVPC, tags map[string]string) (string, error) {
	id, err := motoDefaultVPC(sd.ctx, c)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", fmt.Errorf("%w: moto has no default VPC here", ErrUnsupported)
	}
	out, err := c.ec2.DescribeVpcs(sd.ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
	if err != nil {
		return "", err
	}
	if got := aws.ToString(out.Vpcs[0].CidrBlock); got != v.CIDR {
		return "", fmt.Errorf("%w: moto's default VPC is %s, the world's is %s", ErrUnsupported, got, v.CIDR)
	}
	if err := deleteSubnets(sd.ctx, c, id); err != nil {
		return "", err
	}
	if len(tags) > 0 {
		if _, err := c.ec2.CreateTags(sd.ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: ec2TagList(tags)}); err != nil {
			return "", err
		}
	}
	return id, nil
}

func (sd *motoSeeder) eni(c *clients, account, region, subnetID string, n awsemu.WorldENI) error {
	if n.Type != "" && n.Type != "interface" {
		return fmt.Errorf("%w: interface type %q is managed by AWS and cannot be created", ErrUnsupported, n.Type)
	}
	in := &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(subnetID),
		TagSpecifications: ec2Tags(ec2types.ResourceTypeNetworkInterface, withName(n.Tags, n.Name))}
	if n.Description != "" {
		in.Description = aws.String(n.Description)
	}
	out, err := c.ec2.CreateNetworkInterface(sd.ctx, in)
	if err != nil {
		return err
	}
	return sd.ids.add(account, region, KindENI, n.Name, n.ID, aws.ToString(out.NetworkInterface.NetworkInterfaceId))
}

// natGateway creates a zonal NAT gateway. moto 5.2.1 has no regional ones:
// its CreateNatGateway ignores AvailabilityMode and wants a subnet.
func (sd *motoSeeder) natGateway(c *clients, account, region string, g awsemu.WorldNATGateway) error {
	if g.AvailabilityMode == "regional" {
		return fmt.Errorf("%w: regional NAT gateways (moto 5.2.1 ignores AvailabilityMode)", ErrUnsupported)
	}
	in := &ec2.CreateNatGatewayInput{SubnetId: aws.String(sd.ids.resolve(account, region, g.Subnet)),
		ConnectivityType:  ec2types.ConnectivityType(cmp.Or(g.ConnectivityType, "public")),
		TagSpecifications: ec2Tags(ec2types.ResourceTypeNatgateway, withName(g.Tags, g.Name))}
	out, err := c.ec2.CreateNatGateway(sd.ctx, in)
	if err != nil {
		return err
	}
	return sd.ids.add(account, region, KindNAT, g.Name, g.ID, aws.ToString(out.NatGateway.NatGatewayId))
}

func (sd *motoSeeder) tgw(c *clients, account, region string, t awsemu.WorldTGW, firstSubnet map[string]string) error {
	in := &ec2.CreateTransitGatewayInput{TagSpecifications: ec2Tags(ec2types.ResourceTypeTransitGateway, withName(t.Tags, t.Name))}
	if t.Description != "" {
		in.Description = aws.String(t.Description)
	}
	out, err := c.ec2.CreateTransitGateway(sd.ctx, in)
	if err != nil {
		return err
	}
	id := aws.ToString(out.TransitGateway.TransitGatewayId)
	if err := sd.ids.add(account, region, KindTGW, t.Name, t.ID, id); err != nil {
		return err
	}
	for _, at := range t.Attachments {
		vpcID := sd.ids.resolve(account, region, at.VPC)
		ain := &ec2.CreateTransitGatewayVpcAttachmentInput{
			TransitGatewayId: aws.String(id), VpcId: aws.String(vpcID),
			TagSpecifications: ec2Tags(ec2types.ResourceTypeTransitGatewayAttachment, withName(at.Tags, at.Name)),
		}
		if sn := firstSubnet[vpcID]; sn != "" {
			ain.SubnetIds = []string{sn}
		}
		aout, err := c.ec2.CreateTransitGatewayVpcAttachment(sd.ctx, ain)
		if err != nil {
			return fmt.Errorf("attachment %s: %w", cmp.Or(at.Name, at.VPC), err)
		}
		attID := aws.ToString(aout.TransitGatewayVpcAttachment.TransitGatewayAttachmentId)
		// moto 5.2 ignores TagSpecifications here (AWS applies them), so
		// the tags are set again with CreateTags.
		if tags := withName(at.Tags, at.Name); len(tags) > 0 {
			if _, err := c.ec2.CreateTags(sd.ctx, &ec2.CreateTagsInput{Resources: []string{attID}, Tags: ec2TagList(tags)}); err != nil {
				return fmt.Errorf("attachment %s: tag: %w", cmp.Or(at.Name, at.VPC), err)
			}
		}
		if err := sd.ids.add(account, region, KindAttachment, at.Name, at.ID, attID); err != nil {
			return err
		}
	}
	return nil
}

func (sd *motoSeeder) logGroup(c *clients, g awsemu.WorldLogGroup) error {
	in := &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g.Name), Tags: g.Tags}
	if g.KMSKeyID != "" {
		in.KmsKeyId = aws.String(g.KMSKeyID)
	}
	if _, err := c.logs.CreateLogGroup(sd.ctx, in); err != nil {
		return err
	}
	if g.RetentionDays == 0 {
		return nil
	}
	_, err := c.logs.PutRetentionPolicy(sd.ctx, &cloudwatchlogs.PutRetentionPolicyInput{
		LogGroupName: aws.String(g.Name), RetentionInDays: aws.Int32(int32(g.RetentionDays)),
	})
	return err
}

func (sd *motoSeeder) deliveryStream(c *clients, account string, ds awsemu.WorldDeliveryStream) error {
	if ds.Status != "" && ds.Status != "ACTIVE" {
		return fmt.Errorf("%w: delivery stream status %s (moto's streams are always ACTIVE)", ErrUnsupported, ds.Status)
	}
	in := &firehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String(ds.Name),
		DeliveryStreamType: firehosetypes.DeliveryStreamTypeDirectPut,
		ExtendedS3DestinationConfiguration: &firehosetypes.ExtendedS3DestinationConfiguration{
			BucketARN: aws.String("arn:aws:s3:::e2e-firehose-sink-" + account),
			RoleARN:   aws.String("arn:aws:iam::" + account + ":role/e2e-firehose"),
		},
	}
	for _, k := range slices.Sorted(maps.Keys(ds.Tags)) {
		in.Tags = append(in.Tags, firehosetypes.Tag{Key: aws.String(k), Value: aws.String(ds.Tags[k])})
	}
	_, err := c.firehose.CreateDeliveryStream(sd.ctx, in)
	return err
}

func (sd *motoSeeder) flowLog(c *clients, account, region string, f awsemu.WorldFlowLog) error {
	resourceID := sd.ids.resolve(account, region, f.Resource)
	in := &ec2.CreateFlowLogsInput{
		ResourceIds:        []string{resourceID},
		ResourceType:       ec2types.FlowLogsResourceType(cmp.Or(engine.ResourceTypeOf(resourceID), "VPC")),
		LogDestinationType: ec2types.LogDestinationType(cmp.Or(f.DestinationType, "cloud-watch-logs")),
		TagSpecifications:  ec2Tags(ec2types.ResourceTypeVpcFlowLog, f.Tags),
	}
	if f.TrafficType != "" {
		in.TrafficType = ec2types.TrafficType(f.TrafficType)
	}
	if f.Destination != "" {
		in.LogDestination = aws.String(f.Destination)
	}
	if f.LogGroup != "" {
		in.LogGroupName = aws.String(f.LogGroup)
	}
	if f.Role != "" {
		in.DeliverLogsPermissionArn = aws.String(sd.s.flowLogRole(account, f.Role))
	}
	if f.CrossAccountRole != "" {
		in.DeliverCrossAccountRole = aws.String(f.CrossAccountRole)
	}
	if f.LogFormat != "" {
		in.LogFormat = aws.String(f.LogFormat)
	}
	if f.MaxAggregationInterval != 0 {
		in.MaxAggregationInterval = aws.Int32(int32(f.MaxAggregationInterval))
	}
	if o := f.DestinationOptions; o != nil {
		in.DestinationOptions = &ec2types.DestinationOptionsRequest{
			FileFormat:               ec2types.DestinationFileFormat(o.FileFormat),
			HiveCompatiblePartitions: aws.Bool(o.HiveCompatiblePartitions),
			PerHourPartition:         aws.Bool(o.PerHourPartition),
		}
	}
	out, err := c.ec2.CreateFlowLogs(sd.ctx, in)
	if err != nil {
		return err
	}
	if len(out.Unsuccessful) > 0 {
		u := out.Unsuccessful[0]
		return fmt.Errorf("%s: %s", aws.ToString(u.Error.Code), aws.ToString(u.Error.Message))
	}
	if len(out.FlowLogIds) != 1 {
		return fmt.Errorf("CreateFlowLogs returned %d flow log IDs, want 1", len(out.FlowLogIds))
	}
	return sd.ids.addFlowLog(account, region, f.Resource, f.ID, out.FlowLogIds[0])
}
