package awsemu_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

// fakeClock is a settable Options.Clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock {
	// The clock starts at the wall clock: requests are signed with it, and
	// the emulator refuses signing times 15 minutes away from its own.
	return &fakeClock{now: time.Now().UTC().Truncate(time.Second)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testWorld is a small world most tests use. Account 111111111111 has a
// delivery role whose trust and permissions are exactly right for log
// groups under /fl/, a bucket of its own, two VPCs, a subnet, an ENI and a
// transit gateway. Account 222222222222 owns a central bucket.
const testWorld = `
seed: 7
credentials:
  - {access_key_id: AKIATESTACCOUNT00001, secret_access_key: secret-one, account: "111111111111", sandbox: true}
  - {access_key_id: AKIATESTACCOUNT00002, secret_access_key: secret-two, account: "222222222222"}
accounts:
  - id: "111111111111"
    name: one
    roles:
      - name: delivery
        path: /flowplan/
        trust_policy:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Principal: {Service: vpc-flow-logs.amazonaws.com}
              Action: sts:AssumeRole
              Condition:
                StringEquals: {aws:SourceAccount: "111111111111"}
                ArnLike: {aws:SourceArn: "arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/*"}
        policies:
          flowplan-delivery:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [logs:CreateLogStream, logs:PutLogEvents, logs:DescribeLogGroups, logs:DescribeLogStreams]
                Resource: "arn:aws:logs:us-east-1:111111111111:log-group:/fl/*"
    buckets:
      - {name: own-bucket, region: us-east-1}
    regions:
      us-east-1:
        vpcs:
          - name: a
            cidr: 10.0.0.0/16
            tags: {env: prod}
            subnets:
              - {name: a1, cidr: 10.0.1.0/24, az: us-east-1a, enis: [{name: e1, description: web}]}
          - {name: b, cidr: 10.1.0.0/16, tags: {env: staging}}
        transit_gateways:
          - {name: t, attachments: [{name: ta, vpc: a}]}
        log_groups:
          - {name: /fl/existing}
  - id: "222222222222"
    name: two
    buckets:
      - {name: central-bucket, region: us-east-1}
`

const (
	acctOne = "111111111111"
	acctTwo = "222222222222"
	// deliveryRole is the test world's correct delivery role.
	deliveryRole = "arn:aws:iam::111111111111:role/flowplan/delivery"
)

// start serves a world given as YAML text.
func start(t testing.TB, opts awsemu.Options, world string) *emutest.Server {
	t.Helper()
	emu := awsemu.New(opts)
	if err := emu.LoadWorld(strings.NewReader(world)); err != nil {
		t.Fatalf("load world: %v", err)
	}
	return &emutest.Server{Emu: emu, URL: newServer(t, emu)}
}

// newServer serves emu until the test ends and returns its URL.
func newServer(t testing.TB, emu *awsemu.Emulator) string {
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// noRetry makes SDK calls fail on the first error, so tests see exactly
// what the emulator answered.
func noRetry(cfg aws.Config) aws.Config {
	cfg.RetryMaxAttempts = 1
	return cfg
}

// oneCfg is account one's configuration in us-east-1, without retries.
func oneCfg(s *emutest.Server) aws.Config {
	return noRetry(s.ConfigWith("us-east-1", "AKIATESTACCOUNT00001", "secret-one", ""))
}

func twoCfg(s *emutest.Server) aws.Config {
	return noRetry(s.ConfigWith("us-east-1", "AKIATESTACCOUNT00002", "secret-two", ""))
}

var ctx = context.Background()

// wantAPIError fails unless err is an AWS error with the code and a
// message containing msg.
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want %s", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an AWS API error", err)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("error = %s: %q, want %s containing %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// manyVPCsWorld is a one-account world with n VPCs in us-east-1, every
// other one tagged env=prod.
func manyVPCsWorld(n int) string {
	var b strings.Builder
	b.WriteString("credentials: [{access_key_id: AKIATESTACCOUNT00001, secret_access_key: secret-one, account: \"111111111111\"}]\n")
	b.WriteString("accounts:\n  - id: \"111111111111\"\n    regions:\n      us-east-1:\n        vpcs:\n")
	for i := 0; i < n; i++ {
		env := "dev"
		if i%2 == 0 {
			env = "prod"
		}
		fmt.Fprintf(&b, "          - {name: v%03d, cidr: 10.%d.0.0/16, tags: {env: %s}}\n", i, i%256, env)
	}
	return b.String()
}
