package aws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
)

// bucketStatements applies the batch's statements bucket by bucket: one
// read-modify-write of each bucket policy (GetBucketPolicy, then one
// PutBucketPolicy for all of the batch's statements in it), with the
// bucket owner's credentials in the bucket's region.
func (a *applier) bucketStatements(ctx context.Context) {
	byBucket := map[string][]int{}
	for i, ch := range a.b.Changes {
		st, err := a.statementOf(ch)
		if err != nil {
			a.out[i].Err = a.wrap(ch, err)
			continue
		}
		byBucket[st.Bucket] = append(byBucket[st.Bucket], i)
	}
	for _, bucket := range slices.Sorted(maps.Keys(byBucket)) {
		a.mergeBucket(ctx, bucket, byBucket[bucket])
	}
}

// statementOf returns the statement the change works on, checking that
// flowplan owns its Sid.
func (a *applier) statementOf(ch *engine.Change) (*engine.BucketPolicyStatement, error) {
	r := ch.After
	if a.b.Op == engine.OpDelete {
		r = ch.Before
	}
	if r == nil || r.BucketPolicyStatement == nil {
		return nil, errors.New("change has no bucket policy statement")
	}
	st := r.BucketPolicyStatement
	if !strings.HasPrefix(st.Sid, ownedSidPrefix) {
		return nil, fmt.Errorf("refusing to change statement %q: flowplan only manages Sids starting with %q", st.Sid, ownedSidPrefix)
	}
	if a.b.Op != engine.OpDelete && !json.Valid([]byte(st.Statement)) {
		return nil, fmt.Errorf("statement %s is not valid JSON", st.Sid)
	}
	return st, nil
}

// mergeBucket merges the changes idx into one bucket's policy. Concurrent
// batches touching the same bucket take turns.
func (a *applier) mergeBucket(ctx context.Context, bucket string, idx []int) {
	unlock := a.p.lockBucket(bucket)
	defer unlock()
	fail := func(err error) {
		for _, i := range idx {
			a.out[i].Err = a.wrap(a.b.Changes[i], err)
		}
	}
	region, ok, err := a.p.bucketRegion(ctx, a.s, bucket)
	if err == nil && !ok {
		err = fmt.Errorf("bucket %s does not exist", bucket)
	}
	if err != nil {
		fail(err)
		return
	}
	c := a.p.s3(a.s, region)
	policy, ok, err := getBucketPolicy(ctx, c, bucket)
	if err == nil && !ok {
		err = fmt.Errorf("bucket %s does not exist", bucket)
	}
	if err != nil {
		fail(err)
		return
	}
	edits := make([]statementEdit, len(idx))
	for n, i := range idx {
		st, _ := a.statementOf(a.b.Changes[i])
		if a.b.Spec != "" && !engine.OwnsSid(a.b.Spec, st.Sid) {
			fail(fmt.Errorf("refusing to change statement %q: spec %q owns only Sids starting with flowplan-%s-", st.Sid, a.b.Spec, a.b.Spec))
			return
		}
		edits[n] = statementEdit{Sid: st.Sid}
		if a.b.Op != engine.OpDelete {
			edits[n].Statement = json.RawMessage(st.Statement)
		}
	}
	merged, err := mergePolicy(policy, edits)
	if err == nil {
		err = a.writePolicy(ctx, c, bucket, policy, merged)
	}
	if err != nil {
		fail(err)
		return
	}
	if advice := policySizeAdvice(bucket, len(merged)); advice != "" {
		a.p.opts.Logger.WarnContext(ctx, advice, "account", a.b.Account.ID, "bucket", bucket, "bytes", len(merged))
	}
	for n, i := range idx {
		if a.b.Op == engine.OpDelete {
			continue
		}
		res := *a.b.Changes[i].After
		res.ID = engine.BucketStatementID(arn.Partition(region), bucket, edits[n].Sid)
		a.out[i].Resource = &res
	}
}

// writePolicy stores the merged policy: nothing when it is unchanged,
// DeleteBucketPolicy when no statement is left (all were flowplan's, as
// S3 refuses a policy without statements), PutBucketPolicy otherwise.
func (a *applier) writePolicy(ctx context.Context, c *s3.Client, bucket, old, merged string) error {
	if merged == "" {
		if strings.TrimSpace(old) == "" {
			return nil
		}
		_, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)})
		return err
	}
	var compactOld bytes.Buffer
	if json.Compact(&compactOld, []byte(old)) == nil && compactOld.String() == merged {
		return nil
	}
	_, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(merged)})
	return err
}

// lockBucket serialises read-modify-writes of one bucket's policy and
// returns the unlock function.
func (p *Provider) lockBucket(bucket string) func() {
	v, _ := p.bucketLocks.LoadOrStore(bucket, &sync.Mutex{})
	m := v.(*sync.Mutex)
	m.Lock()
	return m.Unlock
}
