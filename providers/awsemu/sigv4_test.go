package awsemu_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

// callEach calls one read-only operation of every emulated service with cfg
// and returns the errors by service.
func callEach(cfg aws.Config) map[string]error {
	s3c := emutest.S3(cfg)
	return map[string]error{
		"ec2": func() error { _, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); return err }(),
		"iam": func() error {
			_, err := iam.NewFromConfig(cfg).ListRoles(ctx, &iam.ListRolesInput{})
			return err
		}(),
		"sts": func() error {
			_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}(),
		"logs": func() error {
			_, err := cloudwatchlogs.NewFromConfig(cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
			return err
		}(),
		"firehose": func() error {
			_, err := firehose.NewFromConfig(cfg).DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("none")})
			return err
		}(),
		"organizations": func() error {
			_, err := organizations.NewFromConfig(cfg).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
			return err
		}(),
		"s3": func() error {
			_, err := s3c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("own-bucket")})
			return err
		}(),
	}
}

// TestWrongSecretRefused signs every service's request with a wrong secret:
// each answers with its own signature error.
func TestWrongSecretRefused(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	want := map[string]struct{ code, msg string }{
		"ec2":           {"AuthFailure", "AWS was not able to validate the provided access credentials"},
		"iam":           {"SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided"},
		"sts":           {"SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided"},
		"logs":          {"InvalidSignatureException", "The request signature we calculated does not match"},
		"firehose":      {"InvalidSignatureException", "The request signature we calculated does not match"},
		"organizations": {"InvalidSignatureException", "The request signature we calculated does not match"},
		"s3":            {"SignatureDoesNotMatch", "The request signature we calculated does not match"},
	}
	wrong := noRetry(s.ConfigWith("us-east-1", "AKIATESTACCOUNT00001", "secret-wrong", ""))
	for svc, err := range callEach(wrong) {
		t.Run(svc, func(t *testing.T) { wantAPIError(t, err, want[svc].code, want[svc].msg) })
	}
	// The right secret passes everywhere: the test world has no
	// organisation and no stream, which the services say once they have
	// accepted the signature.
	for svc, err := range callEach(oneCfg(s)) {
		switch svc {
		case "organizations":
			wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")
			continue
		case "firehose":
			wantAPIError(t, err, "ResourceNotFoundException", "")
			continue
		}
		if err != nil {
			t.Errorf("%s with the right secret: %v", svc, err)
		}
	}
	if n := s.Emu.Count("ec2", "DescribeVpcs"); n != 1 {
		t.Errorf("DescribeVpcs counted %d times; refused calls must not count", n)
	}
}

// TestSigningTimeSkew runs the emulator 20 minutes ahead of and behind the
// clients' clock: every service refuses the signing time as AWS does.
func TestSigningTimeSkew(t *testing.T) {
	for _, tt := range []struct {
		name   string
		offset time.Duration
		msg    string
	}{
		{"signed 20 minutes ago", 20 * time.Minute, "Signature expired: "},
		{"signed 20 minutes ahead", -20 * time.Minute, "Signature not yet current: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			clock.Advance(tt.offset)
			s := start(t, awsemu.Options{Clock: clock.Now}, testWorld)
			want := map[string]string{"ec2": "AuthFailure", "iam": "SignatureDoesNotMatch", "sts": "SignatureDoesNotMatch",
				"logs": "InvalidSignatureException", "firehose": "InvalidSignatureException",
				"organizations": "InvalidSignatureException", "s3": "RequestTimeTooSkewed"}
			for svc, err := range callEach(oneCfg(s)) {
				msg := tt.msg
				switch svc {
				case "s3":
					msg = "The difference between the request time and the current time is too large."
				case "ec2":
					msg = "AWS was not able to validate the provided access credentials"
				}
				wantAPIError(t, err, want[svc], msg)
			}
		})
	}
	// Within 15 minutes is accepted.
	clock := newClock()
	clock.Advance(14 * time.Minute)
	s := start(t, awsemu.Options{Clock: clock.Now}, testWorld)
	if _, err := sts.NewFromConfig(oneCfg(s)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("14 minutes of skew: %v", err)
	}
}

// TestSDKCorrectsClockSkew shows why the emulator dates its responses: the
// SDK, seeing a signature refused and a Date 30 minutes away, retries with
// a corrected signing time, as it does against AWS.
func TestSDKCorrectsClockSkew(t *testing.T) {
	clock := newClock()
	clock.Advance(30 * time.Minute)
	s := start(t, awsemu.Options{Clock: clock.Now}, testWorld)
	cfg := s.ConfigWith("us-east-1", "AKIATESTACCOUNT00001", "secret-one", "")
	if _, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatalf("the SDK did not correct its clock skew: %v", err)
	}
}

