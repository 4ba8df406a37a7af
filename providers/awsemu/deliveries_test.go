package awsemu_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/parquet-go/parquet-go"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

// deliveryWorld has one busy VPC with five interfaces (one idle, one a
// load balancer's) in two subnets, an empty VPC, a delivery role for log
// groups under /fl/, and a bucket in each account.
const deliveryWorld = `
seed: 11
credentials:
  - {access_key_id: AKIATESTACCOUNT00001, secret_access_key: secret-one, account: "111111111111", sandbox: true}
  - {access_key_id: AKIATESTACCOUNT00002, secret_access_key: secret-two, account: "222222222222"}
accounts:
  - id: "111111111111"
    roles:
      - name: delivery
        path: /flowplan/
        trust_policy:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Principal: {Service: vpc-flow-logs.amazonaws.com}
              Action: sts:AssumeRole
        policies:
          flowplan-delivery:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [logs:CreateLogStream, logs:PutLogEvents]
                Resource: "arn:aws:logs:us-east-1:111111111111:log-group:/fl/*"
    buckets:
      # A policy that lets every prefix deliver, so that CreateFlowLogs
      # does not replace it with one for a single prefix.
      - name: own-bucket
        policy:
          Version: "2012-10-17"
          Statement:
            - Sid: AWSLogDeliveryWrite
              Effect: Allow
              Principal: {Service: delivery.logs.amazonaws.com}
              Action: s3:PutObject
              Resource: "arn:aws:s3:::own-bucket/*"
              Condition: {StringEquals: {"aws:SourceAccount": "111111111111", "s3:x-amz-acl": "bucket-owner-full-control"}}
            - Sid: AWSLogDeliveryAclCheck
              Effect: Allow
              Principal: {Service: delivery.logs.amazonaws.com}
              Action: [s3:GetBucketAcl, s3:ListBucket]
              Resource: "arn:aws:s3:::own-bucket"
              Condition: {StringEquals: {"aws:SourceAccount": "111111111111"}}
    regions:
      us-east-1:
        vpcs:
          - name: busy
            cidr: 10.0.0.0/16
            subnets:
              - {name: s1, cidr: 10.0.1.0/24, az: us-east-1a, enis: [{name: e1}, {name: e2}, {name: e3}, {name: idle, traffic: false}]}
              - {name: s2, cidr: 10.0.2.0/24, az: us-east-1b, enis: [{name: nlb, type: network_load_balancer, tags: {app: web}}]}
          - {name: empty, cidr: 10.1.0.0/16}
        log_groups: [{name: /fl/vpc}, {name: /fl/other}]
  - id: "222222222222"
    buckets: [{name: other-bucket}]
`

// deliveryEnv is an emulator on a fake clock with the world's IDs.
type deliveryEnv struct {
	clock *fakeClock
	s     *emutest.Server
	ec2   *ec2.Client
	logs  *cloudwatchlogs.Client
	s3    *s3.Client
	names map[string]string // world name → ID
}

func newDeliveryEnv(t *testing.T) *deliveryEnv {
	t.Helper()
	clock := &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	// The fake clock runs in 2025 and jumps by hours; clients sign with
	// the wall clock, which signing times are checked against.
	s := start(t, awsemu.Options{Clock: clock.Now, SigningClock: time.Now}, deliveryWorld)
	cfg := oneCfg(s)
	env := &deliveryEnv{clock: clock, s: s, ec2: ec2.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg),
		s3: emutest.S3(cfg), names: map[string]string{}}
	vpcs, err := env.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, err)
	for _, v := range vpcs.Vpcs {
		env.names[nameTag(v.Tags)] = aws.ToString(v.VpcId)
	}
	subnets, err := env.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	must(t, err)
	for _, sn := range subnets.Subnets {
		env.names[nameTag(sn.Tags)] = aws.ToString(sn.SubnetId)
	}
	enis, err := env.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(10)})
	must(t, err)
	for _, n := range enis.NetworkInterfaces {
		env.names[nameTag(n.TagSet)] = aws.ToString(n.NetworkInterfaceId)
	}
	return env
}

