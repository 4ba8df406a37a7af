package awsemu_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

func TestBucketPolicy(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := emutest.S3(twoCfg(s))
	bucket := aws.String("central-bucket")
	_, err := client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket})
	wantAPIError(t, err, "NoSuchBucketPolicy", "The bucket policy does not exist")
	pretty := strings.ReplaceAll(flowplanBucketPolicy, `"111111111111"]`, `"111111111111","333333333333"]`)
	_, err = client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bucket, Policy: aws.String(pretty)})
	must(t, err)
	got, err := client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket})
	must(t, err)
	// S3 stores the policy compacted, keys in their order.
	if strings.Contains(aws.ToString(got.Policy), "\n") || !strings.HasPrefix(aws.ToString(got.Policy), `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport"`) {
		t.Fatalf("stored policy = %s", aws.ToString(got.Policy))
	}
	_, err = client.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: bucket})
	must(t, err)
	_, err = client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket})
	wantAPIError(t, err, "NoSuchBucketPolicy", "")
	_, err = client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("no-such-bucket")})
	wantAPIError(t, err, "NoSuchBucket", "The specified bucket does not exist")
	// Only the owner account may read or write a bucket policy.
	_, err = emutest.S3(oneCfg(s)).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket})
	wantAPIError(t, err, "AccessDenied", "Access Denied")
}