// signedRequest builds a request signed by the SDK's signer; tamper, when
// set, changes it after signing.
func signedRequest(t *testing.T, url, method, service, body string, header http.Header, payloadHash string, tamper func(*http.Request)) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	must(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	if payloadHash == "" {
		sum := sha256.Sum256([]byte(body))
		payloadHash = hex.EncodeToString(sum[:])
	}
	if service == "s3" {
		req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	}
	creds := aws.Credentials{AccessKeyID: "AKIATESTACCOUNT00001", SecretAccessKey: "secret-one"}
	must(t, v4.NewSigner().SignHTTP(ctx, creds, req, payloadHash, service, "us-east-1", time.Now(), func(o *v4.SignerOptions) {
		o.DisableURIPathEscaping = service == "s3"
	}))
	if tamper != nil {
		tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, string(out)
}

// TestTamperedRequestRefused changes each part of a correctly signed request
// after signing; each change breaks the signature, in every protocol.
func TestTamperedRequestRefused(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	ec2Body := "Action=DescribeVpcs&Version=2016-11-15"
	tests := []struct {
		name, method, path, service, body string
		header                            http.Header
		tamper                            func(*http.Request)
		wantStatus                        int
		wantInBody                        string
	}{
		{"ec2 body", "POST", "/", "ec2", ec2Body, form, func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(ec2Body + "&DryRun=true"))
			r.ContentLength += int64(len("&DryRun=true"))
		}, 401, "<Code>AuthFailure</Code>"},
		{"ec2 query", "POST", "/?DryRun=false", "ec2", ec2Body, form, func(r *http.Request) { r.URL.RawQuery = "DryRun=true" }, 401, "<Code>AuthFailure</Code>"},
		{"iam signed header", "POST", "/", "iam", "Action=ListRoles&Version=2010-05-08", form, func(r *http.Request) {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}, 403, "<Code>SignatureDoesNotMatch</Code>"},
		{"logs target", "POST", "/", "logs", "{}", logsJS, func(r *http.Request) {
			r.Header.Set("X-Amz-Target", "Logs_20140328.DeleteLogGroup")
		}, 400, `"__type":"InvalidSignatureException"`},
		{"s3 path", "GET", "/own-bucket?location", "s3", "", nil, func(r *http.Request) {
			r.URL.Path = "/central-bucket"
		}, 403, "<Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match"},
		{"s3 signature", "GET", "/own-bucket?location", "s3", "", nil, func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Signature=", "Signature=0", 1)[:len(r.Header.Get("Authorization"))])
		}, 403, "<SignatureProvided>0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := signedRequest(t, s.URL+tt.path, tt.method, tt.service, tt.body, tt.header, "", nil)
			if status != 200 {
				t.Fatalf("untampered: status %d, body %s", status, body)
			}
			status, body = signedRequest(t, s.URL+tt.path, tt.method, tt.service, tt.body, tt.header, "", tt.tamper)
			if status != tt.wantStatus || !strings.Contains(body, tt.wantInBody) {
				t.Fatalf("tampered: status %d, want %d with %q; body %s", status, tt.wantStatus, tt.wantInBody, body)
			}
		})
	}
}

// TestS3PayloadHashes covers the payload hashes S3 signs: the body's
// SHA-256 (which must match the body), UNSIGNED-PAYLOAD, and a signed
// aws-chunked body whose chunk signatures are checked one by one.
func TestS3PayloadHashes(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	url := s.URL + "/own-bucket?policy"
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::own-bucket/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	md5Header := http.Header{"Content-Md5": {contentMD5(policy)}}

	if status, body := signedRequest(t, url, "PUT", "s3", policy, md5Header, "", nil); status != 204 {
		t.Fatalf("signed payload: %d %s", status, body)
	}
	if status, body := signedRequest(t, url, "PUT", "s3", policy, md5Header, "UNSIGNED-PAYLOAD", nil); status != 204 {
		t.Fatalf("UNSIGNED-PAYLOAD: %d %s", status, body)
	}
	wrongHash := strings.Repeat("0", 64)
	if status, body := signedRequest(t, url, "PUT", "s3", policy, md5Header, wrongHash, nil); status != 400 ||
		!strings.Contains(body, "<Code>XAmzContentSHA256Mismatch</Code>") {
		t.Fatalf("x-amz-content-sha256 of another body: %d %s", status, body)
	}
	missing := func(r *http.Request) { r.Header.Del("X-Amz-Content-Sha256") }
	if status, body := signedRequest(t, url, "PUT", "s3", policy, md5Header, "", missing); status != 400 ||
		!strings.Contains(body, "x-amz-content-sha256") {
		t.Fatalf("no x-amz-content-sha256: %d %s", status, body)
	}

	for _, tt := range []struct {
		name       string
		corrupt    bool
		wantStatus int
	}{{"chunk signatures right", false, 204}, {"a chunk signature wrong", true, 403}} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := chunkedPut(t, url, policy, tt.corrupt)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", status, tt.wantStatus, body)
			}
			if tt.corrupt && !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code><Message>The chunk signature") {
				t.Fatalf("body %s", body)
			}
		})
	}
}

