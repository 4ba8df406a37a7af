package awsemu_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/flowplan/flowplan/providers/awsemu"
)

// rawCall sends a request signed (unless key is empty) for service and
// region, and returns the status and body.
func rawCall(t *testing.T, url, method, service, region, key, secret string, header http.Header, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	must(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	if key != "" {
		sum := sha256.Sum256([]byte(body))
		if service == "s3" {
			// S3 signs the payload hash it is given in this header.
			req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
		}
		creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
		must(t, v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, region, time.Now()))
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, string(out)
}

var (
	form   = http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}
	logsJS = http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {"Logs_20140328.DescribeLogGroups"}}
)

func TestProtocolErrors(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	const key, secret = "AKIATESTACCOUNT00001", "secret-one"
	unknownOp := http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {"Logs_20140328.DescribeLogGroupz"}}
	tests := []struct {
		name                   string
		method, path           string
		service, region, keyID string
		header                 http.Header
		body                   string
		wantStatus             int
		wantInBody             []string
	}{
		{"ec2 without auth", "POST", "/", "", "", "", form, "Action=DescribeVpcs&Version=2016-11-15", 403,
			[]string{"<Code>MissingAuthenticationToken</Code>"}},
		{"json without auth", "POST", "/", "", "", "", logsJS, "{}", 400,
			[]string{`"__type":"MissingAuthenticationTokenException"`}},
		{"s3 without auth", "GET", "/central-bucket?policy", "", "", "", nil, "", 403,
			[]string{"<Code>AccessDenied</Code>"}},
		{"ec2 unknown key", "POST", "/", "ec2", "us-east-1", "AKIAUNKNOWNUNKNOWN00", form, "Action=DescribeVpcs&Version=2016-11-15", 401,
			[]string{"<Response><Errors><Error><Code>AuthFailure</Code>", "<RequestID>"}},
		{"iam unknown key", "POST", "/", "iam", "us-east-1", "AKIAUNKNOWNUNKNOWN00", form, "Action=GetRole&RoleName=x&Version=2010-05-08", 403,
			[]string{"<ErrorResponse", "<Code>InvalidClientTokenId</Code>", "<Type>Sender</Type>"}},
		{"logs unknown key", "POST", "/", "logs", "us-east-1", "AKIAUNKNOWNUNKNOWN00", logsJS, "{}", 400,
			[]string{`"__type":"UnrecognizedClientException"`}},
		{"s3 unknown key", "GET", "/central-bucket?policy", "s3", "us-east-1", "AKIAUNKNOWNUNKNOWN00", nil, "", 403,
			[]string{"<Code>InvalidAccessKeyId</Code>"}},
		{"ec2 unknown action", "POST", "/", "ec2", "us-east-1", key, form, "Action=RunInstances&Version=2016-11-15", 400,
			[]string{"<Code>InvalidAction</Code>", "The action RunInstances is not valid for this web service."}},
		{"ec2 unknown parameter", "POST", "/", "ec2", "us-east-1", key, form, "Action=DescribeVpcs&Version=2016-11-15&VpcIds.1=vpc-1", 400,
			[]string{"<Code>UnknownParameter</Code>", "VpcIds"}},
		{"iam unknown action", "POST", "/", "iam", "us-east-1", key, form, "Action=CreateUser&UserName=x&Version=2010-05-08", 400,
			[]string{"<Code>InvalidAction</Code>"}},
		{"logs unknown operation", "POST", "/", "logs", "us-east-1", key, unknownOp, "{}", 400,
			[]string{`"__type":"UnknownOperationException"`}},
		{"logs body not json", "POST", "/", "logs", "us-east-1", key, logsJS, "[", 400,
			[]string{`"__type":"SerializationException"`}},
		{"s3 object operation", "PUT", "/central-bucket/some/key", "s3", "us-east-1", "AKIATESTACCOUNT00002", nil, "", 501,
			[]string{"<Code>NotImplemented</Code>"}},
		{"s3 missing object", "GET", "/central-bucket/some/key", "s3", "us-east-1", "AKIATESTACCOUNT00002", nil, "", 404,
			[]string{"<Code>NoSuchKey</Code>", "<Key>some/key</Key>"}},
		{"s3 ListObjects version 1", "GET", "/central-bucket", "s3", "us-east-1", "AKIATESTACCOUNT00002", nil, "", 501,
			[]string{"<Code>NotImplemented</Code>"}},
		{"unknown service", "POST", "/", "sqs", "us-east-1", key, form, "Action=ListQueues", 400,
			[]string{"sqs"}},
		{"opt-in region not enabled", "POST", "/", "ec2", "af-south-1", key, form, "Action=DescribeVpcs&Version=2016-11-15", 401,
			[]string{"<Code>AuthFailure</Code>"}},
		{"put bucket policy without a checksum", "PUT", "/central-bucket?policy", "s3", "us-east-1", "AKIATESTACCOUNT00002", nil,
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::central-bucket/*"}]}`, 400,
			[]string{"<Code>InvalidRequest</Code>", "Content-MD5 OR x-amz-checksum-*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sec := secret
			if tt.keyID == "AKIATESTACCOUNT00002" {
				sec = "secret-two"
			}
			status, body := rawCall(t, s.URL+tt.path, tt.method, tt.service, tt.region, tt.keyID, sec, tt.header, tt.body)
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d; body %s", status, tt.wantStatus, body)
			}
			for _, want := range tt.wantInBody {
				if !strings.Contains(body, want) {
					t.Errorf("body lacks %q:\n%s", want, body)
				}
			}
		})
	}
}

func TestMalformedAuthorization(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	tests := []struct{ name, auth string }{
		{"wrong algorithm", "AWS AKIATESTACCOUNT00001:sig"},
		{"short credential", "AWS4-HMAC-SHA256 Credential=AKIATESTACCOUNT00001/20240101/us-east-1/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("a", 64)},
		{"bad signature", "AWS4-HMAC-SHA256 Credential=AKIATESTACCOUNT00001/20240101/us-east-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=xyz"},
		{"host not signed", "AWS4-HMAC-SHA256 Credential=AKIATESTACCOUNT00001/20240101/us-east-1/ec2/aws4_request, SignedHeaders=x-amz-date, Signature=" + strings.Repeat("a", 64)},
		{"date mismatch", "AWS4-HMAC-SHA256 Credential=AKIATESTACCOUNT00001/20240102/us-east-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("a", 64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Content-Type": form["Content-Type"], "Authorization": {tt.auth}, "X-Amz-Date": {"20240101T000000Z"}}
			status, body := rawCall(t, s.URL, "POST", "", "", "", "", h, "Action=DescribeVpcs&Version=2016-11-15")
			if status != 400 || !strings.Contains(body, "<Code>IncompleteSignature</Code>") {
				t.Fatalf("status %d, body %s", status, body)
			}
		})
	}
}
