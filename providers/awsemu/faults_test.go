package awsemu_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/flowplan/flowplan/providers/awsemu"
)

func TestScriptedFailures(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	id := lookupIDs(t, client)
	s.Emu.FailNext(awsemu.Failure{Service: "ec2", Action: "CreateFlowLogs", Account: acctOne, Region: "us-east-1", Times: 2,
		Status: http.StatusServiceUnavailable, Code: "Unavailable", Message: "try later"})
	s.Emu.FailNext(awsemu.Failure{Service: "ec2", Action: "DescribeFlowLogs", Account: acctTwo})
	for i := 0; i < 2; i++ {
		_, err := client.CreateFlowLogs(ctx, cwlInput(id.vpcA))
		wantAPIError(t, err, "Unavailable", "try later")
	}
	out, err := client.CreateFlowLogs(ctx, cwlInput(id.vpcA))
	must(t, err)
	if len(out.FlowLogIds) != 1 {
		t.Fatalf("third call: %+v", out.Unsuccessful)
	}
	// The DescribeFlowLogs failure is for account two only.
	_, err = client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
	must(t, err)
	_, err = ec2.NewFromConfig(twoCfg(s)).DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
	wantAPIError(t, err, "InternalError", "")
	_, err = ec2.NewFromConfig(twoCfg(s)).DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
	must(t, err)

	// With the SDK's default retries, two failures are invisible and cost
	// two extra calls.
	s.Emu.ResetCounts()
	s.Emu.FailNext(awsemu.Failure{Service: "ec2", Action: "DescribeVpcs", Times: 2})
	retrying := ec2.NewFromConfig(s.ConfigWith("us-east-1", "AKIATESTACCOUNT00001", "secret-one", ""))
	_, err = retrying.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, err)
	if got := s.Emu.Counts()[awsemu.CallKey{Service: "ec2", Action: "DescribeVpcs", Account: acctOne, Region: "us-east-1"}]; got != 3 {
		t.Fatalf("DescribeVpcs was called %d times, want 3:\n%s", got, s.Emu.CountsReport())
	}
}

func TestConnectionReset(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	s.Emu.FailNext(awsemu.Failure{Service: "iam", Action: "GetRole", Reset: true})
	_, err := iam.NewFromConfig(oneCfg(s)).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("delivery")})
	var apiErr interface{ ErrorCode() string }
	if err == nil || errors.As(err, &apiErr) {
		t.Fatalf("reset connection: err = %v, want a transport error", err)
	}
	// The SDK retries a dropped connection.
	s.Emu.FailNext(awsemu.Failure{Service: "iam", Action: "GetRole", Reset: true})
	_, err = iam.NewFromConfig(s.ConfigWith("us-east-1", "AKIATESTACCOUNT00001", "secret-one", "")).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("delivery")})
	must(t, err)
}

// TestRandomFaultsAreSeeded runs the same calls twice with the same seed
// and expects the same failures.
func TestRandomFaultsAreSeeded(t *testing.T) {
	run := func() []string {
		s := start(t, awsemu.Options{RandomFaults: awsemu.RandomFaults{Seed: 42, ErrorRate: 0.3, ResetRate: 0.1}}, testWorld)
		client := ec2.NewFromConfig(oneCfg(s))
		var outcomes []string
		for i := 0; i < 40; i++ {
			_, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
			var re *awshttp.ResponseError
			switch {
			case err == nil:
				outcomes = append(outcomes, "ok")
			case errors.As(err, &re) && re.HTTPStatusCode() != 0:
				outcomes = append(outcomes, http.StatusText(re.HTTPStatusCode()))
			default:
				outcomes = append(outcomes, "reset")
			}
		}
		return outcomes
	}
	a, b := run(), run()
	kinds := map[string]int{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("call %d: %s then %s with the same seed", i, a[i], b[i])
		}
		kinds[a[i]]++
	}
	if kinds["ok"] == 0 || kinds["reset"] == 0 || kinds[http.StatusText(500)]+kinds[http.StatusText(503)] == 0 {
		t.Fatalf("40 calls at 30%% errors and 10%% resets gave %v", kinds)
	}
}

func TestThrottling(t *testing.T) {
	clock := newClock()
	s := start(t, awsemu.Options{Clock: clock.Now, Throttling: true}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	// Non-mutating EC2 calls share a bucket of 100, refilled at 20/s.
	for i := 0; i < 100; i++ {
		_, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		must(t, err)
	}
	_, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
	wantAPIError(t, err, "RequestLimitExceeded", "")
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusServiceUnavailable {
		t.Fatalf("RequestLimitExceeded status = %v, want 503", err)
	}
	// Other account-regions have their own buckets.
	_, err = ec2.NewFromConfig(twoCfg(s)).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, err)
	clock.Advance(100 * time.Millisecond) // two tokens
	for i := 0; i < 2; i++ {
		_, err = client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		must(t, err)
	}
	_, err = client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantAPIError(t, err, "RequestLimitExceeded", "")

	// CloudWatch Logs: PutRetentionPolicy is 5 TPS.
	logs := cloudwatchlogs.NewFromConfig(oneCfg(s))
	for i := 0; i < 5; i++ {
		_, err := logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/fl/existing"), RetentionInDays: aws.Int32(30)})
		must(t, err)
	}
	_, err = logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/fl/existing"), RetentionInDays: aws.Int32(30)})
	wantAPIError(t, err, "ThrottlingException", "Rate exceeded")

	// IAM answers Throttling.
	iamc := iam.NewFromConfig(oneCfg(s))
	for i := 0; i < 20; i++ {
		_, err := iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("delivery")})
		must(t, err)
	}
	_, err = iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("delivery")})
	wantAPIError(t, err, "Throttling", "Rate exceeded")

	s.Emu.SetThrottling(false)
	_, err = iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("delivery")})
	must(t, err)
}

