package aws

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/spec"
)

var fakeAccount = engine.Account{ID: "123456789012", Regions: []string{"us-east-1"}}

func TestThrottlesAreRetriedUpToMaxAttempts(t *testing.T) {
	tests := []struct {
		name       string
		throttles  int
		wantErr    string
		wantCalls  int
		wantEvents int
	}{
		{name: "nine throttles then success", throttles: 9, wantCalls: 10, wantEvents: 9},
		{name: "throttled beyond MaxAttempts", throttles: 100, wantErr: "RequestLimitExceeded", wantCalls: 10, wantEvents: 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, url := newFakeEC2(t, func(action string, _ url.Values, n int) (int, string) {
				if action == "DescribeFlowLogs" {
					return http.StatusOK, describeFlowLogsReply(nil)
				}
				if n <= tt.throttles {
					return http.StatusServiceUnavailable, ec2Error("RequestLimitExceeded", "Request limit exceeded.")
				}
				return http.StatusOK, emptyVpcsReply
			})
			p, ev := newFakeProvider(t, url)
			_, err := p.DiscoverRegion(context.Background(), engine.RegionQuery{Account: fakeAccount, Region: "us-east-1", TargetKinds: []spec.TargetKind{spec.TargetVPC}})
			if (tt.wantErr == "" && err != nil) || ErrorCode(err) != tt.wantErr {
				t.Fatalf("err = %v, want code %q", err, tt.wantErr)
			}
			if n := len(f.requestsFor("DescribeVpcs")); n != tt.wantCalls {
				t.Errorf("DescribeVpcs attempts = %d, want %d", n, tt.wantCalls)
			}
			if n := ev.count(engine.EventThrottled); n != tt.wantEvents {
				t.Errorf("throttle events = %d, want %d", n, tt.wantEvents)
			}
			if n := p.Stats().Throttles(); n != tt.wantEvents {
				t.Errorf("Stats().Throttles() = %d, want %d", n, tt.wantEvents)
			}
		})
	}
}

func TestOtherTransientErrorsAreTriedThreeTimes(t *testing.T) {
	f, url := newFakeEC2(t, func(action string, _ url.Values, n int) (int, string) {
		if action == "DescribeFlowLogs" {
			return http.StatusOK, describeFlowLogsReply(nil)
		}
		return http.StatusInternalServerError, ec2Error("InternalError", "An internal error has occurred")
	})
	p, _ := newFakeProvider(t, url)
	_, err := p.DiscoverRegion(context.Background(), engine.RegionQuery{Account: fakeAccount, Region: "us-east-1", TargetKinds: []spec.TargetKind{spec.TargetVPC}})
	if ErrorCode(err) != "InternalError" {
		t.Fatalf("err = %v, want InternalError", err)
	}
	if n := len(f.requestsFor("DescribeVpcs")); n != otherErrorAttempts {
		t.Errorf("attempts = %d, want %d", n, otherErrorAttempts)
	}
}

// TestThrottlingStormHasNoRetryQuota runs many concurrent calls that are
// each throttled several times. The SDK's default retry quota (500 tokens,
// 5 per throttled retry) would run out after 100 retries and fail calls
// with "retry quota exceeded" (aws-sdk-go-v2 #1665); with ratelimit.None
// every call finishes.
func TestThrottlingStormHasNoRetryQuota(t *testing.T) {
	var mu sync.Mutex
	perCall := map[string]int{}
	_, url := newFakeEC2(t, func(action string, form url.Values, _ int) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		key := form.Get("Filter.1.Value.1")
		perCall[key]++
		if perCall[key] <= 4 {
			return http.StatusServiceUnavailable, ec2Error("RequestLimitExceeded", "Request limit exceeded.")
		}
		return http.StatusOK, emptyVpcsReply
	})
	p, _ := newFakeProvider(t, url)
	s := testSession(t, p, fakeAccount)
	c := p.ec2(s, "us-east-1")
	const calls = 60
	errs := make([]error, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			_, errs[i] = c.DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{
				Filters: []ec2types.Filter{{Name: aws.String("tag:n"), Values: []string{fmt.Sprint(i)}}},
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if got, want := p.Stats().Throttles(), calls*4; got != want {
		t.Errorf("throttles retried = %d, want %d", got, want)
	}
}

func TestConcurrencyIsBoundedPerAccountRegion(t *testing.T) {
	f, url := newFakeEC2(t, func(string, url.Values, int) (int, string) { return http.StatusOK, emptyVpcsReply })
	f.delay = 20 * time.Millisecond
	p, _ := newFakeProvider(t, url, func(o *Options) { o.Concurrency = 3 })
	s := testSession(t, p, fakeAccount)
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			if _, err := p.ec2(s, "us-east-1").DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if f.maxInFlight != 3 {
		t.Errorf("max in flight = %d, want 3 (the bound, reached)", f.maxInFlight)
	}
}