// chunkedPut sends policy as a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body in
// chunks of 64 bytes, signed with the SDK's signer and stream signer.
func chunkedPut(t *testing.T, url, policy string, corrupt bool) (int, string) {
	t.Helper()
	const chunkSize = 64
	now := time.Now()
	creds := aws.Credentials{AccessKeyID: "AKIATESTACCOUNT00001", SecretAccessKey: "secret-one"}
	var encodedLen int
	var pieces []string
	for i := 0; i < len(policy); i += chunkSize {
		pieces = append(pieces, policy[i:min(i+chunkSize, len(policy))])
	}
	pieces = append(pieces, "")
	for _, p := range pieces {
		encodedLen += len(fmt.Sprintf("%x;chunk-signature=%s\r\n", len(p), strings.Repeat("0", 64))) + len(p) + 2
	}
	req, err := http.NewRequest("PUT", url, nil)
	must(t, err)
	req.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(policy)))
	req.Header.Set("Content-Md5", contentMD5(policy))
	req.ContentLength = int64(encodedLen)
	must(t, v4.NewSigner().SignHTTP(ctx, creds, req, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "s3", "us-east-1", now,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }))
	_, seedHex, _ := strings.Cut(req.Header.Get("Authorization"), "Signature=")
	seed, err := hex.DecodeString(seedHex)
	must(t, err)
	ss := v4.NewStreamSigner(creds, "s3", "us-east-1", seed)
	var body bytes.Buffer
	for i, p := range pieces {
		sig, err := ss.GetSignature(ctx, nil, []byte(p), now)
		must(t, err)
		if corrupt && i == 1 {
			sig[0] ^= 1
		}
		fmt.Fprintf(&body, "%x;chunk-signature=%x\r\n%s\r\n", len(p), sig, p)
	}
	req.Body = io.NopCloser(&body)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// TestPresignedRequests verifies presigned URLs from the SDK: a good one
// works, an edited one is refused, and one past X-Amz-Expires has expired.
func TestPresignedRequests(t *testing.T) {
	clock := newClock()
	s := start(t, awsemu.Options{Clock: clock.Now}, testWorld)
	presigner := s3.NewPresignClient(emutest.S3(oneCfg(s)), s3.WithPresignExpires(5*time.Minute))
	signed, err := presigner.PresignHeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("own-bucket")})
	must(t, err)
	head := func(url string) int {
		req, err := http.NewRequest(signed.Method, url, nil)
		must(t, err)
		for k, v := range signed.SignedHeader {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := head(signed.URL); got != 200 {
		t.Fatalf("presigned HeadBucket: status %d", got)
	}
	if got := head(strings.Replace(signed.URL, "own-bucket", "central-bucket", 1)); got != 403 {
		t.Fatalf("presigned URL for another bucket: status %d, want 403", got)
	}
	clock.Advance(6 * time.Minute)
	if got := head(signed.URL); got != 403 {
		t.Fatalf("presigned URL after X-Amz-Expires: status %d, want 403", got)
	}

	// STS presigned GetCallerIdentity (as EKS and Vault use it).
	stsPresign := sts.NewPresignClient(sts.NewFromConfig(oneCfg(s)))
	p, err := stsPresign.PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, err)
	req, err := http.NewRequest(p.Method, p.URL, nil)
	must(t, err)
	for k, v := range p.SignedHeader {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(out), "<Account>111111111111</Account>") {
		t.Fatalf("presigned GetCallerIdentity: %d %s", resp.StatusCode, out)
	}
	tampered := strings.Replace(p.URL, "Action=GetCallerIdentity", "Action=GetCallerIdentity&Extra=1", 1)
	req, err = http.NewRequest(p.Method, tampered, nil)
	must(t, err)
	resp, err = http.DefaultClient.Do(req)
	must(t, err)
	out, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(out), "<Code>SignatureDoesNotMatch</Code>") {
		t.Fatalf("edited presigned GetCallerIdentity: %d %s", resp.StatusCode, out)
	}
}

// contentMD5 is the Content-MD5 header of a body.
func contentMD5(body string) string {
	sum := md5.Sum([]byte(body))
	return base64.StdEncoding.EncodeToString(sum[:])
}
