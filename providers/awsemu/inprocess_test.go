package awsemu_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flowplan/flowplan/providers/awsemu"
)

// inProcessCfg talks to emu without a socket, as flowplan --sandbox does.
func inProcessCfg(emu *awsemu.Emulator, retries int) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIATESTACCOUNT00001", "secret-one", ""),
		BaseEndpoint:     aws.String("http://sandbox.awsemu"),
		HTTPClient:       emu.HTTPClient(),
		RetryMaxAttempts: retries,
	}
}

func TestInProcessClient(t *testing.T) {
	emu := awsemu.New(awsemu.Options{})
	must(t, emu.LoadWorld(strings.NewReader(manyVPCsWorld(30))))
	client := ec2.NewFromConfig(inProcessCfg(emu, 1))
	for i := 0; i < 200; i++ {
		out, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		must(t, err)
		if len(out.Vpcs) != 30 {
			t.Fatalf("got %d VPCs", len(out.Vpcs))
		}
	}
	if n := emu.Count("ec2", "DescribeVpcs"); n != 200 {
		t.Fatalf("200 calls were counted as %d", n)
	}
	emu.FailNext(awsemu.Failure{Service: "ec2", Action: "DescribeVpcs", Reset: true})
	_, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("injected reset: %v", err)
	}
	emu.FailNext(awsemu.Failure{Service: "ec2", Action: "DescribeVpcs", Reset: true})
	_, err = ec2.NewFromConfig(inProcessCfg(emu, 3)).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, err)
}

func TestInProcessS3(t *testing.T) {
	emu := awsemu.New(awsemu.Options{})
	must(t, emu.LoadWorld(strings.NewReader(testWorld)))
	client := s3.NewFromConfig(inProcessCfg(emu, 1), func(o *s3.Options) { o.UsePathStyle = true })
	_, err := client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("own-bucket"),
		Policy: aws.String(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::own-bucket/*"}]}`)})
	must(t, err)
	got, err := client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("own-bucket")})
	must(t, err)
	if !strings.Contains(aws.ToString(got.Policy), "s3:GetObject") {
		t.Fatalf("policy = %s", aws.ToString(got.Policy))
	}
}

// TestInProcessVerifiesSignatures: the in-process client is checked like a
// socket one, so --sandbox refuses a wrong secret as sandbox serve does.
func TestInProcessVerifiesSignatures(t *testing.T) {
	emu := awsemu.New(awsemu.Options{})
	must(t, emu.LoadWorld(strings.NewReader(testWorld)))
	cfg := inProcessCfg(emu, 1)
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIATESTACCOUNT00001", "secret-wrong", "")
	_, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantAPIError(t, err, "AuthFailure", "AWS was not able to validate the provided access credentials")
	_, err = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).
		GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("own-bucket")})
	wantAPIError(t, err, "SignatureDoesNotMatch", "does not match")
}
