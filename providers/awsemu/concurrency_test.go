package awsemu_test

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

// TestConcurrentAccountRegions runs writers and readers in several
// account-regions at once, as flowplan's apply does; run it with -race.
func TestConcurrentAccountRegions(t *testing.T) {
	s := emutest.Start(t, awsemu.Options{}, "../../examples/sandbox/world.yaml")
	base := s.Config("us-east-1")
	type scope struct{ account, region string }
	scopes := []scope{{"111111111111", "us-east-1"}, {"111111111111", "eu-west-1"}, {"222222222222", "us-east-1"}, {"222222222222", "eu-west-1"}}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for _, sc := range scopes {
		cfg := emutest.AssumeRole(base, "arn:aws:iam::"+sc.account+":role/FlowplanRunner")
		cfg.Region = sc.region
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func(cfg aws.Config, w int) {
				defer wg.Done()
				client := ec2.NewFromConfig(cfg)
				vpcs, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
				if err != nil {
					errs <- err
					return
				}
				for i, v := range vpcs.Vpcs {
					group := fmt.Sprintf("/race/%d/%d", w, i)
					if _, err := cloudwatchlogs.NewFromConfig(cfg).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
						errs <- err
						return
					}
					_, err := client.CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{ResourceIds: []string{aws.ToString(v.VpcId)},
						ResourceType: types.FlowLogsResourceTypeVpc, TrafficType: types.TrafficTypeAll,
						LogDestinationType: types.LogDestinationTypeS3, LogDestination: aws.String(fmt.Sprintf("arn:aws:s3:::org-flow-logs-archive/w%d/", w))})
					if err != nil {
						errs <- err
						return
					}
					if _, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{}); err != nil {
						errs <- err
						return
					}
				}
			}(cfg, w)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	total := 0
	for _, sc := range scopes {
		total += len(s.Emu.FlowLogs(sc.account, sc.region))
	}
	// 11 VPCs in these scopes, two writers each, plus the two world flow logs.
	if total != 11*2+2 {
		t.Fatalf("%d flow logs, want %d", total, 11*2+2)
	}
}

// scaleClient is an EC2 client in one of scaleWorld's account-regions,
// through the in-process transport, without retries.
func scaleClient(emu *awsemu.Emulator, key, region string) *ec2.Client {
	return ec2.NewFromConfig(aws.Config{Region: region, BaseEndpoint: aws.String("http://sandbox.awsemu"),
		Credentials: credentials.NewStaticCredentialsProvider(key, "bench-secret", ""), HTTPClient: emu.HTTPClient(), RetryMaxAttempts: 1})
}

// TestScopesDoNotBlockEachOther holds a CreateTags call inside the
// emulator, in its handler with its locks taken, and shows that writes and
// reads in other account-regions (another account; the same account in
// another region) complete while it is held, and that the held call then
// completes too. With one lock for the whole emulator the other calls
// would wait for the held one, and the test would fail on its bound
// (which only detects a hang: nothing here depends on timing).
func TestScopesDoNotBlockEachOther(t *testing.T) {
	emu := awsemu.New(awsemu.Options{})
	must(t, emu.LoadWorld(strings.NewReader(scaleWorld(2))))
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	awsemu.SetHandlerHook(emu, func(account, region, action string) {
		if account == "111111111111" && region == "us-east-1" && action == "CreateTags" {
			once.Do(func() { close(held) })
			<-release
		}
	})
	tag := &ec2.CreateTagsInput{Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}
	vpcOf := func(c *ec2.Client) string {
		out, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		must(t, err)
		return aws.ToString(out.Vpcs[0].VpcId)
	}
	blocked := scaleClient(emu, "AKIABENCHACCOUNT0001", "us-east-1")
	blockedVPC := vpcOf(blocked)
	heldDone := make(chan error, 1)
	go func() {
		in := *tag
		in.Resources = []string{blockedVPC}
		_, err := blocked.CreateTags(ctx, &in)
		heldDone <- err
	}()
	<-held
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	for _, o := range []struct{ key, region string }{
		{"AKIABENCHACCOUNT0002", "us-east-1"},
		{"AKIABENCHACCOUNT0001", "eu-west-1"},
	} {
		other := scaleClient(emu, o.key, o.region)
		done := make(chan error, 1)
		go func() {
			vpc := vpcOf(other)
			in := *tag
			in.Resources = []string{vpc}
			_, err := other.CreateTags(ctx, &in)
			done <- err
		}()
		select {
		case err := <-done:
			must(t, err)
		case <-time.After(30 * time.Second):
			t.Fatalf("a CreateTags in %s/%s waits for one held in 111111111111/us-east-1", o.key, o.region)
		}
	}
	select {
	case err := <-heldDone:
		t.Fatalf("the held call returned (%v) before it was released", err)
	default:
	}
	released = true
	close(release)
	must(t, <-heldDone)
	if got := emu.Count("ec2", "CreateTags"); got != 3 {
		t.Fatalf("%d CreateTags calls counted, want 3", got)
	}
}

