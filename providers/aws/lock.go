package aws

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
)

// An apply lease (engine/lock.go) is an empty CloudWatch Logs log group,
// /flowplan/locks/<spec>/<generation, ten digits>, whose tags hold the
// lease. CreateLogGroup is the atomic create-if-absent the lock needs: log
// group names are unique in an account-region, and a second create of one
// name is refused with ResourceAlreadyExistsException (or, while the first
// is in progress, OperationAbortedException, "multiple requests to update
// the same resource were in conflict"); CreateLogGroup sets the tags in the
// same call, so a lease never exists without them. Every runner already
// may create and tag log groups; a lease needs logs:DeleteLogGroup on
// /flowplan/locks/* besides. The groups hold no log events, carry no
// flowplan:spec tag (so no plan ever counts them as the spec's log
// groups), and are deleted only when they carry the lock tag of the spec
// asking.

// Tags of a lease log group.
const (
	tagLock         = "flowplan:lock"
	tagLockHolder   = "flowplan:lock-holder"
	tagLockStarted  = "flowplan:lock-started"
	tagLockExpires  = "flowplan:lock-expires"
	tagLockReleased = "flowplan:lock-released"
)

// leasePrefix is the name prefix of a spec's lease log groups.
func leasePrefix(specName string) string { return engine.LeasePrefix(specName) }

func leaseName(specName string, gen int64) string {
	return fmt.Sprintf("%s%010d", leasePrefix(specName), gen)
}

// leaseTime is how lease times are written: RFC 3339 in UTC, to the
// millisecond (tag values allow ":", "." and "+").
const leaseTime = "2006-01-02T15:04:05.000Z07:00"

// badTagChars are the characters CloudWatch Logs refuses in tag values
// (allowed: letters, spaces, digits and _.:/=+-@).
var badTagChars = regexp.MustCompile(`[^\p{L}\p{Z}\p{N}_.:/=+\-@]`)

// tagValue makes s a valid CloudWatch Logs tag value.
func tagValue(s string) string {
	s = badTagChars.ReplaceAllString(s, "-")
	if len(s) > 256 {
		s = s[:256]
	}
	return s
}

// leaseSession returns the session and account ID of the lease account:
// q.Account, or with no ID the account of the base credentials.
func (p *Provider) leaseSession(ctx context.Context, q engine.LeaseQuery) (*session, string, error) {
	a := q.Account
	if a.ID == "" {
		caller := p.callerAccount(ctx)
		if caller == "" {
			return nil, "", errors.New("the apply lock of an organization spec lives in the account of the current credentials, but STS GetCallerIdentity does not say which it is")
		}
		a = engine.Account{ID: caller}
	}
	s, err := p.session(ctx, a)
	return s, a.ID, err
}

// ListLeases lists the spec's lease log groups (DescribeLogGroups by
// prefix) and reads each one's tags.
func (p *Provider) ListLeases(ctx context.Context, q engine.LeaseQuery) ([]engine.Lease, error) {
	s, account, err := p.leaseSession(ctx, q)
	if err != nil {
		return nil, err
	}
	c := p.logs(s, q.Region)
	scope := scopeName(account, q.Region)
	groups, err := describeLogGroups(ctx, c, leasePrefix(q.Spec))
	if err != nil {
		return nil, wrap("describe apply lock log groups in", scope, err)
	}
	var out []engine.Lease
	for _, g := range groups {
		name := aws.ToString(g.LogGroupName)
		digits, _ := strings.CutPrefix(name, leasePrefix(q.Spec))
		gen, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || len(digits) != 10 || gen < 1 {
			continue
		}
		tags, err := logGroupTags(ctx, c, arn.LogGroup(account, q.Region, name))
		if isNotFound(err) {
			// Deleted since it was listed.
			continue
		}
		if err != nil {
			return nil, wrap("list tags of apply lock log group", name, err)
		}
		out = append(out, leaseOf(gen, tags, account, name, q.Region))
	}
	return out, nil
}

// leaseOf reads a lease from its log group's tags; a missing or malformed
// time stays zero, so that the lease counts as expired.
func leaseOf(gen int64, tags map[string]string, account, name, region string) engine.Lease {
	l := engine.Lease{Generation: gen, Holder: tags[tagLockHolder], Released: tags[tagLockReleased] == "true",
		Account: account, Location: "log group " + name + " in " + region}
	l.Started, _ = time.Parse(leaseTime, tags[tagLockStarted])
	l.Expires, _ = time.Parse(leaseTime, tags[tagLockExpires])
	return l
}

