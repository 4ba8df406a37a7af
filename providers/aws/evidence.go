package aws

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flowplan/flowplan/engine"
)

var _ engine.DeliveryReader = (*Provider)(nil)

// logStreamsPageSize is the largest page of DescribeLogStreams.
const logStreamsPageSize = 50

// s3ListPageSize is the largest page of ListObjectsV2.
const s3ListPageSize = 1000

// ReadDeliveries reads one destination's newest records: a log group's
// streams, freshest first, until one is older than the cutoff; or a
// bucket folder's objects after StartAfter, every page.
func (p *Provider) ReadDeliveries(ctx context.Context, q engine.DeliveryQuery) (*engine.Deliveries, error) {
	s, err := p.session(ctx, q.Account)
	if err != nil {
		return nil, err
	}
	switch {
	case q.LogGroup != "":
		d, err := readStreams(ctx, p.logs(s, q.Region), q)
		return d, wrap("describe log streams of", scopeName(q.Account.ID, q.Region)+" log group "+q.LogGroup, err)
	case q.Bucket != "":
		d := &engine.Deliveries{Objects: map[string]time.Time{}}
		_, cached := p.bucketRegions.Load(q.Bucket)
		region, ok, err := p.bucketRegion(ctx, s, q.Bucket)
		if !cached {
			d.Calls++
		}
		if err != nil {
			return nil, wrap("get bucket location of", "s3://"+q.Bucket, err)
		}
		if !ok {
			return nil, wrap("list objects of", "s3://"+q.Bucket, errors.New("the bucket does not exist"))
		}
		err = listObjects(ctx, p.s3(s, region), q, d)
		return d, wrap("list objects of", "s3://"+q.Bucket+"/"+q.KeyPrefix, err)
	}
	return nil, errors.New("delivery query names no log group and no bucket")
}

// readStreams lists a log group's streams by last event, newest first,
// and stops at the first page that reaches back past the cutoff: every
// stream after it is older.
func readStreams(ctx context.Context, c *cloudwatchlogs.Client, q engine.DeliveryQuery) (*engine.Deliveries, error) {
	d := &engine.Deliveries{Streams: map[string]time.Time{}}
	pg := cloudwatchlogs.NewDescribeLogStreamsPaginator(c, &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName: aws.String(q.LogGroup), OrderBy: logstypes.OrderByLastEventTime, Descending: aws.Bool(true),
		Limit: aws.Int32(logStreamsPageSize),
	})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		d.Calls++
		if err != nil {
			return nil, err
		}
		older := false
		for _, st := range page.LogStreams {
			name := aws.ToString(st.LogStreamName)
			// lastIngestionTime is when the newest event arrived;
			// lastEventTimestamp (the order) is the record's own time.
			t := millis(aws.ToInt64(st.LastIngestionTime))
			if t.IsZero() {
				t = millis(aws.ToInt64(st.LastEventTimestamp))
			}
			if name != "" && !t.IsZero() {
				d.Streams[name] = t
			}
			if ev := millis(aws.ToInt64(st.LastEventTimestamp)); ev.Before(q.Since) {
				older = true
			}
		}
		if older {
			break
		}
	}
	return d, nil
}

// listObjects lists the objects under the prefix after StartAfter.
func listObjects(ctx context.Context, c *s3.Client, q engine.DeliveryQuery, d *engine.Deliveries) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(q.Bucket), Prefix: aws.String(q.KeyPrefix), MaxKeys: aws.Int32(s3ListPageSize)}
	if q.StartAfter != "" {
		in.StartAfter = aws.String(q.StartAfter)
	}
	pg := s3.NewListObjectsV2Paginator(c, in)
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		d.Calls++
		if err != nil {
			return err
		}
		for _, o := range page.Contents {
			if o.Key != nil && o.LastModified != nil {
				d.Objects[*o.Key] = o.LastModified.UTC()
			}
		}
	}
	return nil
}

func millis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// CallerIdentity returns who the base credentials are, as STS says: the
// ARN, account and user ID the audit's evidence header names.
func (p *Provider) CallerIdentity(ctx context.Context) (arn, account, userID string, err error) {
	out, err := p.baseIdentity(ctx)
	if err != nil {
		return "", "", "", wrap("get caller identity of", "the credentials", err)
	}
	return aws.ToString(out.Arn), aws.ToString(out.Account), aws.ToString(out.UserId), nil
}