func TestBucketPolicyValidation(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := emutest.S3(twoCfg(s))
	stmt := func(body string) string { return `{"Version":"2012-10-17","Statement":[` + body + `]}` }
	tests := []struct {
		name, policy, msg string
	}{
		{"not json", `Version: 2012`, "Policies must be valid JSON"},
		{"no principal", stmt(`{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::central-bucket/*"}`), "Missing required field Principal"},
		{"other bucket", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other-bucket/*"}`), "Policy has invalid resource"},
		{"non-s3 action", stmt(`{"Effect":"Allow","Principal":"*","Action":"logs:PutLogEvents","Resource":"arn:aws:s3:::central-bucket/*"}`), "Policy has invalid action"},
		{"duplicate sid", stmt(`{"Sid":"a","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::central-bucket/*"},{"Sid":"a","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::central-bucket/*"}`), "must be unique"},
		{"role principal that does not exist", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/nope"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::central-bucket/*"}`), "Invalid principal in policy"},
		{"over 20 KB", stmt(strings.TrimSuffix(strings.Repeat(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::central-bucket/some/long/prefix/*"},`, 230), ",")), "maximum allowed document size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("central-bucket"), Policy: aws.String(tt.policy)})
			wantAPIError(t, err, "MalformedPolicy", tt.msg)
		})
	}
	_, err := client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("central-bucket"),
		Policy: aws.String(stmt(`{"Effect":"Allow","Principal":{"AWS":["111111111111"]},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::central-bucket"}`))})
	must(t, err)
	got, err := client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("central-bucket")})
	must(t, err)
	if !strings.Contains(aws.ToString(got.Policy), `"AWS":["arn:aws:iam::111111111111:root"]`) {
		t.Fatalf("S3 keeps the account ID principal as written: %s", aws.ToString(got.Policy))
	}
	// Now account one may HeadBucket the central bucket.
	_, err = emutest.S3(oneCfg(s)).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("central-bucket")})
	must(t, err)
}

func TestBucketLocationRegionAndListing(t *testing.T) {
	world := strings.Replace(testWorld, "      - {name: central-bucket, region: us-east-1}", "      - {name: central-bucket, region: us-east-1}\n      - {name: eu-bucket, region: eu-west-1}", 1)
	s := start(t, awsemu.Options{}, world)
	client := emutest.S3(twoCfg(s))
	loc, err := client.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("central-bucket")})
	must(t, err)
	if loc.LocationConstraint != "" {
		t.Fatalf("us-east-1 location = %q, want empty", loc.LocationConstraint)
	}
	loc, err = client.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("eu-bucket")})
	must(t, err)
	if loc.LocationConstraint != "eu-west-1" {
		t.Fatalf("eu location = %q", loc.LocationConstraint)
	}
	_, err = client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("eu-bucket")})
	wantAPIError(t, err, "AuthorizationHeaderMalformed", "expecting 'eu-west-1'")
	_, err = client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("eu-bucket")})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusMovedPermanently {
		t.Fatalf("HeadBucket in the wrong region: %v, want 301", err)
	}
	head, err := emutest.S3(noRetry(s.ConfigWith("eu-west-1", "AKIATESTACCOUNT00002", "secret-two", ""))).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("eu-bucket")})
	must(t, err)
	if aws.ToString(head.BucketRegion) != "eu-west-1" {
		t.Fatalf("HeadBucket region = %q", aws.ToString(head.BucketRegion))
	}
	_, err = emutest.S3(oneCfg(s)).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("central-bucket")})
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden {
		t.Fatalf("HeadBucket from another account: %v, want 403", err)
	}
	list, err := client.ListBuckets(ctx, &s3.ListBucketsInput{})
	must(t, err)
	if len(list.Buckets) != 2 || aws.ToString(list.Buckets[0].Name) != "central-bucket" {
		t.Fatalf("ListBuckets = %+v", list.Buckets)
	}
}

// TestVirtualHostedStyle sends S3 requests as Host: <bucket>.localhost.
func TestVirtualHostedStyle(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	u, err := url.Parse(s.URL)
	must(t, err)
	cfg := twoCfg(s)
	cfg.BaseEndpoint = aws.String("http://localhost:" + u.Port())
	hosts := &hostRecorder{next: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, u.Host)
		}}}
	cfg.HTTPClient = &http.Client{Transport: emutest.Transport(hosts)}
	client := s3.NewFromConfig(cfg)
	_, err = client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("central-bucket"), Policy: aws.String(flowplanBucketPolicy)})
	must(t, err)
	got, err := client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("central-bucket")})
	must(t, err)
	if !strings.Contains(aws.ToString(got.Policy), "flowplan-q-write-00000000") {
		t.Fatalf("policy = %s", aws.ToString(got.Policy))
	}
	if want := "central-bucket.localhost:" + u.Port(); len(hosts.hosts) != 2 || hosts.hosts[0] != want {
		t.Fatalf("request hosts = %v, want %s", hosts.hosts, want)
	}
}

type hostRecorder struct {
	next  http.RoundTripper
	hosts []string
}

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.hosts = append(h.hosts, r.URL.Host)
	return h.next.RoundTrip(r)
}

// TestListBucketsListsTheCallersOwn: ListBuckets "returns a list of all
// buckets owned by the authenticated sender of the request", never another
// account's, and pages with max-buckets and a continuation token.
func TestListBucketsListsTheCallersOwn(t *testing.T) {
	world := strings.Replace(testWorld, "      - {name: central-bucket, region: us-east-1}",
		"      - {name: central-bucket, region: us-east-1}\n      - {name: eu-bucket, region: eu-west-1}\n      - {name: central-archive, region: us-east-1}", 1)
	s := start(t, awsemu.Options{}, world)
	names := func(out *s3.ListBucketsOutput) []string {
		var n []string
		for _, b := range out.Buckets {
			n = append(n, aws.ToString(b.Name))
		}
		return n
	}
	one, err := emutest.S3(oneCfg(s)).ListBuckets(ctx, &s3.ListBucketsInput{})
	must(t, err)
	if got := names(one); !slices.Equal(got, []string{"own-bucket"}) {
		t.Errorf("account one lists %v, want only its own-bucket", got)
	}
	two := emutest.S3(twoCfg(s))
	var pages [][]string
	pg := s3.NewListBucketsPaginator(two, &s3.ListBucketsInput{MaxBuckets: aws.Int32(2)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		must(t, err)
		pages = append(pages, names(out))
	}
	if want := [][]string{{"central-archive", "central-bucket"}, {"eu-bucket"}}; !reflect.DeepEqual(pages, want) {
		t.Errorf("pages = %v, want %v", pages, want)
	}
	filtered, err := two.ListBuckets(ctx, &s3.ListBucketsInput{Prefix: aws.String("central-"), BucketRegion: aws.String("us-east-1")})
	must(t, err)
	if got := names(filtered); !slices.Equal(got, []string{"central-archive", "central-bucket"}) {
		t.Errorf("prefix and region filter = %v", got)
	}
	_, err = two.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(0)})
	wantAPIError(t, err, "InvalidArgument", "max-buckets")
	_, err = two.ListBuckets(ctx, &s3.ListBucketsInput{ContinuationToken: aws.String("bogus")})
	wantAPIError(t, err, "InvalidArgument", "continuation token")
}
