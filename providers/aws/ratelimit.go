package aws

import (
	"context"
	"sync"
	"time"

	"github.com/flowplan/flowplan/engine"
)

// tokenBucket paces calls to the rate AWS meters them at
// (engine.APIRateOf), so that flowplan waits its turn instead of being
// throttled and backing off. Each call takes a token; a call that finds
// none reserves the next one and sleeps until it has refilled, so callers
// are served in the order they came. It refills at paceMargin of AWS's
// rate: AWS's bucket and flowplan's do not start at the same instant, and
// a call sent the moment flowplan's has a token can reach AWS's a moment
// before it has one.
type tokenBucket struct {
	mu     sync.Mutex
	rate   engine.APIRate
	tokens float64
	last   time.Time
	now    func() time.Time
}

// paceMargin is the share of AWS's refill rate flowplan paces at.
const paceMargin = 0.8

func newTokenBucket(r engine.APIRate, now func() time.Time) *tokenBucket {
	r.PerSecond *= paceMargin
	return &tokenBucket{rate: r, tokens: r.Burst, last: now(), now: now}
}

// reserve takes a token and returns how long to wait before using it.
func (b *tokenBucket) reserve() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if d := now.Sub(b.last).Seconds(); d > 0 {
		b.tokens = min(b.rate.Burst, b.tokens+d*b.rate.PerSecond)
		b.last = now
	}
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate.PerSecond * float64(time.Second))
}

// cancel gives back a token reserved by a call that will not be made.
func (b *tokenBucket) cancel() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = min(b.rate.Burst, b.tokens+1)
}

// wait takes a token, sleeping until the bucket has one; it returns the
// context's error, with the token given back, when ctx ends first.
func (b *tokenBucket) wait(ctx context.Context) error {
	d := b.reserve()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		b.cancel()
		return ctx.Err()
	}
}

// pace waits for the token of one call of service's action in scope, when
// AWS publishes a rate for it, and for one of the MaxConcurrentAssumeRoles
// slots for an AssumeRole. The returned function releases what was taken.
func (p *Provider) pace(ctx context.Context, scope callScope, service, action string) (func(), error) {
	release := func() {}
	if service == "STS" && action == "AssumeRole" {
		select {
		case p.assumeRoles <- struct{}{}:
			release = func() { <-p.assumeRoles }
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r, ok := engine.APIRateOf(service, action)
	if !ok || p.opts.NoRateLimits {
		return release, nil
	}
	key := scope.String() + "\x00" + r.Bucket
	if r.PerCaller {
		key = "caller\x00" + r.Bucket
	}
	v, ok := p.buckets.Load(key)
	if !ok {
		v, _ = p.buckets.LoadOrStore(key, newTokenBucket(r, time.Now))
	}
	if err := v.(*tokenBucket).wait(ctx); err != nil {
		release()
		return nil, err
	}
	return release, nil
}
