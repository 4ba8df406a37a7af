package engine_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/engine/enginetest"
	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

func TestQueries(t *testing.T) {
	cwl := func(group string) spec.Destination {
		return spec.Destination{CloudWatchLogs: &spec.CloudWatchLogs{LogGroup: group, DeliveryRole: "flowplan-flow-logs"}}
	}
	s := &spec.Spec{
		Name: "org", Prune: true,
		DeliveryRoles: []spec.DeliveryRole{{Name: "flowplan-flow-logs", Path: "/flowplan/"}, {Name: "unused", Path: "/"}},
		Rules: []spec.Rule{
			{Name: "vpcs", Targets: spec.Targets{VPCs: &spec.Selector{All: true}}, Destination: cwl("/vpc/{account_alias}/{region}")},
			{Name: "subnets", Accounts: []string{acctB}, Regions: []string{"us-east-1"},
				Targets: spec.Targets{Subnets: &spec.Selector{All: true}}, Destination: cwl("/subnet/{rule}/{resource_id}")},
			{Name: "tgw", Targets: spec.Targets{TransitGateways: &spec.Selector{All: true}}, Destination: spec.Destination{S3: &spec.S3{
				BucketARN: "arn:aws:s3:::central", ManageBucketPolicy: true, BucketAccount: bucketOwner}}},
			{Name: "fixed-role", Regions: []string{"eu-west-1"}, Targets: spec.Targets{NetworkInterfaces: &spec.Selector{All: true}},
				Destination: spec.Destination{CloudWatchLogs: &spec.CloudWatchLogs{LogGroup: "/eni", DeliveryRoleARN: "arn:aws:iam::{account_id}:role/x"}}},
		},
	}
	accounts := []engine.Account{
		{ID: acctA, Alias: "prod", Regions: []string{"us-east-1", "eu-west-1"}},
		{ID: acctB, Regions: []string{"us-east-1"}},
		{ID: bucketOwner, Source: "bucket_owner"},
	}
	q := engine.Queries(s, accounts, map[string]string{"central": bucketOwner})
	type region struct {
		Scope    string
		Kinds    []spec.TargetKind
		Names    []string
		Prefixes []string
	}
	var regions []region
	for _, r := range q.Regions {
		regions = append(regions, region{r.Account.ID + "/" + r.Region, r.TargetKinds, r.LogGroupNames, r.LogGroupPrefixes})
	}
	wantRegions := []region{
		{acctA + "/us-east-1", []spec.TargetKind{spec.TargetVPC, spec.TargetTransitGateway}, []string{"/vpc/prod/us-east-1"}, nil},
		{acctA + "/eu-west-1", []spec.TargetKind{spec.TargetVPC, spec.TargetNetworkInterface, spec.TargetTransitGateway}, []string{"/eni", "/vpc/prod/eu-west-1"}, nil},
		{acctB + "/us-east-1", []spec.TargetKind{spec.TargetVPC, spec.TargetSubnet, spec.TargetTransitGateway}, []string{"/vpc/222222222222/us-east-1"}, []string{"/subnet/subnets/"}},
	}
	if d := cmp.Diff(wantRegions, regions); d != "" {
		t.Errorf("region queries (-want +got):\n%s", d)
	}
	// The templated groups' settings go with their prefix, so that the
	// provider can leave the tags of settled groups unread.
	for _, r := range q.Regions {
		want := map[string][]engine.LogGroupSettings(nil)
		if r.Account.ID == acctB {
			want = map[string][]engine.LogGroupSettings{"/subnet/subnets/": {{}}}
		}
		if d := cmp.Diff(want, r.LogGroupPrefixSettings); d != "" {
			t.Errorf("%s/%s prefix settings (-want +got):\n%s", r.Account.ID, r.Region, d)
		}
	}
	var acctQueries []engine.AccountQuery
	for _, a := range q.Accounts {
		a.Account = engine.Account{ID: a.Account.ID}
		acctQueries = append(acctQueries, a)
	}
	pol := []string{engine.DeliveryPolicyName}
	paths := []string{"/"}
	wantAccounts := []engine.AccountQuery{
		{Account: engine.Account{ID: acctA}, RoleNames: []string{"flowplan-flow-logs"}, PolicyNames: pol, ListPathPrefixes: paths},
		{Account: engine.Account{ID: acctB}, RoleNames: []string{"flowplan-flow-logs"}, PolicyNames: pol, ListPathPrefixes: paths},
		// The bucket owner's roles are listed too: a role the spec no
		// longer names can only be found that way.
		{Account: engine.Account{ID: bucketOwner}, PolicyNames: pol, ListPathPrefixes: paths},
	}
	if d := cmp.Diff(wantAccounts, acctQueries); d != "" {
		t.Errorf("account queries (-want +got):\n%s", d)
	}
	if len(q.Buckets) != 1 || q.Buckets[0].Bucket != "central" || q.Buckets[0].Account.ID != bucketOwner {
		t.Errorf("bucket queries = %+v", q.Buckets)
	}
}

