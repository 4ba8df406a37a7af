package aws

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/spec"
)

// isolateEnv clears the AWS environment variables the tests set, and
// points shared config at nothing, so a developer's setup cannot leak in.
func isolateEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_EC2", "AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
}

// TestEndpointFromEnvironment reaches moto through AWS_ENDPOINT_URL alone,
// with credentials from the environment: the SDK honours the variable, and
// S3 then goes path-style (bucket.127.0.0.1 would not resolve).
func TestEndpointFromEnvironment(t *testing.T) {
	be := motoBackend(t)
	be.reset(t)
	isolateEnv(t)
	t.Setenv("AWS_ENDPOINT_URL", be.endpoint)
	p, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := engine.Account{ID: baseAccount, Regions: []string{"us-east-1"}}
	be.seed(t, p, &seed{buckets: []seedBucket{{baseAccount, "us-east-1", "env-bucket"}}})
	w := newWorld(t, p, testSession(t, p, a))
	w.bucketPolicy("us-east-1", "env-bucket", `{"Version":"2012-10-17","Statement":[{"Sid":"x","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::env-bucket/*"}]}`)
	got, err := p.DiscoverBucket(context.Background(), engine.BucketQuery{Account: a, Bucket: "env-bucket"})
	if err != nil || !got.Exists || !strings.Contains(got.Policy, `"Sid":"x"`) {
		t.Fatalf("DiscoverBucket = %+v, %v", got, err)
	}
	if _, err := p.DiscoverRegion(context.Background(), engine.RegionQuery{Account: a, Region: "us-east-1", TargetKinds: []spec.TargetKind{spec.TargetVPC}}); err != nil {
		t.Fatal(err)
	}
}

func TestS3PathStyleOnlyBehindAnOverride(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		opt       string
		pathStyle bool
		ec2Base   string
	}{
		{name: "no override"},
		{name: "Options.EndpointURL", opt: "http://127.0.0.1:9", pathStyle: true, ec2Base: "http://127.0.0.1:9"},
		{name: "AWS_ENDPOINT_URL", env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:8"}, pathStyle: true, ec2Base: "http://127.0.0.1:8"},
		{name: "AWS_ENDPOINT_URL_S3 only", env: map[string]string{"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:7"}, pathStyle: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			p, err := New(context.Background(), Options{EndpointURL: tt.opt})
			if err != nil {
				t.Fatal(err)
			}
			s := &session{account: "1", creds: p.base.Credentials, clients: map[string]any{}}
			if got := p.s3(s, "eu-west-1").Options().UsePathStyle; got != tt.pathStyle {
				t.Errorf("S3 UsePathStyle = %v, want %v", got, tt.pathStyle)
			}
			if got := aws.ToString(p.ec2(s, "eu-west-1").Options().BaseEndpoint); got != tt.ec2Base {
				t.Errorf("EC2 BaseEndpoint = %q, want %q", got, tt.ec2Base)
			}
		})
	}
}

// TestCABundle reaches a TLS endpoint whose certificate only AWS_CA_BUNDLE
// vouches for: the SDK adds the bundle to its buildable HTTP client, which
// New keeps. Without the bundle the same call fails.
func TestCABundle(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		form := url.Values{}
		if err := r.ParseForm(); err == nil {
			form = r.PostForm
		}
		switch form.Get("Action") {
		case "GetCallerIdentity":
			w.Write([]byte(callerIdentityReply))
		case "DescribeFlowLogs":
			w.Write([]byte(describeFlowLogsReply(nil)))
		default:
			w.Write([]byte(emptyVpcsReply))
		}
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(bundle, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	q := engine.RegionQuery{Account: fakeAccount, Region: "us-east-1", TargetKinds: []spec.TargetKind{spec.TargetVPC}}
	for _, withBundle := range []bool{true, false} {
		isolateEnv(t)
		if withBundle {
			t.Setenv("AWS_CA_BUNDLE", bundle)
		}
		p, err := New(context.Background(), Options{EndpointURL: srv.URL, Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "s", "")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.DiscoverRegion(context.Background(), q)
		if withBundle && err != nil {
			t.Errorf("with AWS_CA_BUNDLE: %v", err)
		}
		if !withBundle && (err == nil || !strings.Contains(err.Error(), "certificate")) {
			t.Errorf("without AWS_CA_BUNDLE: err = %v, want a certificate error", err)
		}
	}
}

func TestHomeRegion(t *testing.T) {
	tests := []struct{ opt, env, want string }{
		{want: "us-east-1"},
		{env: "eu-central-1", want: "eu-central-1"},
		{opt: "ap-southeast-2", env: "eu-central-1", want: "ap-southeast-2"},
	}
	for _, tt := range tests {
		isolateEnv(t)
		if tt.env != "" {
			t.Setenv("AWS_REGION", tt.env)
		}
		p, err := New(context.Background(), Options{Region: tt.opt})
		if err != nil {
			t.Fatal(err)
		}
		if p.opts.Region != tt.want {
			t.Errorf("Options.Region %q with AWS_REGION %q: home region %q, want %q", tt.opt, tt.env, p.opts.Region, tt.want)
		}
	}
}
