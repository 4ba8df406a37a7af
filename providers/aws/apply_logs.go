package aws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
)

// errNoLogGroupDelete is returned for every log group delete: log groups
// hold log data and flowplan never deletes one.
var errNoLogGroupDelete = errors.New("flowplan never deletes log groups: they hold log data; delete it yourself if you mean to")

// logGroup creates or updates a log group. Deletes are refused without a
// call to AWS.
func (a *applier) logGroup(ctx context.Context, ch *engine.Change) (*engine.Resource, error) {
	switch a.b.Op {
	case engine.OpCreate:
		return a.createLogGroup(ctx, ch.After)
	case engine.OpUpdate:
		if ch.After == nil || ch.After.LogGroup == nil {
			return nil, errors.New("change has no desired log group")
		}
		// Ownership as CloudWatch Logs says now, not as the change says.
		live, err := a.readLogGroup(ctx, a.p.logs(a.s, a.b.Region), ch.After.LogGroup.Name)
		if err != nil {
			return nil, annotate("read the log group before changing it", err)
		}
		if live == nil {
			return nil, fmt.Errorf("log group %s no longer exists", ch.After.LogGroup.Name)
		}
		if err := a.checkManaged(ch, live); err != nil {
			return nil, err
		}
		return a.updateLogGroup(ctx, live, ch.After)
	case engine.OpDelete:
		return nil, errNoLogGroupDelete
	}
	return nil, fmt.Errorf("unknown operation %q", a.b.Op)
}

// createLogGroup creates the group with its tags and key, then sets its
// retention. If it already exists and carries this spec's ownership tag, it
// is brought to the desired state instead; a group someone else made is an
// error.
func (a *applier) createLogGroup(ctx context.Context, want *engine.Resource) (*engine.Resource, error) {
	if want == nil || want.LogGroup == nil {
		return nil, errors.New("change has no desired log group")
	}
	c := a.p.logs(a.s, a.b.Region)
	lg := want.LogGroup
	in := &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(lg.Name)}
	if lg.KMSKeyARN != "" {
		in.KmsKeyId = aws.String(lg.KMSKeyARN)
	}
	if len(want.Tags) > 0 {
		in.Tags = want.Tags
	}
	_, err := c.CreateLogGroup(ctx, in)
	if ErrorCode(err) == "ResourceAlreadyExistsException" {
		have, rerr := a.readLogGroup(ctx, c, lg.Name)
		if rerr != nil {
			return nil, annotate("log group exists, but could not be read", rerr)
		}
		if have == nil {
			return nil, annotate("log group exists, but DescribeLogGroups does not find it", err)
		}
		if owner, _ := have.Owner(); owner == "" || owner != want.Tags[engine.TagSpec] {
			return nil, annotate(fmt.Sprintf("log group %s already exists and is not managed by spec %q (flowplan:spec=%q)", lg.Name, want.Tags[engine.TagSpec], owner), markAlreadyExists(err))
		}
		return a.updateLogGroup(ctx, have, want)
	}
	if err != nil {
		return nil, err
	}
	if lg.RetentionDays > 0 {
		if _, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
			LogGroupName: aws.String(lg.Name), RetentionInDays: aws.Int32(int32(lg.RetentionDays)),
		}); err != nil {
			return nil, annotate("created, but could not set the retention", err)
		}
	}
	res := *want
	res.ID = arn.LogGroup(a.b.Account.ID, a.b.Region, lg.Name)
	return &res, nil
}

// readLogGroup reads one log group with its tags; nil when it does not exist.
func (a *applier) readLogGroup(ctx context.Context, c *cloudwatchlogs.Client, name string) (*engine.Resource, error) {
	groups, err := describeLogGroups(ctx, c, name)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if aws.ToString(g.LogGroupName) != name {
			continue
		}
		r := logGroupResource(a.b.Account.ID, a.b.Region, g, nil)
		r.Tags, err = logGroupTags(ctx, c, r.ID)
		return r, err
	}
	return nil, nil
}

// updateLogGroup changes retention, KMS key and tags in place.
func (a *applier) updateLogGroup(ctx context.Context, have, want *engine.Resource) (*engine.Resource, error) {
	if have.LogGroup == nil || want == nil || want.LogGroup == nil {
		return nil, errors.New("change needs the discovered log group and the desired one")
	}
	c := a.p.logs(a.s, a.b.Region)
	name := aws.String(want.LogGroup.Name)
	h, w := have.LogGroup, want.LogGroup
	var err error
	switch {
	case h.RetentionDays == w.RetentionDays:
	case w.RetentionDays == 0:
		_, err = c.DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: name})
	default:
		_, err = c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: name, RetentionInDays: aws.Int32(int32(w.RetentionDays))})
	}
	if err != nil {
		return nil, err
	}
	switch {
	case h.KMSKeyARN == w.KMSKeyARN:
	case w.KMSKeyARN == "":
		_, err = c.DisassociateKmsKey(ctx, &cloudwatchlogs.DisassociateKmsKeyInput{LogGroupName: name})
	default:
		_, err = c.AssociateKmsKey(ctx, &cloudwatchlogs.AssociateKmsKeyInput{LogGroupName: name, KmsKeyId: aws.String(w.KMSKeyARN)})
	}
	if err != nil {
		return nil, err
	}
	groupARN := have.ID
	if groupARN == "" {
		groupARN = arn.LogGroup(a.b.Account.ID, a.b.Region, w.Name)
	}
	if set := tagsToSet(have.Tags, want.Tags); len(set) > 0 {
		if _, err := c.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(groupARN), Tags: set}); err != nil {
			return nil, err
		}
	}
	res := *want
	res.ID = groupARN
	res.Tags = resultTags(have.Tags, want.Tags)
	return &res, nil
}
