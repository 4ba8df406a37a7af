package aws

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/flowplan/flowplan/engine"
)

// session holds one account's credentials, retrieved once (one AssumeRole
// per account per run), and its clients, built once per region.
type session struct {
	account string
	once    sync.Once
	creds   aws.CredentialsProvider
	err     error

	mu      sync.Mutex
	clients map[string]any

	// regionsOnce guards regions, the account's regions as DescribeRegions
	// lists them (see checkRegion).
	regionsOnce sync.Once
	regions     accountRegions
}

// session returns the account's session, assuming its role on first use.
// A failure (AccessDenied on AssumeRole, say) is remembered, so a broken
// account costs one AssumeRole, and is returned for every scope of the
// account with its AWS error code.
func (p *Provider) session(ctx context.Context, a engine.Account) (*session, error) {
	key := a.ID + "\x00" + a.AssumeRole + "\x00" + a.ExternalID
	p.mu.Lock()
	s, ok := p.sessions[key]
	if !ok {
		s = &session{account: a.ID, clients: map[string]any{}}
		p.sessions[key] = s
	}
	p.mu.Unlock()
	s.once.Do(func() { s.creds, s.err = p.credentials(ctx, a) })
	return s, s.err
}

func (p *Provider) credentials(ctx context.Context, a engine.Account) (aws.CredentialsProvider, error) {
	if a.AssumeRole == "" {
		// The starting credentials act in their own account, whatever the
		// spec calls it: used for another account, flowplan would read and
		// write one account under another's addresses.
		id, err := p.baseAccount(ctx)
		if err != nil {
			return nil, &Error{Op: "find the account of the starting credentials, used as they are for account", Addr: a.ID, Err: err}
		}
		if id != a.ID {
			return nil, &Error{Op: "use the starting credentials for account", Addr: a.ID,
				Err: fmt.Errorf("they belong to account %s; give account %s an assume_role, or run flowplan with its credentials", id, a.ID)}
		}
		return p.base.Credentials, nil
	}
	stsClient := sts.NewFromConfig(p.scopedConfig(callScope{account: a.ID, region: p.opts.Region}, p.opts.Region, p.base.Credentials))
	cache := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, a.AssumeRole, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = p.opts.SessionName
		o.Duration = assumeRoleDuration
		if a.ExternalID != "" {
			o.ExternalID = aws.String(a.ExternalID)
		}
	}))
	if _, err := cache.Retrieve(ctx); err != nil {
		return nil, &Error{Op: "assume role " + a.AssumeRole + " for account", Addr: a.ID, Err: err}
	}
	return cache, nil
}

// scopedConfig is the base configuration bound to one scope: its region,
// credentials, a retryer of its own and the call middleware.
func (p *Provider) scopedConfig(scope callScope, region string, creds aws.CredentialsProvider) aws.Config {
	cfg := p.base.Copy()
	cfg.Region = region
	cfg.Credentials = creds
	cfg.Retryer = func() aws.Retryer { return p.newRetryer(scope) }
	cfg.APIOptions = append(cfg.APIOptions[:len(cfg.APIOptions):len(cfg.APIOptions)], p.callMiddleware(scope))
	return cfg
}

// client returns the session's client named by kind and region, building
// it on first use.
func client[T any](p *Provider, s *session, kind, region, awsRegion string, build func(aws.Config) T) T {
	key := kind + "/" + region
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[key]; ok {
		return c.(T)
	}
	scope := callScope{account: s.account, region: region}
	scope.sem = p.semaphore(scope.String())
	c := build(p.scopedConfig(scope, awsRegion, s.creds))
	s.clients[key] = c
	return c
}

func (p *Provider) ec2(s *session, region string) *ec2.Client {
	return client(p, s, "ec2", region, region, func(c aws.Config) *ec2.Client { return ec2.NewFromConfig(c) })
}

func (p *Provider) logs(s *session, region string) *cloudwatchlogs.Client {
	return client(p, s, "logs", region, region, func(c aws.Config) *cloudwatchlogs.Client { return cloudwatchlogs.NewFromConfig(c) })
}

// iam clients are counted and bounded under <account>/global and sent to
// the home region's partition endpoint.
func (p *Provider) iam(s *session) *iam.Client {
	return client(p, s, "iam", engine.GlobalRegion, p.opts.Region, func(c aws.Config) *iam.Client { return iam.NewFromConfig(c) })
}

// s3 returns a client for buckets in region. Whenever an endpoint override
// is in effect (Options.EndpointURL, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3
// or the shared config's services section) it uses path-style addressing:
// virtual-hosted names like bucket.127.0.0.1 do not resolve.
func (p *Provider) s3(s *session, region string) *s3.Client {
	return client(p, s, "s3", region, region, func(c aws.Config) *s3.Client {
		return s3.NewFromConfig(c, func(o *s3.Options) {
			if o.BaseEndpoint != nil {
				o.UsePathStyle = true
			}
		})
	})
}

// organizations returns a client with the base credentials in the home
// region. Its calls are counted under "organization/<home region>".
func (p *Provider) organizations() *organizations.Client {
	scope := callScope{account: "organization", region: p.opts.Region}
	return organizations.NewFromConfig(p.scopedConfig(scope, p.opts.Region, p.base.Credentials))
}

// scopeName is "<account>/<region>", the Scope of events and ScopeErrors.
func scopeName(account, region string) string { return fmt.Sprintf("%s/%s", account, region) }