// create makes one flow log and returns its ID.
func (env *deliveryEnv) create(t *testing.T, in *ec2.CreateFlowLogsInput) string {
	t.Helper()
	out, err := env.ec2.CreateFlowLogs(ctx, in)
	must(t, err)
	if len(out.FlowLogIds) != 1 {
		t.Fatalf("CreateFlowLogs: %+v", out.Unsuccessful)
	}
	return out.FlowLogIds[0]
}

func (env *deliveryEnv) keys(t *testing.T, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(env.s3, &s3.ListObjectsV2Input{Bucket: aws.String("own-bucket"), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		must(t, err)
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

func (env *deliveryEnv) object(t *testing.T, key string) []byte {
	t.Helper()
	out, err := env.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("own-bucket"), Key: aws.String(key)})
	must(t, err)
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	must(t, err)
	return body
}

// lines gunzips a plain-text log file.
func lines(t *testing.T, body []byte) []string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(body))
	must(t, err)
	var out []string
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	must(t, sc.Err())
	return out
}

const defaultFields = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

func TestS3DeliveryLayout(t *testing.T) {
	env := newDeliveryEnv(t)
	vpc := env.names["busy"]
	plain := env.create(t, s3Input(vpc, "arn:aws:s3:::own-bucket/plain/"))
	hiveIn := s3Input(vpc, "arn:aws:s3:::own-bucket/hive/")
	hiveIn.DestinationOptions = &types.DestinationOptionsRequest{FileFormat: types.DestinationFileFormatPlainText,
		HiveCompatiblePartitions: aws.Bool(true), PerHourPartition: aws.Bool(true)}
	hive := env.create(t, hiveIn)
	hourIn := s3Input(vpc, "arn:aws:s3:::own-bucket/hourly/")
	hourIn.DestinationOptions = &types.DestinationOptionsRequest{FileFormat: types.DestinationFileFormatPlainText, PerHourPartition: aws.Bool(true)}
	hourly := env.create(t, hourIn)

	// Nothing before the first 5-minute window closed and a minute passed.
	env.clock.Advance(5*time.Minute + 59*time.Second)
	if keys := env.keys(t, ""); len(keys) != 0 {
		t.Fatalf("before the first delivery: %v", keys)
	}
	env.clock.Advance(5 * time.Second) // 12:06:04: the 12:00 window is delivered
	want := []*regexp.Regexp{
		regexp.MustCompile(`^hive/AWSLogs/aws-account-id=111111111111/aws-service=vpcflowlogs/aws-region=us-east-1/year=2025/month=03/day=01/hour=12/111111111111_vpcflowlogs_us-east-1_` + hive + `_20250301T1200Z_[0-9a-f]{8}\.log\.gz$`),
		regexp.MustCompile(`^hourly/AWSLogs/111111111111/vpcflowlogs/us-east-1/2025/03/01/12/111111111111_vpcflowlogs_us-east-1_` + hourly + `_20250301T1200Z_[0-9a-f]{8}\.log\.gz$`),
		regexp.MustCompile(`^plain/AWSLogs/111111111111/vpcflowlogs/us-east-1/2025/03/01/111111111111_vpcflowlogs_us-east-1_` + plain + `_20250301T1200Z_[0-9a-f]{8}\.log\.gz$`),
	}
	keys := env.keys(t, "")
	if len(keys) != len(want) {
		t.Fatalf("keys = %v", keys)
	}
	for i, k := range keys {
		if !want[i].MatchString(k) {
			t.Errorf("key %s does not match %s", k, want[i])
		}
	}
	head, err := env.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("own-bucket"), Key: aws.String(keys[2])})
	must(t, err)
	if !head.LastModified.Equal(time.Date(2025, 3, 1, 12, 6, 0, 0, time.UTC)) || aws.ToInt64(head.ContentLength) == 0 {
		t.Errorf("HeadObject: last modified %v, %d bytes", head.LastModified, aws.ToInt64(head.ContentLength))
	}
	got := lines(t, env.object(t, keys[2]))
	if got[0] != defaultFields {
		t.Fatalf("header line = %q", got[0])
	}
	if len(got) < 2 {
		t.Fatalf("no records: %q", got)
	}
	busy := map[string]bool{env.names["e1"]: true, env.names["e2"]: true, env.names["e3"]: true, env.names["nlb"]: true}
	windowStart, windowEnd := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).Unix(), time.Date(2025, 3, 1, 12, 5, 0, 0, time.UTC).Unix()
	for _, line := range got[1:] {
		f := strings.Split(line, " ")
		if len(f) != 14 || f[0] != "2" || f[1] != "111111111111" || !busy[f[2]] || f[13] != "OK" ||
			(f[12] != "ACCEPT" && f[12] != "REJECT") {
			t.Fatalf("record %q", line)
		}
		start, _ := strconv.ParseInt(f[10], 10, 64)
		end, _ := strconv.ParseInt(f[11], 10, 64)
		if start > end || end < windowStart || end >= windowEnd {
			t.Errorf("record %q: start %d, end %d outside the file's window", line, start, end)
		}
		for _, i := range []int{5, 6, 7, 8, 9} {
			if _, err := strconv.Atoi(f[i]); err != nil {
				t.Errorf("record %q: field %d is not a number", line, i)
			}
		}
	}

	// Another emulator with the same world and clock writes the same files.
	env2 := newDeliveryEnv(t)
	env2.create(t, s3Input(env2.names["busy"], "arn:aws:s3:::own-bucket/plain/"))
	env2.clock.Advance(6*time.Minute + 4*time.Second)
	keys2 := env2.keys(t, "plain/")
	if len(keys2) != 1 || !bytes.Equal(env2.object(t, keys2[0]), env.object(t, keys[2])) {
		t.Errorf("a second run differs: %v vs %v", keys2, keys[2])
	}

	// Ten minutes later each flow log has delivered two more windows.
	env.clock.Advance(10 * time.Minute)
	if n := len(env.keys(t, "plain/")); n != 3 {
		t.Errorf("plain/ has %d files after 16 minutes, want 3", n)
	}
	_, err = env.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("own-bucket"), Key: aws.String("plain/nope")})
	wantAPIError(t, err, "NoSuchKey", "The specified key does not exist.")
}

