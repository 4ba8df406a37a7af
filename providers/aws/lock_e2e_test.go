package aws

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/flowplan/flowplan/engine"
)

// TestApplyLockOnCloudWatchLogs runs the engine's lock protocol over the
// provider's lease log groups: a second run is refused naming the first,
// takes the lock once it is released, and takes over a lease that expired.
func TestApplyLockOnCloudWatchLogs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		p := newTestProvider(t, be)
		q := engine.LeaseQuery{Account: testAccount("111111111111", testRegion), Region: testRegion, Spec: "prod"}
		ctx := context.Background()
		first, err := engine.AcquireLock(ctx, p, q, engine.LockOptions{Holder: "alice@ci-1 pid 10"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = engine.AcquireLock(ctx, p, q, engine.LockOptions{Holder: "bob@laptop pid 20"})
		var le *engine.LockedError
		if !errors.As(err, &le) || le.Held.Holder != "alice@ci-1 pid 10" || le.Held.Account != "111111111111" ||
			le.Held.Location != "log group /flowplan/locks/prod/0000000001 in "+testRegion ||
			!le.Held.Started.Equal(first.Lease().Started.Truncate(time.Millisecond)) {
			t.Fatalf("second run: %v (%+v)", err, le)
		}
		if err := first.Release(ctx); err != nil {
			t.Fatal(err)
		}
		second, err := engine.AcquireLock(ctx, p, q, engine.LockOptions{Holder: "bob@laptop pid 20"})
		if err != nil {
			t.Fatal(err)
		}
		if second.Lease().Generation != 2 || second.TookOver() != nil {
			t.Errorf("second: generation %d, took over %v", second.Lease().Generation, second.TookOver())
		}
		leases, err := p.ListLeases(ctx, q)
		if err != nil || len(leases) != 1 || leases[0].Generation != 2 || leases[0].Holder != "bob@laptop pid 20" {
			t.Fatalf("leases = %+v, %v: want bob's generation 2 only", leases, err)
		}

		// bob crashes: his lease is never released, and expires.
		stale := leases[0]
		stale.Expires = time.Now().Add(-time.Second)
		second.Release(ctx) // stops the renewals; put the crash back:
		if err := p.UpdateLease(ctx, q, stale); err != nil {
			t.Fatal(err)
		}
		c := p.logs(testSession(t, p, q.Account), testRegion)
		if _, err := c.UntagResource(ctx, &cloudwatchlogs.UntagResourceInput{
			ResourceArn: aws.String("arn:aws:logs:" + testRegion + ":111111111111:log-group:/flowplan/locks/prod/0000000002"), TagKeys: []string{tagLockReleased}}); err != nil {
			t.Fatal(err)
		}
		third, err := engine.AcquireLock(ctx, p, q, engine.LockOptions{Holder: "carol"})
		if err != nil {
			t.Fatal(err)
		}
		defer third.Release(ctx)
		if took := third.TookOver(); took == nil || took.Holder != "bob@laptop pid 20" || third.Lease().Generation != 3 {
			t.Errorf("third: generation %d, took over %+v", third.Lease().Generation, took)
		}
	})
}

// A log group under the lock prefix that flowplan did not make is never
// deleted.
func TestDeleteLeaseRefusesForeignLogGroups(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		p := newTestProvider(t, be)
		q := engine.LeaseQuery{Account: testAccount("111111111111", testRegion), Region: testRegion, Spec: "prod"}
		ctx := context.Background()
		c := p.logs(testSession(t, p, q.Account), testRegion)
		if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/flowplan/locks/prod/0000000001")}); err != nil {
			t.Fatal(err)
		}
		err := p.DeleteLease(ctx, q, 1)
		if err == nil || !strings.Contains(err.Error(), "refusing") {
			t.Fatalf("DeleteLease = %v, want a refusal", err)
		}
		if groups, err := describeLogGroups(ctx, c, "/flowplan/locks/"); err != nil || len(groups) != 1 {
			t.Errorf("log groups = %d, %v", len(groups), err)
		}
		// It still holds its generation, as an expired lease.
		l, err := engine.AcquireLock(ctx, p, q, engine.LockOptions{Holder: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Release(ctx)
		if l.Lease().Generation != 2 {
			t.Errorf("generation %d, want 2", l.Lease().Generation)
		}
	})
}

// A lease log group that someone has written a log stream into holds
// data, so it is never deleted, even with the spec's lock tag.
func TestDeleteLeaseRefusesLogGroupsHoldingData(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		p := newTestProvider(t, be)
		q := engine.LeaseQuery{Account: testAccount("111111111111", testRegion), Region: testRegion, Spec: "prod"}
		ctx := context.Background()
		l, err := engine.AcquireLock(ctx, p, q, engine.LockOptions{Holder: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Release(ctx); err != nil {
			t.Fatal(err)
		}
		c := p.logs(testSession(t, p, q.Account), testRegion)
		name := "/flowplan/locks/prod/0000000001"
		if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(name), LogStreamName: aws.String("app")}); err != nil {
			t.Fatal(err)
		}
		err = p.DeleteLease(ctx, q, 1)
		if err == nil || !strings.Contains(err.Error(), `refusing: it holds log stream "app"`) {
			t.Fatalf("DeleteLease = %v, want a refusal naming the stream", err)
		}
		if groups, err := describeLogGroups(ctx, c, name); err != nil || len(groups) != 1 {
			t.Errorf("log groups = %d, %v: want the group kept", len(groups), err)
		}
	})
}
