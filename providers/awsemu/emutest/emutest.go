// Package emutest starts the AWS emulator on a local HTTP server and builds aws-sdk-go-v2 configurations that talk to it.
package emutest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/flowplan/flowplan/providers/awsemu"
)

// Server is an emulator served over HTTP on 127.0.0.1.
type Server struct {
	Emu *awsemu.Emulator
	// URL is the endpoint, e.g. http://127.0.0.1:41234.
	URL string
}

// Start serves a new emulator loaded with the world file at worldPath (none
// when empty) until the test ends.
func Start(t testing.TB, opts awsemu.Options, worldPath string) *Server {
	t.Helper()
	emu := awsemu.New(opts)
	if worldPath != "" {
		if err := emu.LoadWorldFile(worldPath); err != nil {
			t.Fatalf("emutest: %v", err)
		}
	}
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	return &Server{Emu: emu, URL: srv.URL}
}

// Config is an SDK configuration for region using the sandbox credentials.
func (s *Server) Config(region string) aws.Config {
	id, secret := s.Emu.SandboxCredentials()
	return s.ConfigWith(region, id, secret, "")
}

// ConfigWith is an SDK configuration for region with the given credentials.
func (s *Server) ConfigWith(region, accessKeyID, secret, sessionToken string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKeyID, secret, sessionToken),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   &http.Client{Transport: Transport(nil)},
	}
}

// Transport wraps next (nil: a new http.Transport) so that net/http sends a
// private copy of each request body. aws-sdk-go-v2 v1.48 closes the body it
// handed to net/http as soon as RoundTrip returns; against a server as fast
// as the local emulator, net/http then sees a write error and closes the
// connection while the response is being read (see awsemu.HTTPClient). A
// private copy takes the SDK's close out of the picture.
func Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = &http.Transport{}
	}
	return bodyCopy{next}
}

type bodyCopy struct{ next http.RoundTripper }

func (t bodyCopy) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return t.next.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return t.next.RoundTrip(out)
}

// AssumeRole returns cfg with credentials of roleARN, assumed through the
// emulator's STS with cfg's credentials.
func AssumeRole(cfg aws.Config, roleARN string) aws.Config {
	out := cfg.Copy()
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleARN)
	out.Credentials = aws.NewCredentialsCache(provider)
	return out
}

// S3 is an S3 client for cfg with path-style addressing, which an endpoint
// on an IP address needs.
func S3(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}