func TestS3DeliveryParquet(t *testing.T) {
	env := newDeliveryEnv(t)
	in := s3Input(env.names["s2"], "arn:aws:s3:::own-bucket/pq/")
	in.ResourceType = types.FlowLogsResourceTypeSubnet
	in.LogFormat = aws.String("${version} ${interface-id} ${srcport} ${bytes} ${traffic-path} ${pkt-dst-aws-service} ${interface-tag}")
	in.TagFieldSpecifications = []types.TagFieldSpecificationRequest{{ResourceType: types.TaggableResourceTypeNetworkInterface, TagKeys: []string{"app"}}}
	in.DestinationOptions = &types.DestinationOptionsRequest{FileFormat: types.DestinationFileFormatParquet, HiveCompatiblePartitions: aws.Bool(true)}
	env.create(t, in)
	env.clock.Advance(11 * time.Minute)
	keys := env.keys(t, "pq/")
	if len(keys) != 2 || !strings.HasSuffix(keys[0], ".log.parquet") || !strings.Contains(keys[0], "/year=2025/month=03/day=01/111111111111_") {
		t.Fatalf("parquet keys = %v", keys)
	}
	body := env.object(t, keys[0])
	f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
	must(t, err)
	var cols []string
	for _, field := range f.Schema().Fields() {
		cols = append(cols, fmt.Sprintf("%s %s %v", field.Name(), field.Type(), field.Optional()))
	}
	wantCols := []string{"version INT(32,true) true", "interface_id STRING true", "srcport INT(32,true) true", "bytes INT(64,true) true",
		"traffic_path INT(32,true) true", "pkt_dst_aws_service STRING true", "interface_tag STRING true"}
	if !slices.Equal(cols, wantCols) {
		t.Fatalf("columns = %v, want %v", cols, wantCols)
	}
	rows := parquet.NewReader(f)
	defer rows.Close()
	if rows.NumRows() == 0 {
		t.Fatal("no rows")
	}
	row := make([]parquet.Row, 1)
	if _, err := rows.ReadRows(row); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	vals := row[0]
	if vals[0].Int32() != 11 || string(vals[1].ByteArray()) != env.names["nlb"] || string(vals[6].ByteArray()) != "web" {
		t.Errorf("first row = %v", vals)
	}
}