// TestConcurrentMixedServices runs calls that cross scopes while
// account-regions change: DescribeFlowLogs reading roles and bucket
// policies for DeliverLogsStatus, IAM and S3 writes of what they read,
// AssumeRole, the delivery pump (the clock moves by 15 minutes, so that
// flow logs deliver)
// reading and writing log streams and buckets, and saves of the whole
// state. Run it with -race: it proves the locks cover what each call
// touches.
func TestConcurrentMixedServices(t *testing.T) {
	clock := newClock()
	s := emutest.Start(t, awsemu.Options{Clock: clock.Now, SigningClock: time.Now}, "../../examples/sandbox/world.yaml")
	base := s.Config("us-east-1")
	// Sessions of an hour: the clock moves by 15 minutes.
	assume := func(roleARN string) aws.Config {
		out := base.Copy()
		out.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), roleARN,
			func(o *stscreds.AssumeRoleOptions) { o.Duration = time.Hour }))
		return out
	}
	prod := assume("arn:aws:iam::111111111111:role/FlowplanRunner")
	staging := assume("arn:aws:iam::222222222222:role/FlowplanRunner")
	prodEU := prod.Copy()
	prodEU.Region = "eu-west-1"
	const rounds = 15
	legacy := "arn:aws:iam::222222222222:role/legacy-flowlogs-role"
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`
	workers := map[string]func(i int) error{
		"staging flow logs": func(i int) error {
			c := ec2.NewFromConfig(staging)
			vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
			if err != nil {
				return err
			}
			out, err := c.CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{ResourceIds: []string{aws.ToString(vpcs.Vpcs[i%len(vpcs.Vpcs)].VpcId)},
				ResourceType: types.FlowLogsResourceTypeVpc, TrafficType: types.TrafficTypeReject,
				LogGroupName: aws.String(fmt.Sprintf("/race/%d", i)), DeliverLogsPermissionArn: aws.String(legacy)})
			if err != nil {
				return err
			}
			if _, err := c.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{}); err != nil {
				return err
			}
			if _, err := cloudwatchlogs.NewFromConfig(staging).DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("legacy-vpc-logs")}); err != nil {
				return err
			}
			_, err = c.DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: out.FlowLogIds})
			return err
		},
		"prod eu tags and log groups": func(i int) error {
			c := ec2.NewFromConfig(prodEU)
			vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
			if err != nil {
				return err
			}
			if _, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{aws.ToString(vpcs.Vpcs[0].VpcId)},
				Tags: []types.Tag{{Key: aws.String("round"), Value: aws.String(fmt.Sprint(i))}}}); err != nil {
				return err
			}
			logs := cloudwatchlogs.NewFromConfig(prodEU)
			name := aws.String(fmt.Sprintf("/race/eu/%d", i))
			if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: name}); err != nil {
				return err
			}
			_, err = logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: name})
			return err
		},
		"prod S3 flow logs": func(i int) error {
			c := ec2.NewFromConfig(prod)
			vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
			if err != nil {
				return err
			}
			_, err = c.CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{ResourceIds: []string{aws.ToString(vpcs.Vpcs[i%len(vpcs.Vpcs)].VpcId)},
				ResourceType: types.FlowLogsResourceTypeVpc, TrafficType: types.TrafficTypeAll, LogDestinationType: types.LogDestinationTypeS3,
				LogDestination: aws.String(fmt.Sprintf("arn:aws:s3:::org-flow-logs-archive/race%d/", i))})
			if err != nil {
				return err
			}
			_, err = c.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
			return err
		},
		"IAM writes": func(i int) error {
			c := iam.NewFromConfig(staging)
			if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("legacy-flowlogs-role"),
				PolicyName: aws.String(fmt.Sprintf("race-%d", i%3)), PolicyDocument: aws.String(policy)}); err != nil {
				return err
			}
			_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("legacy-flowlogs-role")})
			return err
		},
		"S3 reads": func(int) error {
			c := emutest.S3(base)
			if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("org-flow-logs-archive")}); err != nil {
				return err
			}
			_, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("org-flow-logs-archive")})
			return err
		},
		"AssumeRole": func(int) error {
			_, err := sts.NewFromConfig(base).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/FlowplanRunner"),
				RoleSessionName: aws.String("race")})
			return err
		},
		"clock and saves": func(int) error {
			clock.Advance(time.Minute)
			_ = s.Emu.FlowLogEvents()
			return s.Emu.Save(io.Discard)
		},
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(workers)*rounds)
	for name, work := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				if err := work(i); err != nil {
					errs <- fmt.Errorf("%s, round %d: %w", name, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Every staging flow log made was deleted; prod has its world flow log
	// and one per round.
	if n := len(s.Emu.FlowLogs("222222222222", "us-east-1")); n != 1 {
		t.Errorf("staging has %d flow logs, want its world one", n)
	}
	if n := len(s.Emu.FlowLogs("111111111111", "us-east-1")); n != 1+rounds {
		t.Errorf("prod has %d flow logs, want %d", n, 1+rounds)
	}
	// The clock's moves closed windows, so the pumps had work: staging's
	// world flow log delivered to its group.
	streams, err := cloudwatchlogs.NewFromConfig(staging).DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("legacy-vpc-logs")})
	must(t, err)
	if len(streams.LogStreams) == 0 {
		t.Error("legacy-vpc-logs has no log streams: nothing was delivered")
	}
}

// TestPumpLooksOnlyAtChangedScopes: after a write in one account-region
// the next delivery pump (DescribeFlowLogs pumps) looks at that
// account-region only; after AssumeRole, which changes nothing deliveries
// read, at none; after an IAM write, which any flow log's delivery may
// read, at all of them. The clock stands still, so no window closes.
func TestPumpLooksOnlyAtChangedScopes(t *testing.T) {
	clock := newClock()
	emu := awsemu.New(awsemu.Options{Clock: clock.Now, SigningClock: time.Now})
	must(t, emu.LoadWorld(strings.NewReader(scaleWorld(2))))
	one := scaleClient(emu, "AKIABENCHACCOUNT0001", "us-east-1")
	two := scaleClient(emu, "AKIABENCHACCOUNT0002", "eu-west-1")
	describe := func() {
		t.Helper()
		_, err := two.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
		must(t, err)
	}
	step := func(what string, want uint64) {
		t.Helper()
		before := awsemu.PumpVisits(emu)
		describe()
		if got := awsemu.PumpVisits(emu) - before; got != want {
			t.Fatalf("after %s the pump looked at %d account-regions, want %d", what, got, want)
		}
	}
	step("loading the world", 4)
	step("nothing", 0)
	vpcs, err := one.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, err)
	_, err = one.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{aws.ToString(vpcs.Vpcs[0].VpcId)},
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	must(t, err)
	step("a write in 111111111111/us-east-1", 1)
	_, err = sts.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://sandbox.awsemu"),
		Credentials: credentials.NewStaticCredentialsProvider("AKIABENCHACCOUNT0001", "bench-secret", ""), HTTPClient: emu.HTTPClient()}).
		AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/fl-role"), RoleSessionName: aws.String("s")})
	// fl-role trusts only the flow logs service: AssumeRole is refused,
	// which changes nothing either.
	if err == nil {
		t.Fatal("AssumeRole of fl-role by a user succeeded")
	}
	step("AssumeRole", 0)
	_, err = iam.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://sandbox.awsemu"),
		Credentials: credentials.NewStaticCredentialsProvider("AKIABENCHACCOUNT0001", "bench-secret", ""), HTTPClient: emu.HTTPClient()}).
		PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("fl-role"), PolicyName: aws.String("p"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`)})
	must(t, err)
	step("an IAM write", 4)
}
