package e2e

import (
	"context"
	"errors"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/internal/motoserver"
	"github.com/flowplan/flowplan/providers/awsemu"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestMain(m *testing.M) {
	code := m.Run()
	motoserver.StopShared()
	os.Exit(code)
}

// seed seeds the world file into a fresh emulator or the shared moto.
func seed(t *testing.T, backend, worldFile string) *Seeded {
	t.Helper()
	w, err := LoadWorld(worldFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	switch backend {
	case BackendEmulator:
		e := StartEmulator(awsemu.Options{})
		t.Cleanup(e.Close)
		s, err := e.Seed(w)
		if err != nil {
			t.Fatal(err)
		}
		return s
	case BackendMoto:
		m := motoserver.Shared(t)
		m.Lock()
		t.Cleanup(m.Unlock)
		s, err := SeedMoto(ctx, m, w)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Fatalf("unknown backend %q", backend)
	return nil
}

var backends = []string{BackendEmulator, BackendMoto}

// TestSeedWorld seeds the same world into both backends and reads it back
// through the AWS API, IDs replaced by their variable names. The two
// goldens differ only where moto and the emulator disagree: the S3 flow
// log of prod-web-a is FAILED on the emulator because the bucket policy
// lacks the delivery statement, SUCCESS on moto. AWS fails delivery then
// (VPC user guide, flow-logs-s3, "Amazon S3 bucket permissions for flow
// logs"); moto does not model bucket policies for log delivery.
//
// moto also omits DestinationOptions for S3 flow logs (AWS returns them,
// API_FlowLog), which DescribeFlowLogs hides for default options, and ignores TagSpecifications on CreateTransitGatewayVpcAttachment
// (AWS applies them); the seeder tags attachments again to hide that.
func TestSeedWorld(t *testing.T) {
	for _, be := range backends {
		t.Run(be, func(t *testing.T) {
			s := seed(t, be, "testdata/world.yaml")
			wantPrefixes := map[string]string{
				"VPC_prod_web": "vpc-", "VPC_prod_db": "vpc-", "VPC_prod_eu": "vpc-", "VPC_staging_app": "vpc-",
				"VPC_staging_default": "vpc-", "SUBNET_staging_default_a": "subnet-",
				"SUBNET_prod_web_a": "subnet-", "ENI_prod_web_lb": "eni-", "TGW_prod_tgw": "tgw-",
				"TGW_ATTACH_prod_web_attach": "tgw-attach-", "FL_prod_web": "fl-", "FL_prod_web_a": "fl-",
			}
			if d := cmp.Diff(slices.Sorted(maps.Keys(wantPrefixes)), slices.Sorted(maps.Keys(s.IDs))); d != "" {
				t.Errorf("ID variables (-want +got):\n%s", d)
			}
			for v, prefix := range wantPrefixes {
				if id := s.IDs[v]; !strings.HasPrefix(id, prefix) || len(id) <= len(prefix) {
					t.Errorf("%s = %q, want an ID starting %q", v, id, prefix)
				}
			}
			got, err := s.Snapshot(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "testdata/world."+be+".golden", got)
		})
	}
}

// TestSeedCaller checks that flowplan's credentials are the caller
// account's and may assume the runner role the world grants them.
func TestSeedCaller(t *testing.T) {
	for _, be := range backends {
		t.Run(be, func(t *testing.T) {
			s := seed(t, be, "testdata/world.yaml")
			ctx := context.Background()
			creds := credentials.NewStaticCredentialsProvider(s.Caller.AccessKeyID, s.Caller.SecretAccessKey, s.Caller.SessionToken)
			client := sts.NewFromConfig(sdkConfig(s.Endpoint, HomeRegion, creds))
			id, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(id.Account); got != "333333333333" || s.CallerAccount != got {
				t.Errorf("caller account = %s (Seeded says %s), want 333333333333", got, s.CallerAccount)
			}
			runner := stscreds.NewAssumeRoleProvider(client, "arn:aws:iam::111111111111:role/FlowplanRunner")
			assumed := sts.NewFromConfig(sdkConfig(s.Endpoint, HomeRegion, aws.NewCredentialsCache(runner)))
			id, err = assumed.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(id.Account); got != "111111111111" {
				t.Errorf("assumed role's account = %s, want 111111111111", got)
			}
		})
	}
}

// TestOutOfBand changes a seeded world the way a colleague would and reads
// the changes back.
func TestOutOfBand(t *testing.T) {
	for _, be := range backends {
		t.Run(be, func(t *testing.T) {
			s := seed(t, be, "testdata/world.yaml")
			ctx := context.Background()
			const acct, region = "111111111111", "us-east-1"
			n, err := s.DeleteFlowLogs(ctx, acct, region, s.IDs["VPC_prod_web"])
			if err != nil || n != 1 {
				t.Fatalf("DeleteFlowLogs = %d, %v; want 1, nil", n, err)
			}
			if err := s.Tag(ctx, acct, region, s.IDs["FL_prod_web_a"], map[string]string{"flowplan:spec": "x"}); err != nil {
				t.Fatal(err)
			}
			if err := s.Untag(ctx, acct, region, s.IDs["FL_prod_web_a"], []string{"team"}); err != nil {
				t.Fatal(err)
			}
			if err := s.PutRetention(ctx, acct, region, "/legacy/flow-logs", 7); err != nil {
				t.Fatal(err)
			}
			policy := `{"Version":"2012-10-17","Statement":[{"Sid":"B","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::e2e-central-logs"},` +
				`{"Sid":"A","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucketPolicy","Resource":"arn:aws:s3:::e2e-central-logs"}]}`
			if err := s.PutBucketPolicy(ctx, "333333333333", "e2e-central-logs", policy); err != nil {
				t.Fatal(err)
			}

			n, err = s.DeleteFlowLogs(ctx, acct, "eu-west-1", "tag:team=netsec")
			if err != nil || n != 0 {
				t.Fatalf("DeleteFlowLogs(tag:team=netsec) in eu-west-1 = %d, %v; want 0, nil", n, err)
			}
			flowLogs, err := s.DescribeFlowLogs(ctx, acct, region)
			if err != nil {
				t.Fatal(err)
			}
			if len(flowLogs) != 1 || !strings.HasSuffix(flowLogs[0], " tags=flowplan:spec=x") {
				t.Errorf("flow logs = %q, want the subnet's, tagged flowplan:spec=x only", flowLogs)
			}
			groups, err := s.DescribeLogGroups(ctx, acct, region)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"/legacy/flow-logs retention=7 tags=team=netsec"}; !cmp.Equal(groups, want) {
				t.Errorf("log groups = %q, want %q", groups, want)
			}
			got, err := s.DescribeBucketPolicy(ctx, "333333333333", "e2e-central-logs")
			if err != nil {
				t.Fatal(err)
			}
			if a, b := strings.Index(got, `"Sid": "A"`), strings.Index(got, `"Sid": "B"`); a < 0 || b < a {
				t.Errorf("bucket policy statements are not both there, sorted by Sid:\n%s", got)
			}
		})
	}
}

// TestOpenState changes a saved emulator state out of band, as scripts do
// to a sandbox between flowplan commands.
func TestOpenState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sandbox.json")
	e := StartEmulator(awsemu.Options{})
	defer e.Close()
	w, err := LoadWorld("testdata/world.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.Seed(w)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SaveStateFile(path); err != nil {
		t.Fatal(err)
	}

	opened, st, err := OpenState(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := st.DeleteFlowLogs(ctx, "111111111111", "us-east-1", "tag:team=netsec")
	if err != nil || n != 1 {
		t.Fatalf("DeleteFlowLogs(tag:team=netsec) = %d, %v; want 1, nil", n, err)
	}
	if err := opened.SaveStateFile(path); err != nil {
		t.Fatal(err)
	}
	opened.Close()

	reopened, st, err := OpenState(path)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	got, err := st.DescribeFlowLogs(ctx, "111111111111", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.DescribeFlowLogs(ctx, "111111111111", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(want) != 2 || !strings.Contains(got[0], "REJECT cloud-watch-logs") {
		t.Errorf("after the out-of-band delete, flow logs = %q; before, %q", got, want)
	}
}

func TestMotoRefusesOrganizations(t *testing.T) {
	m := motoserver.Shared(t)
	m.Lock()
	defer m.Unlock()
	w := &awsemu.World{Accounts: []awsemu.WorldAccount{{ID: "111111111111"}},
		Organization: &awsemu.WorldOrganization{ManagementAccount: "111111111111"}}
	if _, err := SeedMoto(context.Background(), m, w); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Seed(world with an organization) = %v, want ErrUnsupported", err)
	}
}

func TestVarName(t *testing.T) {
	tests := []struct{ kind, name, want string }{
		{KindVPC, "prod-web", "VPC_prod_web"},
		{KindSubnet, "a.b/c d", "SUBNET_a_b_c_d"},
		{KindAttachment, "x", "TGW_ATTACH_x"},
		{KindFlowLog, "vpc-0abc", "FL_vpc_0abc"},
	}
	for _, tt := range tests {
		if got := VarName(tt.kind, tt.name); got != tt.want {
			t.Errorf("VarName(%q, %q) = %q, want %q", tt.kind, tt.name, got, tt.want)
		}
	}
}

func TestIDTable(t *testing.T) {
	ids := newIDTable()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ids.add("111111111111", "us-east-1", KindVPC, "web", "vpc-0given", "vpc-0moto"))
	must(ids.addFlowLog("111111111111", "us-east-1", "web", "", "fl-1"))
	must(ids.addFlowLog("111111111111", "us-east-1", "web", "", "fl-2"))
	must(ids.add("111111111111", "us-east-1", KindVPC, "", "vpc-0unnamed", "vpc-0other"))
	if err := ids.add("222222222222", "us-east-1", KindVPC, "web", "", "vpc-0dup"); err == nil ||
		!strings.Contains(err.Error(), "VPC_web (in 222222222222/us-east-1) is already defined by 111111111111/us-east-1") {
		t.Errorf("a name used in two account-regions gave %v, want a collision error", err)
	}
	want := map[string]string{"VPC_web": "vpc-0moto", "FL_web": "fl-1", "FL_web_2": "fl-2"}
	if d := cmp.Diff(want, ids.vars); d != "" {
		t.Errorf("vars (-want +got):\n%s", d)
	}
	for ref, want := range map[string]string{"web": "vpc-0moto", "vpc-0given": "vpc-0moto", "vpc-0unnamed": "vpc-0other", "vpc-0else": "vpc-0else"} {
		if got := ids.resolve("111111111111", "us-east-1", ref); got != want {
			t.Errorf("resolve(%q) = %q, want %q", ref, got, want)
		}
	}
}

func TestNames(t *testing.T) {
	s := &Seeded{IDs: map[string]string{"FL_a": "fl-01", "FL_b": "fl-012", "VPC_a": "vpc-0a"}}
	got := s.Names("fl-012 fl-01 vpc-0a/vpc-0b")
	if want := "$FL_b $FL_a $VPC_a/vpc-0b"; got != want {
		t.Errorf("Names = %q, want %q", got, want)
	}
}

func TestEnv(t *testing.T) {
	s := &Seeded{Backend: BackendMoto, Endpoint: "http://127.0.0.1:1", CallerAccount: "333333333333",
		Caller: aws.Credentials{AccessKeyID: "AK", SecretAccessKey: "SK", SessionToken: "TOK"},
		IDs:    map[string]string{"VPC_a": "vpc-0a"}}
	env := s.Env("/work")
	if !sort.StringsAreSorted(env) {
		t.Errorf("Env is not sorted: %q", env)
	}
	for _, want := range []string{"AWS_ENDPOINT_URL=http://127.0.0.1:1", "AWS_ACCESS_KEY_ID=AK", "AWS_SECRET_ACCESS_KEY=SK",
		"AWS_SESSION_TOKEN=TOK", "AWS_REGION=us-east-1", "AWS_PROFILE=", "AWS_CONFIG_FILE=/work/.aws-none/config", "VPC_a=vpc-0a", "E2E_BACKEND=moto"} {
		if !slices.Contains(env, want) {
			t.Errorf("Env lacks %q: %q", want, env)
		}
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}