func TestCloudWatchDelivery(t *testing.T) {
	env := newDeliveryEnv(t)
	in := cwlInput(env.names["busy"])
	in.LogGroupName = aws.String("/fl/vpc")
	in.TrafficType = types.TrafficTypeAll
	env.create(t, in)
	// An ENI's own flow log in the same group shares its stream.
	eniIn := cwlInput(env.names["e1"])
	eniIn.ResourceType = types.FlowLogsResourceTypeNetworkInterface
	eniIn.LogGroupName = aws.String("/fl/vpc")
	eniIn.TrafficType = types.TrafficTypeAccept
	env.create(t, eniIn)

	env.clock.Advance(3*time.Minute + 30*time.Second) // 12:03:30: the 12:00 and 12:01 windows are in
	out, err := env.logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/fl/vpc")})
	must(t, err)
	var names []string
	for _, s := range out.LogStreams {
		names = append(names, aws.ToString(s.LogStreamName))
	}
	wantNames := []string{env.names["e1"] + "-all", env.names["e2"] + "-all", env.names["e3"] + "-all", env.names["nlb"] + "-all"}
	slices.Sort(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Fatalf("streams = %v, want %v (the idle interface has none)", names, wantNames)
	}
	s := out.LogStreams[0]
	if aws.ToInt64(s.LastIngestionTime) != time.Date(2025, 3, 1, 12, 3, 0, 0, time.UTC).UnixMilli() ||
		aws.ToInt64(s.CreationTime) != time.Date(2025, 3, 1, 12, 2, 0, 0, time.UTC).UnixMilli() ||
		aws.ToInt64(s.FirstEventTimestamp) < time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).UnixMilli() ||
		aws.ToInt64(s.LastEventTimestamp) >= time.Date(2025, 3, 1, 12, 2, 0, 0, time.UTC).UnixMilli() ||
		aws.ToInt64(s.StoredBytes) != 0 || aws.ToString(s.Arn) != "arn:aws:logs:us-east-1:111111111111:log-group:/fl/vpc:log-stream:"+names[0] {
		t.Errorf("stream = %+v", s)
	}
	ev, err := env.logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/fl/vpc"),
		LogStreamName: aws.String(env.names["e1"] + "-all"), StartFromHead: aws.Bool(true)})
	must(t, err)
	if len(ev.Events) < 2 {
		t.Fatalf("events = %+v", ev.Events)
	}
	for i, e := range ev.Events {
		f := strings.Split(aws.ToString(e.Message), " ")
		start, _ := strconv.ParseInt(f[10], 10, 64)
		end, _ := strconv.ParseInt(f[11], 10, 64)
		if len(f) != 14 || f[2] != env.names["e1"] || aws.ToInt64(e.Timestamp) != start*1000 || aws.ToInt64(e.IngestionTime) <= end*1000 {
			t.Errorf("event %q at %d, ingested %d", aws.ToString(e.Message), aws.ToInt64(e.Timestamp), aws.ToInt64(e.IngestionTime))
		}
		if i > 0 && aws.ToInt64(e.Timestamp) < aws.ToInt64(ev.Events[i-1].Timestamp) {
			t.Errorf("events out of order at %d", i)
		}
	}

	// Ordered by last event, newest first; a prefix cannot be combined with it.
	byTime, err := env.logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/fl/vpc"),
		OrderBy: cwltypes.OrderByLastEventTime, Descending: aws.Bool(true), Limit: aws.Int32(1)})
	must(t, err)
	if len(byTime.LogStreams) != 1 || byTime.NextToken == nil {
		t.Fatalf("limit 1: %+v", byTime)
	}
	for _, s := range out.LogStreams {
		if aws.ToInt64(s.LastEventTimestamp) > aws.ToInt64(byTime.LogStreams[0].LastEventTimestamp) {
			t.Errorf("stream %s has a later event than the first by LastEventTime", aws.ToString(s.LogStreamName))
		}
	}
	_, err = env.logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/fl/vpc"),
		OrderBy: cwltypes.OrderByLastEventTime, LogStreamNamePrefix: aws.String("eni-")})
	wantAPIError(t, err, "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")
	_, err = env.logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/fl/nope")})
	wantAPIError(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	for _, limit := range []int32{0, 51} {
		_, err = env.logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/fl/vpc"), Limit: aws.Int32(limit)})
		wantAPIError(t, err, "InvalidParameterException", "limit")
	}
	_, err = env.logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/fl/vpc"),
		LogGroupIdentifier: aws.String("/fl/vpc")})
	wantAPIError(t, err, "InvalidParameterException", "mutually exclusive")
	byARN, err := env.logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:111111111111:log-group:/fl/vpc"), LogStreamNamePrefix: aws.String(env.names["nlb"])})
	must(t, err)
	if len(byARN.LogStreams) != 1 {
		t.Errorf("by ARN and prefix: %+v", byARN.LogStreams)
	}

	// Pages of two, in both orders, cover every stream once.
	for _, desc := range []bool{false, true} {
		var paged []string
		p := cloudwatchlogs.NewDescribeLogStreamsPaginator(env.logs, &cloudwatchlogs.DescribeLogStreamsInput{
			LogGroupName: aws.String("/fl/vpc"), Descending: aws.Bool(desc), Limit: aws.Int32(2)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			must(t, err)
			for _, s := range page.LogStreams {
				paged = append(paged, aws.ToString(s.LogStreamName))
			}
		}
		want := slices.Clone(names)
		if desc {
			slices.Reverse(want)
		}
		if !slices.Equal(paged, want) {
			t.Errorf("descending=%v: paged %v, want %v", desc, paged, want)
		}
	}

	// The ENI flow log records accepted traffic into e1's stream too.
	all, err := env.logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/fl/vpc"),
		LogStreamNames: []string{env.names["e1"] + "-all"}, FilterPattern: aws.String("ACCEPT")})
	must(t, err)
	counts := map[string]int{}
	for _, e := range all.Events {
		if !strings.Contains(aws.ToString(e.Message), " ACCEPT ") || aws.ToString(e.EventId) == "" || len(aws.ToString(e.EventId)) != 56 {
			t.Errorf("filtered event %+v", e)
		}
		counts[aws.ToString(e.Message)]++
	}
	for msg, n := range counts {
		if n != 2 {
			t.Errorf("accepted record %q appears %d times, want twice (once per flow log)", msg, n)
		}
	}
}

