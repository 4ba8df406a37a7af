// Package aws implements engine.Provider over aws-sdk-go-v2: it discovers flow logs, delivery roles, log groups and bucket policies across accounts and regions, and applies planned changes with batched, idempotent calls.
package aws

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"

	"github.com/flowplan/flowplan/engine"
)

// Defaults for Options fields left zero.
const (
	DefaultRegion                = "us-east-1"
	DefaultIAMPropagationTimeout = 2 * time.Minute
	// DefaultMaxAttempts is how many times a throttled call is tried.
	DefaultMaxAttempts = 10
	// DefaultConcurrency bounds the calls in flight per account-region, well
	// inside EC2's burst of 100 describe tokens.
	DefaultConcurrency = 6
	// otherErrorAttempts is how many times a call failing with a transient,
	// non-throttling error (5xx, timeouts) is tried: the SDK's default.
	otherErrorAttempts = 3
	// ec2PropagationTimeout bounds the wait for a flow log just created to
	// show in DescribeFlowLogs. EC2's guide asks for retries "increasing
	// gradually up to a few minutes of wait time".
	ec2PropagationTimeout = 2 * time.Minute
	// assumeRoleDuration is asked for every AssumeRole: an hour covers a
	// plan and its apply, and is what roles allow by default.
	assumeRoleDuration = time.Hour
)

// Options configures a Provider. The zero value works: the standard
// credential chain, us-east-1 as the home region, and SDK endpoints.
type Options struct {
	// Profile is the shared-config profile (--profile); empty uses the
	// SDK's default resolution (AWS_PROFILE, then "default").
	Profile string
	// Region is the home region for STS and Organizations calls; empty
	// means the AWS config's region (AWS_REGION, the profile), else
	// us-east-1.
	Region string
	// EndpointURL, when set, sends every service to this endpoint. Without
	// it the SDK still honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>.
	EndpointURL string
	// Credentials replaces the credential chain (the sandbox uses it).
	Credentials aws.CredentialsProvider
	// Logger receives one debug record per AWS call; nil discards.
	Logger *slog.Logger
	// Reporter receives progress events; nil is allowed.
	Reporter engine.Reporter
	// IAMPropagationTimeout bounds the retries of CreateFlowLogs while a new
	// delivery role propagates through IAM.
	IAMPropagationTimeout time.Duration
	// MaxAttempts is how many times a throttled call is tried.
	MaxAttempts int
	// Concurrency bounds the calls in flight per account-region (and per
	// account for IAM).
	Concurrency int
	// SessionName is the AssumeRole session name, flowplan-<spec name>;
	// characters STS refuses become "-" and it is cut to 64 characters.
	SessionName string
	// NoRateLimits stops pacing calls at the rates AWS meters them at
	// (engine.APIRateOf); the SDK's retries of throttled calls remain.
	// For tests of throttling itself.
	NoRateLimits bool
	// HTTPClient, when set, replaces the SDK's HTTP client. It is for
	// in-process emulators (the sandbox); against AWS leave it nil, so that
	// AWS_CA_BUNDLE and proxy settings keep working.
	HTTPClient aws.HTTPClient
}

// SessionName returns the AssumeRole session name for a spec,
// flowplan-<spec name>, reduced to the characters and 64-character length
// STS accepts.
func SessionName(specName string) string { return cleanSessionName("flowplan-" + specName) }

