package awsemu_test

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/flowplan/flowplan/internal/tfharness"
	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

// TestTerraformRoundTrip runs Terraform's whole lifecycle against the
// sandbox world served on loopback, as `flowplan sandbox serve` serves it:
// the module in testdata/terraform/roundtrip (flow logs to CloudWatch Logs
// with a role and its inline policy, to S3 with destination options and a
// bucket policy in another account, and on a transit gateway and its
// attachments) is applied, a second plan must be empty, and destroy must
// leave the world as it was. Every call Terraform makes must be answered as
// AWS answers it, or one of the three steps fails.
//
// Terraform dominates the time (each command starts the 700 MB provider
// several times); the module holds all three setups so that they share
// one init, apply, plan and destroy.
func TestTerraformRoundTrip(t *testing.T) {
	tf := tfharness.Require(t)
	srv := startSandbox(t)
	dir := t.TempDir()
	copyDir(t, "testdata/terraform/roundtrip", dir)
	run := tf.Workdir(t, dir, "TF_VAR_endpoint="+srv.URL)

	id, secret, err := srv.Emu.AddCredentials(prodAccount, "")
	must(t, err)
	prod := noRetry(srv.ConfigWith("us-east-1", id, secret, ""))
	before := flowLogIDs(t, prod)
	policyBefore, err := srv.Emu.BucketPolicy(archiveBucket)
	must(t, err)

	run.Must(0, "init", "-input=false", "-no-color")
	run.Must(0, "apply", "-auto-approve", "-input=false", "-no-color")
	checkApplied(t, prod, before)

	if out, code := run.Run("plan", "-detailed-exitcode", "-input=false", "-no-color"); code != 0 {
		t.Fatalf("terraform plan after apply exited %d, want 0 (no changes): the emulator reads back something other than what Terraform wrote:\n%s", code, out)
	}

	run.Must(0, "destroy", "-auto-approve", "-input=false", "-no-color")
	if after := flowLogIDs(t, prod); !slices.Equal(after, before) {
		t.Errorf("flow logs after destroy = %v, want the world's own %v", after, before)
	}
	roles, err := iam.NewFromConfig(prod).ListRoles(ctx, &iam.ListRolesInput{})
	must(t, err)
	for _, r := range roles.Roles {
		if strings.HasPrefix(aws.ToString(r.RoleName), "tf-") {
			t.Errorf("role %s is left after destroy", aws.ToString(r.Arn))
		}
	}
	groups, err := cloudwatchlogs.NewFromConfig(prod).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/tf/")})
	must(t, err)
	if len(groups.LogGroups) != 0 {
		t.Errorf("%d log groups under /tf/ are left after destroy", len(groups.LogGroups))
	}
	// aws_s3_bucket_policy owns the whole policy: destroy deletes it, the
	// statement the bucket had before included.
	if p, err := srv.Emu.BucketPolicy(archiveBucket); err != nil || p != "" || policyBefore == "" {
		t.Errorf("bucket policy after destroy = %q (%v), want none (before: %q)", p, err, policyBefore)
	}
}

const (
	prodAccount   = "111111111111"
	archiveBucket = "org-flow-logs-archive"
)

// startSandbox serves the sandbox world as `flowplan sandbox serve` does:
// seeded without an IAM delay (the world is the past, its roles long
// propagated), then served with one, so that new roles are unusable for a
// moment, as on AWS, and Terraform's retry on "Unable to assume given IAM
// role" is exercised.
func startSandbox(t *testing.T) *emutest.Server {
	t.Helper()
	seed := awsemu.New(awsemu.Options{})
	must(t, seed.LoadWorldFile("../../examples/sandbox/world.yaml"))
	var state bytes.Buffer
	must(t, seed.Save(&state))
	emu := awsemu.New(awsemu.Options{IAMPropagationDelay: time.Second})
	must(t, emu.Load(&state))
	return &emutest.Server{Emu: emu, URL: newServer(t, emu)}
}

// checkApplied checks the flow logs Terraform made in prod: three VPCs to
// CloudWatch Logs, the same three to S3, the transit gateway and its two
// attachments, every one delivering.
func checkApplied(t *testing.T, cfg aws.Config, before []string) {
	t.Helper()
	out, err := ec2.NewFromConfig(cfg).DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
	must(t, err)
	count := map[string]int{}
	for _, fl := range out.FlowLogs {
		if slices.Contains(before, aws.ToString(fl.FlowLogId)) {
			continue
		}
		kind := string(fl.LogDestinationType) + " " + strings.SplitN(aws.ToString(fl.ResourceId), "-", 2)[0]
		if strings.HasPrefix(aws.ToString(fl.ResourceId), "tgw-attach-") {
			kind = string(fl.LogDestinationType) + " tgw-attach"
		}
		count[kind]++
		if aws.ToString(fl.DeliverLogsStatus) != "SUCCESS" {
			t.Errorf("flow log %s on %s to %s: DeliverLogsStatus %s (%s), want SUCCESS", aws.ToString(fl.FlowLogId), aws.ToString(fl.ResourceId), aws.ToString(fl.LogDestination),
				aws.ToString(fl.DeliverLogsStatus), aws.ToString(fl.DeliverLogsErrorMessage))
		}
		if fl.LogDestinationType == types.LogDestinationTypeS3 {
			o := fl.DestinationOptions
			if o == nil || o.FileFormat != types.DestinationFileFormatParquet || !aws.ToBool(o.HiveCompatiblePartitions) || !aws.ToBool(o.PerHourPartition) {
				t.Errorf("S3 flow log %s has destination options %+v, want parquet, hive, per hour", aws.ToString(fl.FlowLogId), o)
			}
		}
	}
	want := map[string]int{"cloud-watch-logs vpc": 3, "s3 vpc": 3, "cloud-watch-logs tgw": 1, "cloud-watch-logs tgw-attach": 2}
	if !maps.Equal(count, want) {
		t.Errorf("flow logs Terraform made, by destination and resource: %v, want %v", count, want)
	}
}

// flowLogIDs lists an account's flow logs in us-east-1, sorted.
func flowLogIDs(t *testing.T, cfg aws.Config) []string {
	t.Helper()
	out, err := ec2.NewFromConfig(cfg).DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
	must(t, err)
	var ids []string
	for _, fl := range out.FlowLogs {
		ids = append(ids, aws.ToString(fl.FlowLogId))
	}
	slices.Sort(ids)
	return ids
}

// copyDir copies the files of src (not its subdirectories) into dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(src)
	must(t, err)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644))
	}
}
