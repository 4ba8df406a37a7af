// Package e2e seeds AWS backends (our emulator, providers/awsemu, and moto) from emulator world files for end-to-end tests, and reads and changes them out of band.
package e2e

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/flowplan/flowplan/providers/awsemu"
)

// Backend names, also the testscript conditions that select them.
const (
	BackendEmulator = "emu"
	BackendMoto     = "moto"
)

// HomeRegion is the region the seeded environment's AWS_REGION names.
const HomeRegion = "us-east-1"

// Seeded is a backend holding a world: how flowplan reaches it, and what the
// world's names became.
type Seeded struct {
	// Backend is BackendEmulator or BackendMoto.
	Backend string
	// Endpoint is the base URL every AWS service is reached at.
	Endpoint string
	// Caller is the credentials flowplan runs with: the world's sandbox
	// credential (or its first), in that credential's account.
	Caller aws.Credentials
	// CallerAccount is the account Caller belongs to.
	CallerAccount string
	// IDs maps variable names (VPC_prod_web, FL_prod_web) to the IDs the
	// backend gave the world's named resources. See VarName.
	IDs map[string]string

	// mint returns the harness's credentials in an account; creds caches them.
	mint    func(account string) (aws.CredentialsProvider, error)
	credsMu sync.Mutex
	creds   map[string]aws.CredentialsProvider
	// roleARNs maps "<account>/<role name>" to the role's ARN (with path).
	roleARNs map[string]string
	// world is what was seeded.
	world *awsemu.World
}

// Env returns the environment flowplan needs to reach the backend, sorted:
// endpoint, credentials, region, the ID variables, and settings that keep
// a developer's AWS configuration out of the way.
func (s *Seeded) Env(workDir string) []string {
	env := []string{
		"AWS_ENDPOINT_URL=" + s.Endpoint,
		"AWS_ACCESS_KEY_ID=" + s.Caller.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + s.Caller.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + s.Caller.SessionToken,
		"AWS_REGION=" + HomeRegion,
		"AWS_DEFAULT_REGION=" + HomeRegion,
		"AWS_PROFILE=",
		"AWS_CONFIG_FILE=" + workDir + "/.aws-none/config",
		"AWS_SHARED_CREDENTIALS_FILE=" + workDir + "/.aws-none/credentials",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CA_BUNDLE=",
		"E2E_BACKEND=" + s.Backend,
		"E2E_CALLER_ACCOUNT=" + s.CallerAccount,
	}
	for k, v := range s.IDs {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}

// Config returns an SDK configuration for the harness's own calls in an
// account and region.
func (s *Seeded) Config(account, region string) (aws.Config, error) {
	s.credsMu.Lock()
	defer s.credsMu.Unlock()
	creds, ok := s.creds[account]
	if !ok {
		var err error
		if creds, err = s.mint(account); err != nil {
			return aws.Config{}, err
		}
		if s.creds == nil {
			s.creds = map[string]aws.CredentialsProvider{}
		}
		s.creds[account] = creds
	}
	return sdkConfig(s.Endpoint, region, creds), nil
}

// Names replaces every seeded ID in text by its variable name ($VPC_prod_web),
// longest IDs first, so that output compares equal across backends whose
// IDs differ.
func (s *Seeded) Names(text string) string {
	keys := make([]string, 0, len(s.IDs))
	for k := range s.IDs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := s.IDs[keys[i]], s.IDs[keys[j]]
		if len(a) != len(b) {
			return len(a) > len(b)
		}
		return keys[i] < keys[j]
	})
	pairs := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		pairs = append(pairs, s.IDs[k], "$"+k)
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// sdkConfig is a plain SDK configuration for endpoint: no shared config
// files, no environment, the SDK's buildable HTTP client.
func sdkConfig(endpoint, region string, creds aws.CredentialsProvider) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  creds,
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   awshttp.NewBuildableClient(),
	}
}

// clients are the SDK clients of one account-region.
type clients struct {
	ec2      *ec2.Client
	iam      *iam.Client
	logs     *cloudwatchlogs.Client
	s3       *s3.Client
	firehose *firehose.Client
	sts      *sts.Client
}

func newClients(cfg aws.Config) *clients {
	return &clients{
		ec2:      ec2.NewFromConfig(cfg),
		iam:      iam.NewFromConfig(cfg),
		logs:     cloudwatchlogs.NewFromConfig(cfg),
		s3:       s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		firehose: firehose.NewFromConfig(cfg),
		sts:      sts.NewFromConfig(cfg),
	}
}

func (s *Seeded) clients(account, region string) (*clients, error) {
	cfg, err := s.Config(account, region)
	if err != nil {
		return nil, err
	}
	return newClients(cfg), nil
}

// LoadWorld reads and strictly decodes a world file.
func LoadWorld(path string) (*awsemu.World, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load world: %w", err)
	}
	defer f.Close()
	w, err := awsemu.ParseWorld(f)
	if err != nil {
		return nil, fmt.Errorf("load world %s: %w", path, err)
	}
	return w, nil
}

// callerCredential returns the world credential flowplan runs with: the one
// marked sandbox, else the first; nil when the world lists none.
func callerCredential(w *awsemu.World) *awsemu.WorldCredential {
	for i := range w.Credentials {
		if w.Credentials[i].Sandbox {
			return &w.Credentials[i]
		}
	}
	if len(w.Credentials) > 0 {
		return &w.Credentials[0]
	}
	return nil
}

// callerAccount is the account flowplan's credentials belong to.
func callerAccount(w *awsemu.World) string {
	if c := callerCredential(w); c != nil {
		return c.Account
	}
	if len(w.Accounts) > 0 {
		return w.Accounts[0].ID
	}
	return ""
}

// roleARNs maps "<account>/<role name>" to each world role's ARN.
func roleARNs(w *awsemu.World) map[string]string {
	out := map[string]string{}
	for _, a := range w.Accounts {
		for _, r := range a.Roles {
			out[a.ID+"/"+r.Name] = roleARN(a.ID, r.Path, r.Name)
		}
	}
	return out
}

func roleARN(account, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + account + ":role" + path + name
}

// flowLogRole turns a world flow log's role (a bare name means a role of
// the account) into an ARN.
func (s *Seeded) flowLogRole(account, role string) string {
	if role == "" || strings.HasPrefix(role, "arn:") {
		return role
	}
	if arn, ok := s.roleARNs[account+"/"+role]; ok {
		return arn
	}
	return roleARN(account, "/", role)
}
