package aws

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/providers/awsemu"
)

// A bucket hands out its burst at once, then one token per 1/rate (at
// paceMargin of AWS's rate), in the order they were asked for; a token
// given back is the next one's.
func TestTokenBucketPaces(t *testing.T) {
	now := time.Unix(0, 0)
	b := newTokenBucket(engine.APIRate{Bucket: "x", Burst: 5, PerSecond: 5 / paceMargin}, func() time.Time { return now })
	for i := range 5 {
		if d := b.reserve(); d != 0 {
			t.Fatalf("call %d waits %s within the burst", i, d)
		}
	}
	for i, want := range []time.Duration{200 * time.Millisecond, 400 * time.Millisecond} {
		if d := b.reserve(); d != want {
			t.Errorf("call %d after the burst waits %s, want %s", 6+i, d, want)
		}
	}
	b.cancel()
	now = now.Add(time.Second) // refills 5: -1 + 5 = 4, capped at the burst
	for i := range 4 {
		if d := b.reserve(); d != 0 {
			t.Fatalf("after a second, call %d waits %s", i, d)
		}
	}
	if d := b.reserve(); d != 200*time.Millisecond {
		t.Errorf("the fifth call after a second waits %s, want 200ms", d)
	}
}

// The provider keeps inside CloudWatch Logs' 5-a-second ListTagsForResource
// bucket, as the emulator meters it after AWS's quotas page: reading nine
// log groups' tags at once draws no throttling error. Without pacing the
// same reads are throttled (and retried).
func TestProviderPacesCallsAtAWSRates(t *testing.T) {
	for _, paced := range []bool{true, false} {
		t.Run(fmt.Sprintf("paced=%t", paced), func(t *testing.T) {
			be := emuBackend(t, awsemu.Options{})
			// One call at a time, so that the calls reach the emulator in the
			// order they were paced.
			p := newTestProvider(t, be, func(o *Options) { o.NoRateLimits = !paced; o.Concurrency = 1 })
			acct := testAccount("111111111111", testRegion)
			w := newWorld(t, p, testSession(t, p, acct))
			for i := range 9 {
				w.logGroup(testRegion, fmt.Sprintf("/bench/g%d", i), 0, map[string]string{engine.TagSpec: "bench"})
			}
			time.Sleep(time.Second) // the buckets, the provider's and the emulator's, refill
			be.emu.SetThrottling(true)
			p.Stats().Reset()
			q := engine.RegionQuery{Account: acct, Region: testRegion, LogGroupPrefixes: []string{"/bench/"}}
			st, err := p.DiscoverRegion(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.LogGroups) != 9 {
				t.Fatalf("found %d log groups, want 9", len(st.LogGroups))
			}
			switch n := p.Stats().Throttles(); {
			case paced && n != 0:
				t.Errorf("paced reads were throttled %d times", n)
			case !paced && n == 0:
				t.Error("unpaced reads were never throttled: the test shows nothing")
			}
		})
	}
}

// At most MaxConcurrentAssumeRoles AssumeRole calls are in flight: the
// next one waits for a slot.
func TestAssumeRoleConcurrencyIsBounded(t *testing.T) {
	p := newTestProvider(t, emuBackend(t, awsemu.Options{}))
	scope := callScope{account: "111111111111", region: testRegion}
	var releases []func()
	for range engine.MaxConcurrentAssumeRoles {
		r, err := p.pace(context.Background(), scope, "STS", "AssumeRole")
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := p.pace(ctx, scope, "STS", "AssumeRole"); err == nil {
		t.Fatalf("AssumeRole number %d got a slot while %d were in flight", engine.MaxConcurrentAssumeRoles+1, engine.MaxConcurrentAssumeRoles)
	}
	releases[0]()
	r, err := p.pace(context.Background(), scope, "STS", "AssumeRole")
	if err != nil {
		t.Fatalf("after one finished: %v", err)
	}
	r()
}