// TestQueriesFirehoseRoles reads a cross-account Firehose rule's delivery
// role in the accounts outside the stream's only, and never an existing
// role named by ARN.
func TestQueriesFirehoseRoles(t *testing.T) {
	fh := func(role, arn string) spec.Destination {
		return spec.Destination{Firehose: &spec.Firehose{DeliveryStreamARN: "arn:aws:firehose:us-east-1:" + acctB + ":deliverystream/flows",
			DeliveryRole: role, DeliveryRoleARN: arn, CrossAccountRole: "arn:aws:iam::" + acctB + ":role/AWSLogDeliveryFirehoseCrossAccountRole"}}
	}
	s := &spec.Spec{
		Name:          "org",
		DeliveryRoles: []spec.DeliveryRole{{Name: "firehose-source", Path: "/"}},
		Rules: []spec.Rule{
			{Name: "managed", Targets: spec.Targets{VPCs: &spec.Selector{All: true}}, Destination: fh("firehose-source", "")},
			{Name: "existing", Targets: spec.Targets{Subnets: &spec.Selector{All: true}},
				Destination: fh("arn:aws:iam::{account_id}:role/x", "arn:aws:iam::{account_id}:role/x")},
		},
	}
	accounts := []engine.Account{{ID: acctA, Regions: []string{"us-east-1"}}, {ID: acctB, Regions: []string{"us-east-1"}}}
	var got []string
	for _, a := range engine.Queries(s, accounts, nil).Accounts {
		got = append(got, a.Account.ID+": "+strings.Join(a.RoleNames, ","))
	}
	// Account B only lists its roles: the stream is its own.
	if d := cmp.Diff([]string{acctA + ": firehose-source", acctB + ": "}, got); d != "" {
		t.Errorf("account queries (-want +got):\n%s", d)
	}
}

