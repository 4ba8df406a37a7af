package aws

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/motoserver"
	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

// This file runs the integration tests against two AWS emulators: moto
// (independent of this project; started here or reached at
// FLOWPLAN_MOTO_URL) and our own providers/awsemu (stricter, paginating,
// with fault injection). Without moto the moto runs skip loudly; with
// FLOWPLAN_REQUIRE_E2E=1 they fail.

// baseAccount is the account the static test credentials belong to.
const baseAccount = "123456789012"

// Test credentials: moto accepts any; the emulator's world declares these.
const (
	testAccessKey = "AKIAIOSFODNN7EXAMPLE"
	testSecret    = "secret"
)

// backend is one emulator the integration tests run against, with what it
// is known to do differently from AWS.
type backend struct {
	name     string
	endpoint string
	// reset empties the emulator's state before a test.
	reset func(t testing.TB)
	// seed builds what flowplan never creates and returns IDs by name.
	seed func(t testing.TB, p *Provider, s *seed) map[string]string
	// emu is our emulator, for its counters and fault injection; nil for moto.
	emu *awsemu.Emulator
	// paginates is false when the emulator ignores MaxResults on EC2
	// describes (moto does): tests of page counts need it.
	paginates bool
	// destinationOptions is false when DescribeFlowLogs omits
	// DestinationOptions (moto does; AWS returns them for S3 flow logs).
	destinationOptions bool
	// s3Prefixes is false when CreateFlowLogs refuses an S3 destination
	// with a folder (moto looks up "bucket/folder/" as the bucket name; AWS
	// accepts arn:aws:s3:::bucket/folder/).
	s3Prefixes bool
	// eniState is the Status a new ENI is described with: moto's are
	// available, the emulator's (attached, as most are) in-use.
	eniState string
}

func TestMain(m *testing.M) {
	code := m.Run()
	motoserver.StopShared()
	os.Exit(code)
}

// motoBackend returns the moto backend: this test binary's server (or the
// one at FLOWPLAN_MOTO_URL), held for t and emptied by reset.
func motoBackend(t testing.TB) *backend {
	t.Helper()
	server := motoserver.Shared(t)
	server.Lock()
	t.Cleanup(server.Unlock)
	return &backend{
		name:     "moto",
		endpoint: server.URL,
		reset: func(t testing.TB) {
			if err := server.Reset(context.Background()); err != nil {
				t.Fatal(err)
			}
		},
		seed:     seedMoto,
		eniState: "available",
	}
}

// emuBackend serves a new awsemu emulator for the test. AssumeRole is
// permissive (any role in a known account), as moto's is.
func emuBackend(t testing.TB, opts awsemu.Options) *backend {
	t.Helper()
	opts.PermissiveAssumeRole = true
	srv := emutest.Start(t, opts, "")
	apply := func(t testing.TB, s *seed) map[string]string {
		w, ids := emuWorld(s, testAccessKey, testSecret)
		if err := srv.Emu.ApplyWorld(w); err != nil {
			t.Fatalf("emulator world: %v", err)
		}
		srv.Emu.ResetCounts()
		return ids
	}
	be := &backend{
		name:               "awsemu",
		endpoint:           srv.URL,
		emu:                srv.Emu,
		paginates:          true,
		destinationOptions: true,
		s3Prefixes:         true,
		eniState:           "in-use",
		reset:              func(t testing.TB) { apply(t, &seed{}) },
		seed:               func(t testing.TB, _ *Provider, s *seed) map[string]string { return apply(t, s) },
	}
	be.reset(t)
	return be
}

// forEachBackend runs fn as a subtest per backend, on an emptied emulator.
func forEachBackend(t *testing.T, fn func(t *testing.T, be *backend)) {
	t.Run("moto", func(t *testing.T) {
		be := motoBackend(t)
		be.reset(t)
		fn(t, be)
	})
	t.Run("awsemu", func(t *testing.T) {
		fn(t, emuBackend(t, awsemu.Options{}))
	})
}

// newTestProvider returns a Provider against the backend with static
// test credentials and fast IAM backoff.
func newTestProvider(t testing.TB, be *backend, mod ...func(*Options)) *Provider {
	t.Helper()
	o := Options{
		EndpointURL: be.endpoint,
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, testSecret, ""),
		SessionName: SessionName("test"),
	}
	for _, m := range mod {
		m(&o)
	}
	p, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	p.firstWait = 10 * time.Millisecond
	return p
}

// testAccount is an account reached through AssumeRole (moto runs calls
// made with the assumed credentials in the role's account).
func testAccount(id string, regions ...string) engine.Account {
	return engine.Account{ID: id, Regions: regions, AssumeRole: "arn:aws:iam::" + id + ":role/flowplan-admin", Source: "accounts"}
}

// testSession returns the provider's session for the account, for setting
// up the world through the same endpoint.
func testSession(t testing.TB, p *Provider, a engine.Account) *session {
	t.Helper()
	s, err := p.session(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
