package awsemu

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Throttling follows AWS's token buckets, per account and region:
//
//   - EC2 (docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html):
//     non-mutating actions 100 tokens refilled at 20/s, mutating 50 at 5/s,
//     CreateTags/DeleteTags 100 at 10/s, unpaginated unfiltered
//     DescribeNetworkInterfaces 50 at 10/s. AWS now evaluates each API on its
//     own bucket; older pages described one shared Describe bucket. The
//     emulator takes the stricter reading: all non-mutating calls share one.
//   - CloudWatch Logs (cloudwatch_limits_cwl.html): DescribeLogGroups,
//     CreateLogGroup and DeleteLogGroup 10 TPS; PutRetentionPolicy,
//     TagResource and ListTagsForResource 5 TPS. A TPS quota is modelled as
//     a bucket of that many tokens refilled at that rate. Other Logs actions:
//     5 TPS (ASSUMPTION: no published figure).
//   - STS: 600 requests/s per account and region (IAM quotas page).
//   - IAM and Organizations publish no figures. ASSUMPTION: 20 tokens
//     refilled at 10/s per account. Firehose DescribeDeliveryStream: 10 TPS.
//
// Throttled calls get each service's throttling error: RequestLimitExceeded
// (EC2, HTTP 503), Throttling (IAM and STS), ThrottlingException (Logs),
// TooManyRequestsException (Organizations), LimitExceededException
// (Firehose). S3 is not throttled: its request rates (3,500 writes and 5,500
// reads per second per prefix) are far above what flowplan sends.

type bucketSpec struct {
	name     string
	capacity float64
	refill   float64 // tokens per second
}

type tokenBucket struct {
	tokens float64
	last   time.Time
}

type throttleKey struct {
	account, scope, bucket string
}

type throttler struct {
	mu      sync.Mutex
	enabled bool
	buckets map[throttleKey]*tokenBucket
}

func newThrottler(enabled bool) *throttler {
	return &throttler{enabled: enabled, buckets: map[throttleKey]*tokenBucket{}}
}

// SetThrottling turns the token buckets on or off. Turning them on starts
// every bucket full.
func (e *Emulator) SetThrottling(on bool) {
	e.throttle.mu.Lock()
	defer e.throttle.mu.Unlock()
	e.throttle.enabled = on
	e.throttle.buckets = map[throttleKey]*tokenBucket{}
}

// take spends a token for c, or returns the service's throttling error.
func (t *throttler) take(c *call) *apiError {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.enabled {
		return nil
	}
	spec, ok := bucketFor(c)
	if !ok {
		return nil
	}
	k := throttleKey{c.key.Account, c.scope, spec.name}
	b := t.buckets[k]
	if b == nil {
		b = &tokenBucket{tokens: spec.capacity, last: c.now}
		t.buckets[k] = b
	}
	if elapsed := c.now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(spec.capacity, b.tokens+elapsed*spec.refill)
		b.last = c.now
	}
	if b.tokens >= 1 {
		b.tokens--
		return nil
	}
	return throttlingError(c.svc.name)
}

func bucketFor(c *call) (bucketSpec, bool) {
	switch c.svc.name {
	case "ec2":
		return ec2Bucket(c), true
	case "logs":
		switch c.action {
		case "DescribeLogGroups", "CreateLogGroup", "DeleteLogGroup":
			return bucketSpec{"logs:" + c.action, 10, 10}, true
		}
		return bucketSpec{"logs:" + c.action, 5, 5}, true
	case "sts":
		return bucketSpec{"sts", 600, 600}, true
	case "iam", "organizations":
		return bucketSpec{c.svc.name, 20, 10}, true
	case "firehose":
		return bucketSpec{"firehose:" + c.action, 10, 10}, true
	}
	return bucketSpec{}, false
}

func ec2Bucket(c *call) bucketSpec {
	switch {
	case c.action == "CreateTags" || c.action == "DeleteTags":
		return bucketSpec{"ec2:tags", 100, 10}
	case c.action == "DescribeNetworkInterfaces" && !c.form.has("MaxResults") && len(c.form.items("Filter")) == 0:
		return bucketSpec{"ec2:unpaginated", 50, 10}
	case strings.HasPrefix(c.action, "Describe"):
		return bucketSpec{"ec2:non-mutating", 100, 20}
	}
	return bucketSpec{"ec2:mutating", 50, 5}
}

func throttlingError(svc string) *apiError {
	switch svc {
	case "ec2":
		return newError(http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded.")
	case "logs":
		return badRequest("ThrottlingException", "Rate exceeded")
	case "organizations":
		return badRequest("TooManyRequestsException", "You have sent too many requests in too short a period of time. The quota helps protect against denial-of-service attacks. Try again later.")
	case "firehose":
		return badRequest("LimitExceededException", "Rate exceeded")
	}
	return badRequest("Throttling", "Rate exceeded")
}
