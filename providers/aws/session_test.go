package aws

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/spec"
)

// fakeSTS answers every request with AccessDenied, as STS does for an
// AssumeRole the caller may not make, and counts the requests.
func fakeSTS(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		body, _ := io.ReadAll(r.Body)
		if !bytes.Contains(body, []byte("Action=AssumeRole")) || !bytes.Contains(body, []byte("RoleSessionName=flowplan-prod-spec&")) ||
			!bytes.Contains(body, []byte("DurationSeconds=3600")) {
			t.Errorf("unexpected request %s", body)
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>`+
			`<Message>User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestAssumeRoleFailureIsPerAccountAndCached(t *testing.T) {
	srv, calls := fakeSTS(t)
	var logs bytes.Buffer
	p, err := New(context.Background(), Options{
		EndpointURL: srv.URL,
		Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "secret-key-never-logged", ""),
		Logger:      slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		SessionName: "flowplan-prod spec",
	})
	if err != nil {
		t.Fatal(err)
	}
	a := engine.Account{ID: "111111111111", AssumeRole: "arn:aws:iam::111111111111:role/flowplan", ExternalID: "external-id-never-logged", Regions: []string{"us-east-1"}}
	ctx := context.Background()
	_, err1 := p.DiscoverRegion(ctx, engine.RegionQuery{Account: a, Region: "us-east-1", TargetKinds: []spec.TargetKind{spec.TargetVPC}})
	_, err2 := p.DiscoverAccount(ctx, engine.AccountQuery{Account: a, RoleNames: []string{"r"}})
	outcomes := p.Apply(ctx, &engine.Batch{Account: a, Region: "us-east-1", Kind: engine.KindFlowLog, Op: engine.OpDelete,
		Changes: []*engine.Change{{Addr: engine.Addr{Account: a.ID, Region: "us-east-1", Kind: engine.KindFlowLog, Name: "x/vpc-1"}}}})
	for _, err := range []error{err1, err2, outcomes[0].Err} {
		if err == nil {
			t.Fatal("want an error for an account whose role cannot be assumed")
		}
		if got := ErrorCode(err); got != "AccessDenied" {
			t.Errorf("code = %q, want AccessDenied (%v)", got, err)
		}
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			t.Errorf("errors.As(smithy.APIError) fails for %v", err)
		}
		want := "assume role arn:aws:iam::111111111111:role/flowplan for account 111111111111: AccessDenied: User: "
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error = %q, want prefix %q", err, want)
		}
	}
	// The engine reads the code through errors.As(err, *engine.ScopeError).
	var se engine.ScopeError
	if !errors.As(err1, &se) || se.Code != "AccessDenied" ||
		se.Message != "assume role arn:aws:iam::111111111111:role/flowplan for account 111111111111: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole" {
		t.Errorf("as ScopeError: %+v", se)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("STS was called %d times, want once per account per run", n)
	}
	for _, secret := range []string{"external-id-never-logged", "secret-key-never-logged", "AKIAIOSFODNN7EXAMPLE"} {
		if strings.Contains(logs.String(), secret) || strings.Contains(err1.Error(), secret) {
			t.Errorf("%q leaked into logs or errors:\n%s", secret, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "service=STS operation=AssumeRole account=111111111111") || !strings.Contains(logs.String(), "outcome=AccessDenied") {
		t.Errorf("debug log lacks the AssumeRole call:\n%s", logs.String())
	}
}

func TestSessionName(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"prod", "flowplan-prod"},
		{"prod spec/eu", "flowplan-prod-spec-eu"},
		{strings.Repeat("x", 80), "flowplan-" + strings.Repeat("x", 55)},
	}
	for _, tt := range tests {
		if got := SessionName(tt.spec); got != tt.want {
			t.Errorf("SessionName(%q) = %q, want %q", tt.spec, got, tt.want)
		}
	}
}