func TestGetLogEventsPaging(t *testing.T) {
	env := newDeliveryEnv(t)
	in := cwlInput(env.names["e2"])
	in.ResourceType = types.FlowLogsResourceTypeNetworkInterface
	in.LogGroupName = aws.String("/fl/vpc")
	in.TrafficType = types.TrafficTypeAll
	env.create(t, in)
	env.clock.Advance(20 * time.Minute)
	stream := aws.String(env.names["e2"] + "-all")
	whole, err := env.logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/fl/vpc"), LogStreamName: stream, StartFromHead: aws.Bool(true)})
	must(t, err)
	if len(whole.Events) < 20 {
		t.Fatalf("%d events in 19 windows", len(whole.Events))
	}
	// Forward pages of three, as the SDK's paginator reads them.
	var fwd []string
	p := cloudwatchlogs.NewGetLogEventsPaginator(env.logs, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/fl/vpc"),
		LogStreamName: stream, StartFromHead: aws.Bool(true), Limit: aws.Int32(3)}, func(o *cloudwatchlogs.GetLogEventsPaginatorOptions) {
		o.StopOnDuplicateToken = true
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		must(t, err)
		for _, e := range page.Events {
			fwd = append(fwd, aws.ToString(e.Message))
		}
	}
	var want []string
	for _, e := range whole.Events {
		want = append(want, aws.ToString(e.Message))
	}
	if !slices.Equal(fwd, want) {
		t.Errorf("forward pages: %d events, want %d", len(fwd), len(want))
	}
	// Without startFromHead the newest come first; backward tokens go back.
	tail, err := env.logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/fl/vpc"), LogStreamName: stream, Limit: aws.Int32(4)})
	must(t, err)
	back, err := env.logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/fl/vpc"), LogStreamName: stream,
		Limit: aws.Int32(4), NextToken: tail.NextBackwardToken})
	must(t, err)
	var got []string
	for _, e := range append(back.Events, tail.Events...) {
		got = append(got, aws.ToString(e.Message))
	}
	if !slices.Equal(got, want[len(want)-8:]) {
		t.Errorf("the last two pages backwards differ from the stream's last eight events")
	}
	// The time range bounds the events: start inclusive, end exclusive.
	t0 := aws.ToInt64(whole.Events[2].Timestamp)
	ranged, err := env.logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/fl/vpc"), LogStreamName: stream,
		StartFromHead: aws.Bool(true), StartTime: aws.Int64(t0), EndTime: aws.Int64(t0 + 60_000)})
	must(t, err)
	for _, e := range ranged.Events {
		if ts := aws.ToInt64(e.Timestamp); ts < t0 || ts >= t0+60_000 {
			t.Errorf("event at %d outside [%d, %d)", ts, t0, t0+60_000)
		}
	}
	_, err = env.logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/fl/vpc"), LogStreamName: aws.String("nope")})
	wantAPIError(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")
	_, err = env.logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/fl/vpc"), LogStreamName: stream, NextToken: aws.String("f/bogus")})
	wantAPIError(t, err, "InvalidParameterException", "nextToken")
}