func TestDiscoverScopes(t *testing.T) {
	t.Run("an account whose roles cannot be read contributes nothing", func(t *testing.T) {
		p, s := fixture(false)
		p.DiscoverErrors = map[string]error{acctB: engine.ScopeError{Code: "AccessDenied", Message: "cannot assume role"}}
		st, err := engine.Discover(context.Background(), p, s, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := []engine.ScopeError{{Scope: acctB, Code: "AccessDenied", Message: "cannot assume role", Stage: engine.StageDiscover}}
		if d := cmp.Diff(want, st.Errors); d != "" {
			t.Errorf("errors (-want +got):\n%s", d)
		}
		if _, ok := st.Targets[acctB+"/us-east-1"]; ok {
			t.Error("the regions of an account that failed were kept")
		}
		if _, ok := st.Targets[acctA+"/us-east-1"]; !ok {
			t.Error("another account's region is missing")
		}
	})
	t.Run("a bucket policy that does not parse fails its scope", func(t *testing.T) {
		p, s := fixture(false)
		p.World.AddBucket("org-flow-logs", bucketOwner, "{not json")
		st, err := engine.Discover(context.Background(), p, s, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Errors) != 1 || st.Errors[0].Scope != bucketOwner+"/s3/org-flow-logs" {
			t.Errorf("errors = %+v", st.Errors)
		}
		if _, ok := st.Buckets["org-flow-logs"]; ok {
			t.Error("a bucket whose discovery failed is recorded as discovered")
		}
	})
	t.Run("a failure listing accounts stops everything", func(t *testing.T) {
		p, s := fixture(false)
		p.AccountsF = func(context.Context, *spec.Spec) ([]engine.Account, []engine.ScopeError, error) {
			return nil, nil, errors.New("AWSOrganizationsNotInUseException")
		}
		if _, err := engine.Discover(context.Background(), p, s, engine.Options{}); err == nil || !strings.Contains(err.Error(), "list accounts: AWSOrganizationsNotInUseException") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("account problems are kept", func(t *testing.T) {
		p, s := fixture(false)
		p.AccountsF = func(context.Context, *spec.Spec) ([]engine.Account, []engine.ScopeError, error) {
			return []engine.Account{{ID: acctA, Regions: []string{"us-east-1"}}}, []engine.ScopeError{{Scope: acctB, Message: "suspended"}}, nil
		}
		st, err := engine.Discover(context.Background(), p, s, engine.Options{})
		if err != nil || len(st.Errors) != 1 || st.Errors[0].Message != "suspended" {
			t.Errorf("errors = %+v, %v", st.Errors, err)
		}
	})
	t.Run("a cancelled context is an error, not a partial state", func(t *testing.T) {
		p, s := fixture(false)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := engine.Discover(ctx, p, s, engine.Options{}); !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("bucket owners outside the managed accounts are reached through the organization role", func(t *testing.T) {
		p, s := fixture(false)
		s.Organization = &spec.Organization{AssumeRoleName: "OrgAccess", ExternalID: "x"}
		st, err := engine.Discover(context.Background(), p, s, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		owner := st.Accounts[len(st.Accounts)-1]
		if owner.ID != bucketOwner || owner.AssumeRole != "arn:aws:iam::999999999999:role/OrgAccess" || len(owner.Regions) != 0 {
			t.Errorf("bucket owner account = %+v", owner)
		}
	})
}

// recording is a fake provider that also keeps the region queries.
type recording struct {
	*enginetest.Provider
	mu      sync.Mutex
	regions []engine.RegionQuery
}

func (r *recording) DiscoverRegion(ctx context.Context, q engine.RegionQuery) (*engine.RegionState, error) {
	r.mu.Lock()
	r.regions = append(r.regions, q)
	r.mu.Unlock()
	return r.Provider.DiscoverRegion(ctx, q)
}

func TestDiscoverReadsOnlyWhatTheSpecNeeds(t *testing.T) {
	fake, s := fixture(false)
	p := &recording{Provider: fake}
	if _, err := engine.Discover(context.Background(), p, s, engine.Options{}); err != nil {
		t.Fatal(err)
	}
	queries := p.regions
	for _, q := range queries {
		if len(q.TargetKinds) != 2 || q.TargetKinds[0] != spec.TargetVPC || q.TargetKinds[1] != spec.TargetSubnet {
			t.Errorf("%s/%s: kinds %v, want vpcs and subnets only", q.Account.ID, q.Region, q.TargetKinds)
		}
		want := "/vpc-flow-logs/" + q.Account.ID + "/" + q.Region
		if len(q.LogGroupNames) != 1 || q.LogGroupNames[0] != want {
			t.Errorf("%s/%s: log groups %v, want exactly %s", q.Account.ID, q.Region, q.LogGroupNames, want)
		}
	}
	if len(queries) != 3 {
		t.Errorf("%d region queries, want one per account-region (3)", len(queries))
	}
}

func TestParseBucketStatements(t *testing.T) {
	policy := `{"Version":"2012-10-17","Statement":[
		{"Sid":"flowplan-org-aclcheck","Effect":"Allow","Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::b"},
		{"Sid":"AWSLogDeliveryWrite","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"},
		{"Effect":"Deny","Action":"s3:*","Resource":"*"},
		{"Sid":"flowplan-other-aclcheck","Effect":"Allow","Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::b"}]}`
	for _, doc := range []string{policy, url.PathEscape(policy)} {
		got, err := engine.ParseBucketStatements(bucketOwner, "aws", "b", doc)
		if err != nil {
			t.Fatal(err)
		}
		var addrs []string
		for _, r := range got {
			addrs = append(addrs, r.Addr.String()+" "+r.ID)
		}
		want := []string{
			bucketOwner + "/global/s3_bucket_policy_statement/b/flowplan-org-aclcheck arn:aws:s3:::b#flowplan-org-aclcheck",
			bucketOwner + "/global/s3_bucket_policy_statement/b/flowplan-other-aclcheck arn:aws:s3:::b#flowplan-other-aclcheck",
		}
		if d := cmp.Diff(want, addrs); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	}
	single := `{"Statement":{"Sid":"flowplan-org-aclcheck","Effect":"Allow"}}`
	if got, err := engine.ParseBucketStatements(bucketOwner, "aws", "b", single); err != nil || len(got) != 1 {
		t.Errorf("a single statement object: %v, %v", got, err)
	}
	for _, bad := range []string{"[]", `{"Statement":"x"}`, "{"} {
		if _, err := engine.ParseBucketStatements(bucketOwner, "aws", "b", bad); err == nil {
			t.Errorf("ParseBucketStatements(%q) succeeded", bad)
		}
	}
}

func TestFlowLogAddrs(t *testing.T) {
	fl := func(id, resource string, tags map[string]string) *engine.Resource {
		return &engine.Resource{ID: id, Tags: tags, FlowLog: &engine.FlowLog{ResourceID: resource, LogFormat: logformat.DefaultVPC}}
	}
	ours := map[string]string{engine.TagSpec: "org", engine.TagRule: "prod"}
	in := []*engine.Resource{
		fl("fl-3", "vpc-1", ours),
		fl("fl-1", "vpc-1", ours),
		fl("fl-2", "vpc-1", map[string]string{engine.TagSpec: "other", engine.TagRule: "prod"}),
		fl("fl-4", "vpc-2", nil),
		nil,
	}
	var got []string
	for _, r := range engine.FlowLogAddrs(acctA, "us-east-1", "org", in) {
		got = append(got, r.Addr.String())
	}
	want := []string{
		acctA + "/us-east-1/flow_log/prod/vpc-1",
		acctA + "/us-east-1/flow_log/vpc-1/fl-2",
		acctA + "/us-east-1/flow_log/vpc-1/fl-3",
		acctA + "/us-east-1/flow_log/vpc-2/fl-4",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if in[0].Addr != (engine.Addr{}) {
		t.Error("FlowLogAddrs changed its input")
	}
}

// TestDiscoverBucketInAnotherPartition reads a China bucket by its name, as
// its owner through the organization's role in that partition.
func TestDiscoverBucketInAnotherPartition(t *testing.T) {
	p := enginetest.New()
	s := &spec.Spec{
		Name:         "org",
		Accounts:     []spec.Account{{ID: acctA, Regions: []string{"cn-north-1"}}},
		Organization: &spec.Organization{AssumeRoleName: "FlowplanRunner"},
		Rules: []spec.Rule{{Name: "central", Targets: spec.Targets{VPCs: &spec.Selector{All: true}}, Destination: spec.Destination{S3: &spec.S3{
			BucketARN: "arn:aws-cn:s3:::cn-logs", ManageBucketPolicy: true, BucketAccount: bucketOwner}}}},
	}
	st, err := engine.Discover(context.Background(), p, s, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var owner engine.Account
	for _, a := range st.Accounts {
		if a.ID == bucketOwner {
			owner = a
		}
	}
	if want := "arn:aws-cn:iam::" + bucketOwner + ":role/FlowplanRunner"; owner.AssumeRole != want {
		t.Errorf("bucket owner's role = %q, want %q", owner.AssumeRole, want)
	}
	var scopes []string
	for _, c := range p.Calls() {
		if c.Method == "DiscoverBucket" {
			scopes = append(scopes, c.Scope)
		}
	}
	if want := []string{bucketOwner + "/s3/cn-logs"}; !cmp.Equal(scopes, want) {
		t.Errorf("bucket reads = %q, want %q", scopes, want)
	}
}