func TestLatency(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	s.Emu.SetLatency(time.Second)
	c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := ec2.NewFromConfig(oneCfg(s)).DescribeVpcs(c, &ec2.DescribeVpcsInput{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline to pass during the added latency", err)
	}
	s.Emu.SetLatency(0)
	_, err = ec2.NewFromConfig(oneCfg(s)).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, err)
}

func TestCounters(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	eu := ec2.NewFromConfig(noRetry(s.ConfigWith("eu-west-1", "AKIATESTACCOUNT00001", "secret-one", "")))
	for i := 0; i < 3; i++ {
		_, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		must(t, err)
	}
	_, err := eu.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, err)
	_, err = iam.NewFromConfig(oneCfg(s)).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nope")})
	wantAPIError(t, err, "NoSuchEntity", "")
	counts := s.Emu.Counts()
	want := map[awsemu.CallKey]int{
		{Service: "ec2", Action: "DescribeVpcs", Account: acctOne, Region: "us-east-1"}: 3,
		{Service: "ec2", Action: "DescribeVpcs", Account: acctOne, Region: "eu-west-1"}: 1,
		{Service: "iam", Action: "GetRole", Account: acctOne, Region: "global"}:         1,
	}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%s = %d, want %d", k, counts[k], v)
		}
	}
	if len(counts) != len(want) || s.Emu.Count("ec2", "DescribeVpcs") != 4 {
		t.Fatalf("counts:\n%s", s.Emu.CountsReport())
	}
	if w := s.Emu.Writes(); len(w) != 0 {
		t.Fatalf("reads counted as writes: %v", w)
	}
	// A write is counted as one, failed or not; reads stay out.
	_, err = cloudwatchlogs.NewFromConfig(oneCfg(s)).PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
		LogGroupName: aws.String("/fl/existing"), RetentionInDays: aws.Int32(7)})
	must(t, err)
	_, err = cloudwatchlogs.NewFromConfig(oneCfg(s)).PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
		LogGroupName: aws.String("/fl/none"), RetentionInDays: aws.Int32(7)})
	wantAPIError(t, err, "ResourceNotFoundException", "")
	wantWrites := map[awsemu.CallKey]int{{Service: "logs", Action: "PutRetentionPolicy", Account: acctOne, Region: "us-east-1"}: 2}
	if w := s.Emu.Writes(); !maps.Equal(w, wantWrites) {
		t.Fatalf("writes = %v, want %v", w, wantWrites)
	}
	s.Emu.ResetCounts()
	if len(s.Emu.Counts()) != 0 || len(s.Emu.Writes()) != 0 {
		t.Fatal("ResetCounts left counters")
	}
}

// TestGhostWrites: a ghost write is made, but the client only sees a
// dropped connection; reads are never ghosted at random.
func TestGhostWrites(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	id := lookupIDs(t, client)
	s.Emu.FailNext(awsemu.Failure{Service: "ec2", Action: "CreateTags", Ghost: true})
	_, err := client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id.vpcA},
		Tags: []types.Tag{{Key: aws.String("ghost"), Value: aws.String("yes")}}})
	var apiErr interface{ ErrorCode() string }
	if err == nil || errors.As(err, &apiErr) {
		t.Fatalf("ghost write: err = %v, want a transport error", err)
	}
	out, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id.vpcA}})
	must(t, err)
	if !hasTag(out.Vpcs[0].Tags, "ghost", "yes") {
		t.Fatalf("the ghost write was not made: tags %v", out.Vpcs[0].Tags)
	}

	s.Emu.SetRandomFaults(awsemu.RandomFaults{Seed: 1, GhostRate: 1})
	if _, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatalf("a read with GhostRate 1: %v", err)
	}
	_, err = client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id.vpcA},
		Tags: []types.Tag{{Key: aws.String("ghost2"), Value: aws.String("yes")}}})
	if err == nil || errors.As(err, &apiErr) {
		t.Fatalf("write with GhostRate 1: err = %v, want a transport error", err)
	}
}

// TestRandomThrottling gives every call the service's throttling error.
func TestRandomThrottling(t *testing.T) {
	s := start(t, awsemu.Options{RandomFaults: awsemu.RandomFaults{Seed: 3, ThrottleRate: 1}}, testWorld)
	_, err := ec2.NewFromConfig(oneCfg(s)).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantAPIError(t, err, "RequestLimitExceeded", "Request limit exceeded.")
	_, err = cloudwatchlogs.NewFromConfig(oneCfg(s)).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	wantAPIError(t, err, "ThrottlingException", "Rate exceeded")
	_, err = iam.NewFromConfig(oneCfg(s)).ListRoles(ctx, &iam.ListRolesInput{})
	wantAPIError(t, err, "Throttling", "Rate exceeded")
}

func hasTag(list []types.Tag, key, value string) bool {
	for _, t := range list {
		if aws.ToString(t.Key) == key && aws.ToString(t.Value) == value {
			return true
		}
	}
	return false
}