// A flow log that cannot deliver gets nothing: its destination's newest
// record ages. Once fixed it catches up on the last hour, no more.
func TestDeliveryStopsAndCatchesUp(t *testing.T) {
	env := newDeliveryEnv(t)
	in := cwlInput(env.names["e3"])
	in.ResourceType = types.FlowLogsResourceTypeNetworkInterface
	in.LogGroupName = aws.String("/fl/vpc")
	in.TrafficType = types.TrafficTypeAll
	env.create(t, in)
	// Flow logs of the idle interface and of the VPC without interfaces deliver nothing.
	idle := cwlInput(env.names["idle"])
	idle.ResourceType = types.FlowLogsResourceTypeNetworkInterface
	idle.LogGroupName = aws.String("/fl/other")
	env.create(t, idle)
	empty := cwlInput(env.names["empty"])
	empty.LogGroupName = aws.String("/fl/other")
	env.create(t, empty)
	env.clock.Advance(5 * time.Minute)
	last := func() int64 {
		t.Helper()
		out, err := env.logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/fl/vpc"),
			OrderBy: cwltypes.OrderByLastEventTime, Descending: aws.Bool(true)})
		must(t, err)
		if len(out.LogStreams) != 1 {
			t.Fatalf("streams: %+v", out.LogStreams)
		}
		return aws.ToInt64(out.LogStreams[0].LastIngestionTime)
	}
	if got := last(); got != time.Date(2025, 3, 1, 12, 5, 0, 0, time.UTC).UnixMilli() {
		t.Fatalf("last ingestion %v", time.UnixMilli(got).UTC())
	}
	other, err := env.logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/fl/other")})
	must(t, err)
	if len(other.LogStreams) != 0 {
		t.Errorf("idle and empty flow logs delivered: %+v", other.LogStreams)
	}

	// The role loses its permissions: nothing more arrives, for hours.
	iamc := iam.NewFromConfig(oneCfg(env.s))
	_, err = iamc.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("delivery"), PolicyName: aws.String("flowplan-delivery")})
	must(t, err)
	env.clock.Advance(3 * time.Hour)
	if got := last(); got != time.Date(2025, 3, 1, 12, 5, 0, 0, time.UTC).UnixMilli() {
		t.Fatalf("an undeliverable flow log delivered: last ingestion %v", time.UnixMilli(got).UTC())
	}
	_, err = iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("delivery"), PolicyName: aws.String("flowplan-delivery"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:111111111111:log-group:/fl/*"}]}`)})
	must(t, err)
	now := env.clock.Now() // 15:05
	if got := last(); got != now.Add(-time.Minute).Truncate(time.Minute).UnixMilli()+60_000 {
		t.Fatalf("after the fix: last ingestion %v at %v", time.UnixMilli(got).UTC(), now)
	}
	ev, err := env.logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/fl/vpc"),
		LogStreamName: aws.String(env.names["e3"] + "-all"), StartFromHead: aws.Bool(true),
		StartTime: aws.Int64(time.Date(2025, 3, 1, 12, 10, 0, 0, time.UTC).UnixMilli())})
	must(t, err)
	if len(ev.Events) == 0 || aws.ToInt64(ev.Events[0].Timestamp) < now.Add(-time.Hour-2*time.Minute).UnixMilli() {
		t.Errorf("the catch-up reaches back further than an hour: %+v", ev.Events[:min(1, len(ev.Events))])
	}
}

func TestListObjectsV2(t *testing.T) {
	env := newDeliveryEnv(t)
	vpc := env.names["busy"]
	for _, p := range []string{"a/", "b/", "c/"} {
		env.create(t, s3Input(vpc, "arn:aws:s3:::own-bucket/"+p))
	}
	env.clock.Advance(21 * time.Minute) // four windows each
	all := env.keys(t, "")
	if len(all) != 12 || !slices.IsSorted(all) {
		t.Fatalf("keys = %v", all)
	}
	list := func(in *s3.ListObjectsV2Input) *s3.ListObjectsV2Output {
		t.Helper()
		in.Bucket = aws.String("own-bucket")
		out, err := env.s3.ListObjectsV2(ctx, in)
		must(t, err)
		return out
	}
	top := list(&s3.ListObjectsV2Input{Delimiter: aws.String("/")})
	if aws.ToInt32(top.KeyCount) != 3 || len(top.Contents) != 0 || len(top.CommonPrefixes) != 3 || aws.ToString(top.CommonPrefixes[1].Prefix) != "b/" {
		t.Fatalf("delimited listing: %+v", top)
	}
	// max-keys counts common prefixes; the continuation skips what they rolled up.
	p1 := list(&s3.ListObjectsV2Input{Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)})
	if aws.ToInt32(p1.KeyCount) != 2 || !aws.ToBool(p1.IsTruncated) || p1.NextContinuationToken == nil {
		t.Fatalf("page 1: %+v", p1)
	}
	p2 := list(&s3.ListObjectsV2Input{Delimiter: aws.String("/"), MaxKeys: aws.Int32(2), ContinuationToken: p1.NextContinuationToken})
	if aws.ToInt32(p2.KeyCount) != 1 || aws.ToBool(p2.IsTruncated) || aws.ToString(p2.CommonPrefixes[0].Prefix) != "c/" ||
		aws.ToString(p2.ContinuationToken) != aws.ToString(p1.NextContinuationToken) {
		t.Fatalf("page 2: %+v", p2)
	}
	after := list(&s3.ListObjectsV2Input{StartAfter: aws.String(all[9])})
	if aws.ToInt32(after.KeyCount) != 2 || aws.ToString(after.Contents[0].Key) != all[10] || aws.ToString(after.StartAfter) != all[9] {
		t.Fatalf("start-after: %+v", after)
	}
	one := list(&s3.ListObjectsV2Input{Prefix: aws.String("b/"), MaxKeys: aws.Int32(1)})
	c := one.Contents[0]
	if aws.ToInt32(one.KeyCount) != 1 || aws.ToInt32(one.MaxKeys) != 1 || aws.ToString(one.Prefix) != "b/" || c.LastModified == nil ||
		aws.ToInt64(c.Size) == 0 || !strings.HasPrefix(aws.ToString(c.ETag), `"`) || c.StorageClass != "STANDARD" {
		t.Fatalf("one key: %+v", one)
	}
	if n := aws.ToInt32(list(&s3.ListObjectsV2Input{MaxKeys: aws.Int32(5000)}).MaxKeys); n != 1000 {
		t.Errorf("max-keys 5000 reads back as %d, want 1000", n)
	}
	_, err := env.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("own-bucket"), ContinuationToken: aws.String("bogus")})
	wantAPIError(t, err, "InvalidArgument", "The continuation token provided is incorrect")

	// Another account reads only what the bucket policy lets it.
	other := emutest.S3(twoCfg(env.s))
	_, err = other.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("own-bucket")})
	wantAPIError(t, err, "AccessDenied", "Access Denied")
	_, err = other.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("own-bucket"), Key: aws.String(all[0])})
	wantAPIError(t, err, "AccessDenied", "Access Denied")
	policy, err := env.s.Emu.BucketPolicy("own-bucket")
	must(t, err)
	grant := `{"Sid":"AuditRead","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::own-bucket","arn:aws:s3:::own-bucket/*"]}`
	must(t, env.s.Emu.SetBucketPolicy("own-bucket", strings.Replace(policy, `"Statement":[`, `"Statement":[`+grant+",", 1)))
	listed, err := other.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("own-bucket")})
	must(t, err)
	if aws.ToInt32(listed.KeyCount) != 12 {
		t.Errorf("with the grant: %d keys", aws.ToInt32(listed.KeyCount))
	}
	_, err = other.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("own-bucket"), Key: aws.String(all[0])})
	must(t, err)
}

// A flow log created long ago delivers its last hour at most, and each
// flow log keeps an hour before its newest delivery.
func TestDeliveryBacklogIsBounded(t *testing.T) {
	env := newDeliveryEnv(t)
	env.create(t, s3Input(env.names["busy"], "arn:aws:s3:::own-bucket/"))
	env.clock.Advance(5 * time.Hour)
	keys := env.keys(t, "")
	// At 17:00 the windows from 16:00 (an hour back) to 16:50 (the last
	// closed a minute ago) are delivered: 11 files.
	if len(keys) != 11 || !strings.Contains(keys[0], "_20250301T1600Z_") || !strings.Contains(keys[10], "_20250301T1650Z_") {
		t.Fatalf("%d files after 5 hours: %v", len(keys), keys)
	}
	// An hour later (18:00) the flow log catches up from 17:00, an hour
	// back, so the 16:55 window is never delivered; of the files before,
	// only those at most an hour older than the newest (17:50, uploaded at
	// 17:56) are kept: 16:50 and 17:00 to 17:50.
	env.clock.Advance(time.Hour)
	keys = env.keys(t, "")
	if len(keys) != 12 || !strings.Contains(keys[0], "_20250301T1650Z_") || !strings.Contains(keys[1], "_20250301T1700Z_") {
		t.Fatalf("%d files after 6 hours: %v", len(keys), keys)
	}
}