func leaseTags(specName string, l engine.Lease) map[string]string {
	t := map[string]string{
		tagLock:        specName,
		tagLockHolder:  tagValue(l.Holder),
		tagLockStarted: l.Started.UTC().Format(leaseTime),
		tagLockExpires: l.Expires.UTC().Format(leaseTime),
	}
	if l.Released {
		t[tagLockReleased] = "true"
	}
	return t
}

// CreateLease creates the lease's log group with its tags in one
// CreateLogGroup call.
func (p *Provider) CreateLease(ctx context.Context, q engine.LeaseQuery, l engine.Lease) error {
	s, account, err := p.leaseSession(ctx, q)
	if err != nil {
		return err
	}
	name := leaseName(q.Spec, l.Generation)
	_, err = p.logs(s, q.Region).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name), Tags: leaseTags(q.Spec, l)})
	switch code := ErrorCode(err); code {
	case "":
		return nil
	case "ResourceAlreadyExistsException", "OperationAbortedException":
		return fmt.Errorf("create apply lock log group %s in %s: %s: %w", name, scopeName(account, q.Region), code, engine.ErrAlreadyExists)
	}
	return wrap("create apply lock log group", name+" in "+scopeName(account, q.Region), err)
}

// UpdateLease rewrites the lease's expiry and release tags (TagResource).
func (p *Provider) UpdateLease(ctx context.Context, q engine.LeaseQuery, l engine.Lease) error {
	s, account, err := p.leaseSession(ctx, q)
	if err != nil {
		return err
	}
	name := leaseName(q.Spec, l.Generation)
	tags := map[string]string{tagLockExpires: l.Expires.UTC().Format(leaseTime)}
	if l.Released {
		tags[tagLockReleased] = "true"
	}
	_, err = p.logs(s, q.Region).TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(arn.LogGroup(account, q.Region, name)), Tags: tags})
	if isNotFound(err) {
		return fmt.Errorf("update apply lock log group %s: %w", name, engine.ErrNotFound)
	}
	return wrap("update apply lock log group", name+" in "+scopeName(account, q.Region), err)
}

// DeleteLease deletes a lease log group, after checking that it carries
// the lock tag of q's spec and holds no log stream: a lease never has
// one, and flowplan never deletes a log group that holds data. The engine
// deletes leases best effort, so a failure other than not-found is also
// logged as a warning.
func (p *Provider) DeleteLease(ctx context.Context, q engine.LeaseQuery, gen int64) error {
	err := p.deleteLease(ctx, q, gen)
	if err != nil && !errors.Is(err, engine.ErrNotFound) {
		p.opts.Logger.WarnContext(ctx, "cannot delete an apply lock lease; the next apply tries again", "error", short(err))
	}
	return err
}

func (p *Provider) deleteLease(ctx context.Context, q engine.LeaseQuery, gen int64) error {
	s, account, err := p.leaseSession(ctx, q)
	if err != nil {
		return err
	}
	c := p.logs(s, q.Region)
	name := leaseName(q.Spec, gen)
	where := name + " in " + scopeName(account, q.Region)
	tags, err := logGroupTags(ctx, c, arn.LogGroup(account, q.Region, name))
	if isNotFound(err) {
		return fmt.Errorf("delete apply lock log group %s: %w", name, engine.ErrNotFound)
	}
	if err != nil {
		return wrap("delete apply lock log group", where, err)
	}
	if tags[tagLock] != q.Spec {
		return fmt.Errorf("delete apply lock log group %s: refusing: it has no %s=%s tag, so flowplan did not make it", where, tagLock, q.Spec)
	}
	streams, err := c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String(name), Limit: aws.Int32(1)})
	if isNotFound(err) {
		return fmt.Errorf("delete apply lock log group %s: %w", name, engine.ErrNotFound)
	}
	if err != nil {
		return wrap("delete apply lock log group", where+": list its log streams", err)
	}
	if len(streams.LogStreams) > 0 {
		return fmt.Errorf("delete apply lock log group %s: refusing: it holds log stream %q, and flowplan never deletes a log group that holds data; delete it yourself if it is not needed",
			where, aws.ToString(streams.LogStreams[0].LogStreamName))
	}
	_, err = c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(name)})
	if isNotFound(err) {
		return fmt.Errorf("delete apply lock log group %s: %w", name, engine.ErrNotFound)
	}
	return wrap("delete apply lock log group", where, err)
}

func isNotFound(err error) bool { return ErrorCode(err) == "ResourceNotFoundException" }
