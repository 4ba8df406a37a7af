// Package awsemu emulates the AWS APIs flowplan uses (EC2, IAM, STS, CloudWatch Logs, S3, Firehose and Organizations) behind one HTTP endpoint, for tests, benchmarks and the sandbox.
//
// It speaks AWS's wire protocols, so the real aws-sdk-go-v2 clients and the
// AWS CLI work against it unchanged. It models AWS from AWS's documentation,
// not from flowplan's provider: it imports neither engine, spec nor
// providers/aws, and has its own validation (its own log-format field
// table, its own IAM policy evaluator in iampolicy), so that it can catch the
// provider's mistakes. Where AWS's documentation is unclear the emulator
// takes the stricter reading and says so in a comment; MOTO_DIFFERENCES.md
// lists where it knowingly differs from moto.
//
// # Using it
//
//	emu := awsemu.New(awsemu.Options{})
//	if err := emu.LoadWorldFile("examples/sandbox/world.yaml"); err != nil { ... }
//	srv := httptest.NewServer(emu.Handler())
//	id, secret := emu.SandboxCredentials()
//	// point any AWS client at srv.URL with id/secret and a region
//
// The sandbox keeps its state in a file across processes:
//
//	created, err := emu.OpenSandbox(".flowplan/sandbox.json", "examples/sandbox/world.yaml")
//	... serve or call ...
//	err = emu.SaveStateFile(".flowplan/sandbox.json")
//
// In process (flowplan --sandbox), no socket is needed: give the SDK
// emu.HTTPClient() and any BaseEndpoint, e.g. http://sandbox.awsemu, with
// the sandbox credentials and a region. Over HTTP (flowplan sandbox
// serve), serve emu.Handler() on loopback and set Options.AutoSavePath, so
// that every successful call that changes state is saved for the next
// --sandbox run; with Options.AutoSaveInterval the saves are batched (one
// write of the file for every change within the interval) and Close,
// called when serving stops, saves the rest. Save/Load do the same with
// any io.Writer/io.Reader.
//
// Calls in different account-regions run in parallel: each account-region
// has its own lock. The data of the global services (IAM, S3, STS keys,
// Organizations) has one lock, which every call holds for reading and
// only their writes (and the flow log delivery pump and saves) hold for
// writing; locks.go says which call takes what, and in what order.
//
// Package emutest starts an emulator on 127.0.0.1 and builds SDK configs.
// Go clients over a socket should use its Transport: aws-sdk-go-v2 v1.48
// closes request bodies early enough that net/http, against a server this
// fast, sometimes drops the connection mid-response (see HTTPClient).
//
// # World files
//
// A world (World, examples/sandbox/world.yaml) lists accounts with their
// regions (VPCs with subnets and ENIs, NAT gateways, transit gateways with
// attachments, log groups, Firehose streams, flow logs), IAM roles with
// trust and inline policies, S3 buckets with policies, credentials, and the
// organisation
// tree. Resources may be named; names become Name tags and can be used
// where an ID is expected. Flow logs go through CreateFlowLogs' validation.
// An ENI with traffic: false is idle: its flow logs deliver nothing.
//
// # Routing and credentials
//
// Requests are routed by their Signature Version 4 credential scope
// (Credential=AKID/date/region/service/aws4_request): the service picks the
// protocol and API, the region the account-region, and the access key the
// account and principal. Every signature is verified with the key's secret:
// the emulator recomputes it with aws-sdk-go-v2's signer over the request as
// it arrived (sigv4.go), including S3's UNSIGNED-PAYLOAD, signed aws-chunked
// bodies and presigned URLs, and refuses a mismatch as each service does
// (EC2 AuthFailure, IAM and STS SignatureDoesNotMatch, CloudWatch Logs,
// Firehose and Organizations InvalidSignatureException, S3
// SignatureDoesNotMatch). A signing time more than 15 minutes from the
// emulator's clock is refused too (S3 RequestTimeTooSkewed, "Signature
// expired" elsewhere); every response carries a Date header from that
// clock, from which the SDKs correct their skew. Temporary credentials from
// AssumeRole must carry their session token and expire.
//
// # Caller authorization
//
// With Options.EnforceIAM, every request of a role session (credentials
// from AssumeRole) is authorized before it runs, as AWS authorizes it: the
// IAM actions, resource ARNs and condition keys (aws:ResourceTag,
// aws:RequestTag, aws:TagKeys, ec2:CreateAction, iam:PassedToService, ...)
// each operation involves, from the Service Authorization Reference, are
// evaluated against the role's inline policies with iampolicy, S3 bucket
// policies take part as AWS's cross-account rules say, and an explicit Deny
// wins. A refused request gets the service's own AccessDenied error. Other
// credentials keep full access; EnforceIAM is off in the sandbox. See
// authz.go.
//
// # Partitions
//
// Each account is in one partition, aws, aws-cn or aws-us-gov (World
// accounts' partition key, or the partition of their regions), and every
// ARN the emulator builds or checks is in it (partition.go): roles, STS
// sessions, log groups, buckets (arn:aws-cn:s3:::name), flow log sources,
// subnets and the root principals stored policies are rewritten to. A key
// is unknown in the other partitions, and their ARNs are refused.
//
// # Behaviour
//
// Validation follows AWS's error codes and, where known, messages; per
// resource failures of CreateFlowLogs and DeleteFlowLogs go in Unsuccessful.
// Every Describe and List paginates with AWS's MaxResults bounds and opaque
// tokens tied to the query. CreateFlowLogs honours ClientToken. A role is
// unusable for Options.IAMPropagationDelay after it is created or its trust
// policy changes. DescribeFlowLogs computes DeliverLogsStatus from the
// current roles, policies and destinations (see delivery.go); nothing, not
// even a world file, can set it. VPCs, subnets and network interfaces can
// be created and deleted (ec2_network.go) with EC2's dependency rules, and
// so can zonal and regional NAT gateways (ec2_nat.go); regional ones take
// flow logs (resource type RegionalNatGateway). The flow logs of a deleted
// resource linger for an hour, then disappear.
//
// # Delivered records
//
// Flow logs that can deliver write what AWS would: made-up but plausible,
// seeded records for the network interfaces they cover, one CloudWatch
// Logs stream "<eni-id>-all" per interface and one S3 object per flow log
// and 5-minute window, under AWS's key layout (plain-text gzip files that
// start with a header line, or Parquet files). Delivery is lazy: calls that
// read it (DescribeFlowLogs, DescribeLogStreams, GetLogEvents,
// FilterLogEvents, ListObjectsV2, GetObject, HeadObject) first deliver the
// windows that closed since each flow log's last delivery, by
// Options.Clock, at most an hour of them; a flow log that cannot deliver
// gets nothing, so its destination goes stale. Transit gateway and
// Firehose flow logs deliver nothing. See flowlog_delivery.go and
// flowlog_records.go.
//
// # Faults and accounting
//
// Options.Latency and SetLatency delay every call; Options.Throttling and
// SetThrottling enable token buckets modelled on AWS's (throttle.go);
// RandomFaults injects seeded 500/503 errors, throttling errors, dropped
// connections and ghost writes (made, but their response lost);
// FailNext scripts failures of chosen calls. Counts, Count and ResetCounts
// expose per service, action and account-region call counters, and
// Writes those of the calls that change an account's resources;
// FlowLogEvents lists the flow logs the API created and deleted, in order,
// so a test can see whether a replacement left a gap.
//
// # Out-of-band changes
//
// DeleteFlowLog, SetTags and SetBucketPolicy change the world as someone
// outside flowplan would, for drift tests; AddCredentials mints keys for any
// account. Anything else can be done through the AWS API itself.
package awsemu
