package awsemu_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

// awsCLI runs the AWS CLI against an emulator endpoint with a clean
// environment: only the given credentials, region us-east-1, no config
// files, no CA bundle (the endpoint is plain HTTP).
type awsCLI struct {
	t        *testing.T
	path     string
	endpoint string
	home     string
	// wantFailure makes run expect the command to fail and return its
	// stderr as {"stderr": ...}.
	wantFailure bool
}

func newAWSCLI(t *testing.T, endpoint string) *awsCLI {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("FLOWPLAN_REQUIRE_E2E") == "1" {
			t.Fatalf("the AWS CLI is required (FLOWPLAN_REQUIRE_E2E=1) but not on PATH: %v", err)
		}
		t.Skip("SKIPPED: the AWS CLI end-to-end test needs `aws` on PATH; it is not installed here. " +
			"CI sets FLOWPLAN_REQUIRE_E2E=1 to make this a failure.")
	}
	return &awsCLI{t: t, path: path, endpoint: endpoint, home: t.TempDir()}
}

// run executes `aws <args> --endpoint-url ... --output json` with the
// credentials and decodes its JSON output (nil for commands that print
// nothing).
func (a *awsCLI) run(creds [3]string, args ...string) map[string]any {
	a.t.Helper()
	args = append(args, "--endpoint-url", a.endpoint, "--output", "json")
	cmd := exec.Command(a.path, args...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + a.home,
		"AWS_ACCESS_KEY_ID=" + creds[0],
		"AWS_SECRET_ACCESS_KEY=" + creds[1],
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(a.home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(a.home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	}
	if creds[2] != "" {
		cmd.Env = append(cmd.Env, "AWS_SESSION_TOKEN="+creds[2])
	}
	for _, kv := range os.Environ() {
		// Let Python version managers find the CLI's interpreter.
		if strings.HasPrefix(kv, "PYENV_") || strings.HasPrefix(kv, "VIRTUAL_ENV=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if a.wantFailure {
			return map[string]any{"stderr": stderr.String()}
		}
		a.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if a.wantFailure {
		a.t.Fatalf("aws %s succeeded, want a failure:\n%s", strings.Join(args, " "), stdout.String())
	}
	if strings.TrimSpace(stdout.String()) == "" {
		return nil
	}
	var out map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		a.t.Fatalf("aws %s: output is not a JSON object: %v\n%s", strings.Join(args, " "), err, stdout.String())
	}
	return out
}

// path walks decoded JSON: keys for objects, indexes ("0") for lists.
func path(v any, keys ...string) any {
	for _, k := range keys {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := 0
			for _, c := range k {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func str(v any, keys ...string) string {
	s, _ := path(v, keys...).(string)
	return s
}

func list(v any, keys ...string) []any {
	l, _ := path(v, keys...).([]any)
	return l
}

// TestAWSCLI drives the emulator with the AWS CLI (v1, botocore), an
// independent client, to show that it speaks AWS's protocols and not only
// what aws-sdk-go-v2 happens to accept.
func TestAWSCLI(t *testing.T) {
	s := emutest.Start(t, awsemu.Options{}, "../../examples/sandbox/world.yaml")
	cli := newAWSCLI(t, s.URL)
	id, secret := s.Emu.SandboxCredentials()
	sandbox := [3]string{id, secret, ""}

	// sts assume-role, then calls in the assumed account.
	assumed := cli.run(sandbox, "sts", "assume-role", "--role-arn", "arn:aws:iam::111111111111:role/FlowplanRunner", "--role-session-name", "cli-e2e")
	prod := [3]string{str(assumed, "Credentials", "AccessKeyId"), str(assumed, "Credentials", "SecretAccessKey"), str(assumed, "Credentials", "SessionToken")}
	if !strings.HasPrefix(prod[0], "ASIA") || prod[2] == "" ||
		str(assumed, "AssumedRoleUser", "Arn") != "arn:aws:sts::111111111111:assumed-role/FlowplanRunner/cli-e2e" {
		t.Fatalf("assume-role output = %v", assumed)
	}
	who := cli.run(prod, "sts", "get-caller-identity")
	if str(who, "Account") != "111111111111" {
		t.Fatalf("get-caller-identity in the assumed account = %v", who)
	}

	// describe-vpcs with pagination, in a world with 12 VPCs in one
	// region: --page-size makes the CLI send MaxResults and follow
	// NextToken; --max-items stops early with a token of its own.
	many := start(t, awsemu.Options{}, manyVPCsWorld(12))
	paging := newAWSCLI(t, many.URL)
	one := [3]string{"AKIATESTACCOUNT00001", "secret-one", ""}
	all := paging.run(one, "ec2", "describe-vpcs", "--page-size", "5")
	if n, calls := len(list(all, "Vpcs")), many.Emu.Count("ec2", "DescribeVpcs"); n != 12 || calls != 3 {
		t.Fatalf("describe-vpcs --page-size 5: %d VPCs in %d calls, want 12 in 3", n, calls)
	}
	first := paging.run(one, "ec2", "describe-vpcs", "--page-size", "5", "--max-items", "7")
	token := str(first, "NextToken")
	if len(list(first, "Vpcs")) != 7 || token == "" {
		t.Fatalf("--max-items 7: %d VPCs, NextToken %q", len(list(first, "Vpcs")), token)
	}
	rest := paging.run(one, "ec2", "describe-vpcs", "--page-size", "5", "--starting-token", token)
	seen := map[string]bool{}
	for _, v := range append(list(first, "Vpcs"), list(rest, "Vpcs")...) {
		seen[str(v, "VpcId")] = true
	}
	if len(list(rest, "Vpcs")) != 5 || len(seen) != 12 {
		t.Fatalf("after the token: %d more VPCs, %d distinct in all; want 5 and 12", len(list(rest, "Vpcs")), len(seen))
	}
	prod4 := cli.run(prod, "ec2", "describe-vpcs", "--filters", "Name=tag:env,Values=prod")
	if n := len(list(prod4, "Vpcs")); n != 3 {
		t.Fatalf("prod us-east-1 has %d VPCs tagged env=prod, want 3", n)
	}
	vpcs := cli.run(prod, "ec2", "describe-vpcs")
	prodData := ""
	for _, v := range list(vpcs, "Vpcs") {
		for _, tag := range list(v, "Tags") {
			if str(tag, "Key") == "Name" && str(tag, "Value") == "prod-data" {
				prodData = str(v, "VpcId")
			}
		}
	}
	if prodData == "" {
		t.Fatal("prod-data not found among the VPCs")
	}

	// create-flow-logs and describe-flow-logs with filters.
	created := cli.run(prod, "ec2", "create-flow-logs", "--resource-type", "VPC", "--resource-ids", prodData,
		"--traffic-type", "REJECT", "--log-destination-type", "s3", "--log-destination", "arn:aws:s3:::org-flow-logs-archive/cli/",
		"--max-aggregation-interval", "60", "--client-token", "cli-e2e-1",
		"--tag-specifications", "ResourceType=vpc-flow-log,Tags=[{Key=flowplan:spec,Value=cli}]")
	if len(list(created, "FlowLogIds")) != 1 || len(list(created, "Unsuccessful")) != 0 {
		t.Fatalf("create-flow-logs = %v", created)
	}
	flowLogID := str(created, "FlowLogIds", "0")
	described := cli.run(prod, "ec2", "describe-flow-logs", "--filter", "Name=resource-id,Values="+prodData, "Name=tag:flowplan:spec,Values=cli")
	fls := list(described, "FlowLogs")
	if len(fls) != 1 || str(fls[0], "FlowLogId") != flowLogID || str(fls[0], "TrafficType") != "REJECT" ||
		path(fls[0], "MaxAggregationInterval") != 60.0 || str(fls[0], "DestinationOptions", "FileFormat") != "plain-text" {
		t.Fatalf("describe-flow-logs = %v", described)
	}
	none := cli.run(prod, "ec2", "describe-flow-logs", "--filter", "Name=resource-id,Values="+prodData, "Name=traffic-type,Values=ACCEPT")
	if len(list(none, "FlowLogs")) != 0 {
		t.Fatalf("traffic-type=ACCEPT matched %v", none)
	}

	// logs create-log-group and describe-log-groups.
	cli.run(prod, "logs", "create-log-group", "--log-group-name", "/flowplan/prod/us-east-1", "--tags", "flowplan:spec=cli")
	groups := cli.run(prod, "logs", "describe-log-groups", "--log-group-name-prefix", "/flowplan/")
	if len(list(groups, "logGroups")) != 1 || str(groups, "logGroups", "0", "logGroupArn") != "arn:aws:logs:us-east-1:111111111111:log-group:/flowplan/prod/us-east-1" {
		t.Fatalf("describe-log-groups = %v", groups)
	}

	// iam create-role and get-role; botocore decodes the URL-encoded document.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	cli.run(prod, "iam", "create-role", "--role-name", "flowplan-flow-logs", "--path", "/flowplan/", "--assume-role-policy-document", trust)
	role := cli.run(prod, "iam", "get-role", "--role-name", "flowplan-flow-logs")
	if str(role, "Role", "Arn") != "arn:aws:iam::111111111111:role/flowplan/flowplan-flow-logs" ||
		str(role, "Role", "AssumeRolePolicyDocument", "Statement", "0", "Principal", "Service") != "vpc-flow-logs.amazonaws.com" {
		t.Fatalf("get-role = %v", role)
	}

	// s3api put-bucket-policy and get-bucket-policy, as the bucket owner.
	policy := strings.ReplaceAll(flowplanBucketPolicy, "central-bucket", "org-flow-logs-archive")
	cli.run(sandbox, "s3api", "put-bucket-policy", "--bucket", "org-flow-logs-archive", "--policy", policy)
	got := cli.run(sandbox, "s3api", "get-bucket-policy", "--bucket", "org-flow-logs-archive")
	var doc map[string]any
	if err := json.Unmarshal([]byte(str(got, "Policy")), &doc); err != nil {
		t.Fatalf("get-bucket-policy Policy is not JSON: %v", got)
	}
	if len(list(doc, "Statement")) != 3 || str(doc, "Statement", "0", "Sid") != "DenyInsecureTransport" {
		t.Fatalf("bucket policy = %v", doc)
	}

	// With the statement in place, the flow log delivers.
	delivered := cli.run(prod, "ec2", "describe-flow-logs", "--flow-log-ids", flowLogID)
	if str(delivered, "FlowLogs", "0", "DeliverLogsStatus") != "FAILED" {
		// The write statement covers AWSLogs/111111111111/* only, not cli/AWSLogs/...
		t.Fatalf("a flow log under cli/ should not deliver with a root-prefix statement: %v", delivered)
	}
}

// TestAWSCLIWrongSecret signs with a wrong secret from the AWS CLI: every
// protocol refuses it with its own error, as AWS does, and botocore's
// signing with the right secret passes (TestAWSCLI).
func TestAWSCLIWrongSecret(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	cli := newAWSCLI(t, s.URL)
	cli.wantFailure = true
	wrong := [3]string{"AKIATESTACCOUNT00001", "not-the-secret", ""}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"ec2", "describe-vpcs"}, "(AuthFailure)"},
		{[]string{"iam", "list-roles"}, "(SignatureDoesNotMatch)"},
		{[]string{"sts", "get-caller-identity"}, "(SignatureDoesNotMatch)"},
		{[]string{"logs", "describe-log-groups"}, "(InvalidSignatureException)"},
		{[]string{"s3api", "get-bucket-policy", "--bucket", "own-bucket"}, "(SignatureDoesNotMatch)"},
	} {
		out := cli.run(wrong, tt.args...)
		if msg := str(out, "stderr"); !strings.Contains(msg, tt.want) {
			t.Errorf("aws %s with a wrong secret: %s, want %s", strings.Join(tt.args, " "), msg, tt.want)
		}
	}
	if n := s.Emu.Count("ec2", "DescribeVpcs"); n != 0 {
		t.Errorf("refused calls were counted: %d DescribeVpcs", n)
	}
}

// TestAWSCLINetworkAndDelivery makes a VPC appear and go away with the AWS
// CLI, and breaks flow log delivery the three ways someone outside flowplan
// can (the role's trust, the log group, a bucket policy Deny): each shows
// in describe-flow-logs as FAILED, worked out from its cause.
func TestAWSCLINetworkAndDelivery(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	cli := newAWSCLI(t, s.URL)
	one := [3]string{"AKIATESTACCOUNT00001", "secret-one", ""}
	two := [3]string{"AKIATESTACCOUNT00002", "secret-two", ""}

	vpc := cli.run(one, "ec2", "create-vpc", "--cidr-block", "10.70.0.0/16",
		"--tag-specifications", "ResourceType=vpc,Tags=[{Key=Name,Value=appeared},{Key=env,Value=prod}]")
	vpcID := str(vpc, "Vpc", "VpcId")
	if !strings.HasPrefix(vpcID, "vpc-") || str(vpc, "Vpc", "CidrBlock") != "10.70.0.0/16" {
		t.Fatalf("create-vpc = %v", vpc)
	}
	subnet := cli.run(one, "ec2", "create-subnet", "--vpc-id", vpcID, "--cidr-block", "10.70.1.0/24", "--availability-zone", "us-east-1c")
	subnetID := str(subnet, "Subnet", "SubnetId")
	eni := cli.run(one, "ec2", "create-network-interface", "--subnet-id", subnetID, "--description", "appeared")
	eniID := str(eni, "NetworkInterface", "NetworkInterfaceId")
	if str(eni, "NetworkInterface", "PrivateIpAddress") != "10.70.1.4" {
		t.Fatalf("create-network-interface = %v", eni)
	}
	listed := cli.run(one, "ec2", "describe-vpcs", "--filters", "Name=tag:env,Values=prod", "Name=tag:Name,Values=appeared")
	if len(list(listed, "Vpcs")) != 1 || str(listed, "Vpcs", "0", "State") != "available" {
		t.Fatalf("describe-vpcs of the new VPC = %v", listed)
	}

	cli.wantFailure = true
	refused := cli.run(one, "ec2", "delete-vpc", "--vpc-id", vpcID)
	cli.wantFailure = false
	if msg := str(refused, "stderr"); !strings.Contains(msg, "(DependencyViolation)") || !strings.Contains(msg, "has dependencies and cannot be deleted") {
		t.Fatalf("delete-vpc with a subnet: %s", msg)
	}
	cli.run(one, "ec2", "delete-network-interface", "--network-interface-id", eniID)
	cli.run(one, "ec2", "delete-subnet", "--subnet-id", subnetID)
	cli.run(one, "ec2", "delete-vpc", "--vpc-id", vpcID)
	if left := cli.run(one, "ec2", "describe-vpcs", "--filters", "Name=tag:Name,Values=appeared"); len(list(left, "Vpcs")) != 0 {
		t.Fatalf("the VPC is still there: %v", left)
	}

	// Delivery: a CloudWatch Logs flow log and an S3 one that deliver.
	vpcs := cli.run(one, "ec2", "describe-vpcs", "--filters", "Name=tag:Name,Values=a")
	vpcA := str(vpcs, "Vpcs", "0", "VpcId")
	cwl := cli.run(one, "ec2", "create-flow-logs", "--resource-type", "VPC", "--resource-ids", vpcA, "--traffic-type", "ALL",
		"--log-group-name", "/fl/existing", "--deliver-logs-permission-arn", deliveryRole)
	logsFL := str(cwl, "FlowLogIds", "0")
	cli.run(two, "s3api", "put-bucket-policy", "--bucket", "central-bucket", "--policy", flowplanBucketPolicy)
	s3fl := cli.run(one, "ec2", "create-flow-logs", "--resource-type", "VPC", "--resource-ids", vpcA, "--traffic-type", "ALL",
		"--log-destination-type", "s3", "--log-destination", "arn:aws:s3:::central-bucket")
	bucketFL := str(s3fl, "FlowLogIds", "0")
	status := func(id string) string {
		out := cli.run(one, "ec2", "describe-flow-logs", "--flow-log-ids", id)
		return str(out, "FlowLogs", "0", "DeliverLogsStatus") + " " + str(out, "FlowLogs", "0", "DeliverLogsErrorMessage")
	}
	if got := status(logsFL) + "/" + status(bucketFL); got != "SUCCESS /SUCCESS " {
		t.Fatalf("before any change: %s", got)
	}
	cli.run(one, "iam", "update-assume-role-policy", "--role-name", "delivery", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	if got := status(logsFL); got != "FAILED Access error" {
		t.Fatalf("with the role's trust broken: %s", got)
	}
	cli.run(one, "iam", "update-assume-role-policy", "--role-name", "delivery", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	cli.run(one, "logs", "delete-log-group", "--log-group-name", "/fl/existing")
	if got := status(logsFL); got != "FAILED Access error" {
		t.Fatalf("with the log group deleted: %s", got)
	}
	deny := strings.Replace(flowplanBucketPolicy, `"Statement":[`, `"Statement":[{"Sid":"NoLogDelivery","Effect":"Deny","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::central-bucket/*"},`, 1)
	cli.run(two, "s3api", "put-bucket-policy", "--bucket", "central-bucket", "--policy", deny)
	if got := status(bucketFL); got != "FAILED Access error" {
		t.Fatalf("with a bucket policy Deny on delivery.logs.amazonaws.com: %s", got)
	}
}

// TestAWSCLIReadsDeliveries reads what flow logs delivered with the AWS
// CLI: list-objects-v2 paginated by botocore, get-object, and the log
// stream and event calls an audit makes.
func TestAWSCLIReadsDeliveries(t *testing.T) {
	env := newDeliveryEnv(t)
	cli := newAWSCLI(t, env.s.URL)
	one := [3]string{"AKIATESTACCOUNT00001", "secret-one", ""}
	env.create(t, s3Input(env.names["busy"], "arn:aws:s3:::own-bucket/cli/"))
	in := cwlInput(env.names["busy"])
	in.LogGroupName = aws.String("/fl/vpc")
	env.create(t, in)
	env.clock.Advance(26 * time.Minute)

	before := env.s.Emu.Count("s3", "ListObjectsV2")
	listed := cli.run(one, "s3api", "list-objects-v2", "--bucket", "own-bucket",
		"--prefix", "cli/AWSLogs/111111111111/vpcflowlogs/us-east-1/2025/03/01/", "--page-size", "2")
	objects := list(listed, "Contents")
	if calls := env.s.Emu.Count("s3", "ListObjectsV2") - before; len(objects) != 5 || calls != 3 {
		t.Fatalf("list-objects-v2 --page-size 2: %d objects in %d calls, want 5 in 3", len(objects), calls)
	}
	key := str(objects[4], "Key")
	if !strings.HasSuffix(key, "_20250301T1220Z_"+key[len(key)-15:len(key)-7]+".log.gz") || path(objects[4], "Size") == 0.0 {
		t.Fatalf("newest object = %v", objects[4])
	}
	out := filepath.Join(t.TempDir(), "file.log.gz")
	meta := cli.run(one, "s3api", "get-object", "--bucket", "own-bucket", "--key", key, out)
	body, err := os.ReadFile(out)
	must(t, err)
	if got := lines(t, body); got[0] != defaultFields || str(meta, "ETag") == "" {
		t.Fatalf("get-object: header %q, metadata %v", got[0], meta)
	}
	head := cli.run(one, "s3api", "head-object", "--bucket", "own-bucket", "--key", key)
	if path(head, "ContentLength") != float64(len(body)) {
		t.Fatalf("head-object = %v, body %d bytes", head, len(body))
	}

	streams := cli.run(one, "logs", "describe-log-streams", "--log-group-name", "/fl/vpc", "--order-by", "LastEventTime", "--descending")
	ls := list(streams, "logStreams")
	if len(ls) != 4 || !strings.HasSuffix(str(ls[0], "logStreamName"), "-all") || path(ls[0], "lastIngestionTime") == nil {
		t.Fatalf("describe-log-streams = %v", streams)
	}
	events := cli.run(one, "logs", "get-log-events", "--log-group-name", "/fl/vpc", "--log-stream-name", str(ls[0], "logStreamName"),
		"--start-from-head", "--limit", "3")
	if len(list(events, "events")) != 3 || !strings.HasPrefix(str(events, "nextForwardToken"), "f/") {
		t.Fatalf("get-log-events = %v", events)
	}
	filtered := cli.run(one, "logs", "filter-log-events", "--log-group-name", "/fl/vpc", "--filter-pattern", "REJECT", "--page-size", "2")
	for _, e := range list(filtered, "events") {
		if !strings.Contains(str(e, "message"), " REJECT ") {
			t.Fatalf("filter-log-events REJECT returned %v", e)
		}
	}
	if len(list(filtered, "events")) == 0 {
		t.Fatal("filter-log-events REJECT found nothing in a REJECT flow log's group")
	}
}
