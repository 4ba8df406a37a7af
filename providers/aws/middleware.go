package aws

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/flowplan/flowplan/engine"
)

// callScope says where a client's calls go: the account and region they
// are counted, logged and bounded under.
type callScope struct {
	account string
	region  string
	// sem bounds the calls in flight; nil for STS and Organizations, whose
	// calls can happen inside another call (credential refresh) and must
	// never wait for a slot that call holds.
	sem chan struct{}
}

func (s callScope) String() string { return s.account + "/" + s.region }

// callMiddleware wraps every operation of a client: it waits for a
// concurrency slot and for its turn at the rate AWS meters it at (pace),
// then counts, reports and logs the call with its
// duration, attempts and outcome. It never logs parameters, so neither
// credentials nor external IDs can appear.
func (p *Provider) callMiddleware(scope callScope) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		mw := middleware.InitializeMiddlewareFunc("flowplanCall", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if scope.sem != nil {
				select {
				case scope.sem <- struct{}{}:
					defer func() { <-scope.sem }()
				case <-ctx.Done():
					return middleware.InitializeOutput{}, middleware.Metadata{}, ctx.Err()
				}
			}
			service, action := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
			release, err := p.pace(ctx, scope, service, action)
			if err != nil {
				return middleware.InitializeOutput{}, middleware.Metadata{}, err
			}
			defer release()
			start := time.Now()
			out, md, err := next.HandleInitialize(ctx, in)
			p.stats.addCall(scope.String(), service+":"+action)
			p.report(engine.EventCall, scope.String(), service+" "+action)
			p.logCall(ctx, scope, service, action, time.Since(start), md, err)
			return out, md, err
		})
		return stack.Initialize.Add(mw, middleware.Before)
	}
}

func (p *Provider) logCall(ctx context.Context, scope callScope, service, action string, d time.Duration, md middleware.Metadata, err error) {
	if !p.opts.Logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attempts := 1
	if r, ok := retry.GetAttemptResults(md); ok && len(r.Results) > 0 {
		attempts = len(r.Results)
	}
	p.opts.Logger.LogAttrs(ctx, slog.LevelDebug, "aws call",
		slog.String("service", service),
		slog.String("operation", action),
		slog.String("account", scope.account),
		slog.String("region", scope.region),
		slog.Duration("duration", d),
		slog.Int("attempts", attempts),
		slog.String("outcome", outcome(err)),
	)
}

// outcome is "ok", the AWS error code, or "error".
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	if c := ErrorCode(err); c != "" {
		return c
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "canceled"
	}
	return "error"
}

// retryer is the SDK's standard retryer without the client-side retry
// quota (concurrent goroutines drain it: aws-sdk-go-v2 #1665), trying
// throttled calls up to MaxAttempts times and other transient failures
// three times. It counts and reports each throttle it retries.
type retryer struct {
	*retry.Standard
	throttle   retry.IsErrorThrottle
	otherMax   int
	onThrottle func()
}

func (p *Provider) newRetryer(scope callScope) aws.Retryer {
	return &retryer{
		Standard: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = max(p.opts.MaxAttempts, otherErrorAttempts)
			o.RateLimiter = ratelimit.None
			if p.retryBackoff != nil {
				o.Backoff = p.retryBackoff
			}
		}),
		throttle: retry.IsErrorThrottles(retry.DefaultThrottles),
		otherMax: otherErrorAttempts,
		onThrottle: func() {
			p.stats.addThrottle(scope.String())
			p.report(engine.EventThrottled, scope.String(), "throttled, retrying")
		},
	}
}

// RetryDelay ends the retries of non-throttling errors after otherMax
// attempts; throttles go on to MaxAttempts.
func (r *retryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	if r.throttle.IsErrorThrottle(err) == aws.TrueTernary {
		r.onThrottle()
		return r.Standard.RetryDelay(attempt, err)
	}
	if attempt >= r.otherMax {
		return 0, &retry.MaxAttemptsError{Attempt: attempt, Err: err}
	}
	return r.Standard.RetryDelay(attempt, err)
}

// ErrorCode returns the AWS error code carried by err (AccessDenied,
// InvalidParameter, ...), or "".
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