func cleanSessionName(name string) string {
	s := invalidSessionChars.ReplaceAllString(name, "-")
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

var invalidSessionChars = regexp.MustCompile(`[^\w+=,.@-]`)

// Provider is the engine.Provider over AWS. It is safe for concurrent use.
type Provider struct {
	opts  Options
	base  aws.Config
	stats *Stats

	// firstWait is the first wait of every backoff: retries during IAM
	// propagation and read-backs of new flow logs; tests shorten it.
	firstWait time.Duration
	// readBackTimeout bounds the read-backs of new flow logs that EC2 does
	// not show yet; tests shorten it.
	readBackTimeout time.Duration
	// retryBackoff replaces the SDK's backoff when set; tests shorten it.
	retryBackoff retry.BackoffDelayer

	mu       sync.Mutex
	sessions map[string]*session
	// startOnce guards startIdentity and startErr: who the base
	// credentials are, asked of STS once per run (see baseIdentity).
	startOnce     sync.Once
	startIdentity *sts.GetCallerIdentityOutput
	startErr      error
	sems          map[string]chan struct{}
	// bucketRegions caches each bucket's region between discovery and apply.
	bucketRegions sync.Map
	// bucketLocks holds a *sync.Mutex per bucket (see lockBucket).
	bucketLocks sync.Map
	// buckets holds a *tokenBucket per scope and AWS rate bucket (pace).
	buckets sync.Map
	// assumeRoles bounds the AssumeRole calls in flight.
	assumeRoles chan struct{}
}

var _ engine.Provider = (*Provider)(nil)

// New loads the AWS configuration (credential chain, profile, CA bundle,
// endpoints) and returns a Provider. It makes no AWS calls.
func New(ctx context.Context, o Options) (*Provider, error) {
	if o.IAMPropagationTimeout <= 0 {
		o.IAMPropagationTimeout = DefaultIAMPropagationTimeout
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	o.SessionName = cleanSessionName(cmp.Or(o.SessionName, "flowplan"))
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	// Keep the SDK's buildable client: AWS_CA_BUNDLE is added to it by
	// LoadDefaultConfig, which refuses a plain http.Client.
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = 64
	})
	loadOpts := []func(*config.LoadOptions) error{config.WithHTTPClient(httpClient)}
	if o.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.EndpointURL != "" {
		loadOpts = append(loadOpts, config.WithBaseEndpoint(o.EndpointURL))
	}
	if o.Credentials != nil {
		loadOpts = append(loadOpts, config.WithCredentialsProvider(o.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("load aws configuration: %w", err)
	}
	cfg.Logger = sdkLogger{o.Logger}
	if o.HTTPClient != nil {
		// Set after loading: LoadDefaultConfig refuses a client that is not
		// buildable when AWS_CA_BUNDLE is set, and the sandbox needs no CA.
		cfg.HTTPClient = o.HTTPClient
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	o.Region = cfg.Region
	return &Provider{
		opts:            o,
		base:            cfg,
		stats:           newStats(),
		firstWait:       2 * time.Second,
		readBackTimeout: ec2PropagationTimeout,
		sessions:        map[string]*session{},
		sems:            map[string]chan struct{}{},
		assumeRoles:     make(chan struct{}, engine.MaxConcurrentAssumeRoles),
	}, nil
}

// Stats returns the provider's call and throttle counters.
func (p *Provider) Stats() *Stats { return p.stats }

func (p *Provider) report(typ engine.EventType, scope, msg string) {
	if p.opts.Reporter != nil {
		p.opts.Reporter.Report(engine.Event{Type: typ, Scope: scope, Message: msg})
	}
}

// semaphore returns the concurrency bound of one scope.
func (p *Provider) semaphore(scope string) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sems[scope]
	if !ok {
		s = make(chan struct{}, p.opts.Concurrency)
		p.sems[scope] = s
	}
	return s
}

// sdkLogger sends the SDK's own log lines (warnings about retries or
// connection reuse) to the provider's logger instead of stderr. The SDK
// logs no request contents unless ClientLogMode asks, which flowplan never
// sets, so no credentials reach it.
type sdkLogger struct{ l *slog.Logger }

func (s sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	level := slog.LevelDebug
	// A response body that could not be drained only costs a connection
	// (the SDK says "this may affect connection reuse"); it happens when a
	// retried or failed call's connection is already closed, nobody can act
	// on it, and it is no warning of anything flowplan does.
	if c == logging.Warn && !strings.HasPrefix(msg, "failed to discard remaining HTTP response body") {
		level = slog.LevelWarn
	}
	s.l.Log(context.Background(), level, msg, "source", "aws-sdk")
}

// CheckCredentials resolves the base credentials once, so that a run with
// none fails early with one clear error instead of one per account and
// region. It makes no AWS API call unless the chain itself does (SSO,
// instance or container roles).
func (p *Provider) CheckCredentials(ctx context.Context) error {
	if p.base.Credentials == nil {
		return errors.New("no AWS credentials are configured")
	}
	if _, err := p.base.Credentials.Retrieve(ctx); err != nil {
		return fmt.Errorf("no usable AWS credentials: %w", err)
	}
	return nil
}
