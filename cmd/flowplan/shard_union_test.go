package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/e2e"
	awsprovider "github.com/flowplan/flowplan/providers/aws"
	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/spec"
)

// shardWorld is an organisation of nine member accounts (one of them the
// log archive) and a management account, each member with VPCs and
// subnets in two regions.
func shardWorld(t *testing.T) (*awsemu.World, []string) {
	t.Helper()
	var b strings.Builder
	var members []string
	b.WriteString("credentials:\n  - {account: \"900000000000\", sandbox: true}\naccounts:\n  - {id: \"900000000000\", name: management}\n")
	for i := 1; i <= 9; i++ {
		id := fmt.Sprintf("2100000000%02d", i)
		members = append(members, id)
		fmt.Fprintf(&b, "  - id: %q\n    name: member-%d\n", id, i)
		if i == 1 {
			b.WriteString("    buckets: [{name: shard-archive, region: us-east-1}]\n")
		}
		b.WriteString("    regions:\n")
		for r, region := range []string{"us-east-1", "eu-west-1"} {
			fmt.Fprintf(&b, "      %s:\n        vpcs:\n", region)
			for v := 0; v <= i%2; v++ {
				fmt.Fprintf(&b, "          - {name: vpc-%d-%d-%d, cidr: 10.%d.%d.0/24, tags: {env: %s}, subnets: [{name: sn-%d-%d-%d, cidr: 10.%d.%d.0/25, az: %sa}]}\n",
					i, r, v, i, r*10+v, []string{"prod", "dev"}[v], i, r, v, i, r*10+v, region)
			}
		}
	}
	fmt.Fprintf(&b, "organization:\n  management_account: \"900000000000\"\n  root:\n    accounts: [\"900000000000\", %s]\n", `"`+strings.Join(members, `", "`)+`"`)
	w, err := awsemu.ParseWorld(strings.NewReader(b.String()))
	if err != nil {
		t.Fatalf("world: %v\n%s", err, b.String())
	}
	return w, members
}

const shardSpec = `version: 1
name: shards
accounts:
  - {id: "210000000001", alias: archive, assume_role: "arn:aws:iam::210000000001:role/OrganizationAccountAccessRole", regions: [us-east-1, eu-west-1]}
organization:
  assume_role_name: OrganizationAccountAccessRole
  exclude_accounts: ["900000000000"]
  regions: [us-east-1, eu-west-1]
delivery_roles:
  flowplan-flow-logs: {path: /flowplan/}
flow_logs:
  - name: prod-to-cloudwatch
    targets: {vpcs: {tags: {env: prod}}}
    traffic_type: REJECT
    destination: {cloudwatch_logs: {log_group: "/vpc/{account_id}/{region}", retention_days: 30, delivery_role: flowplan-flow-logs}}
  - name: subnets-to-archive
    targets: {subnets: {all: true}}
    traffic_type: ALL
    destination: {s3: {bucket_arn: "arn:aws:s3:::shard-archive", prefix: "org/", manage_bucket_policy: true, bucket_account: archive}}
`

// TestShardUnion: on an emulator organisation, the plans of the N shards
// of --shard K/N, together, are the unsharded plan, for N = 1, 3 and 7:
// the same changes, by address, action and desired state, each in exactly
// one shard, and every account in exactly one shard. Each shard lists the
// organisation itself; the bucket's policy statements, which name every
// writing account, are planned by the shard of the bucket's owner alone.
func TestShardUnion(t *testing.T) {
	w, members := shardWorld(t)
	emu := e2e.StartEmulator(awsemu.Options{PermissiveAssumeRole: true})
	defer emu.Close()
	seeded, err := emu.Seed(w)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "spec.yaml")
	if err := os.WriteFile(path, []byte(shardSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := awsprovider.New(ctx, awsprovider.Options{
		Region: e2e.HomeRegion, EndpointURL: seeded.Endpoint,
		Credentials: credentials.NewStaticCredentialsProvider(seeded.Caller.AccessKeyID, seeded.Caller.SecretAccessKey, ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := engine.MakePlan(ctx, p, s, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(whole.Errors) > 0 {
		t.Fatalf("unsharded plan has errors: %+v", whole.Errors)
	}
	want := planChanges(t, whole)
	// The world is worth sharding: every member has changes, and the
	// bucket's statements are planned.
	for _, id := range members {
		if !slices.ContainsFunc(whole.Changes, func(c *engine.Change) bool { return c.Addr.Account == id && c.Addr.Kind == engine.KindFlowLog }) {
			t.Fatalf("the unsharded plan has no flow log of account %s", id)
		}
	}
	if !slices.ContainsFunc(whole.Changes, func(c *engine.Change) bool { return c.Addr.Kind == engine.KindBucketPolicyStatement }) {
		t.Fatal("the unsharded plan has no bucket policy statement")
	}
	for _, n := range []int{1, 3, 7} {
		t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) {
			var plans []*engine.Plan
			var names []string
			nonEmpty := 0
			for k := 1; k <= n; k++ {
				sh := &engine.Shard{Index: k, Total: n}
				plan, err := engine.MakePlan(ctx, p, s, engine.Options{Shard: sh})
				if err != nil {
					t.Fatalf("shard %s: %v", sh, err)
				}
				if plan.Shard == nil || *plan.Shard != *sh {
					t.Fatalf("shard %s: the plan records shard %v", sh, plan.Shard)
				}
				for _, a := range plan.Accounts {
					if engine.ShardOf(a.ID, n) != k {
						t.Errorf("shard %s covers account %s, which is in shard %d", sh, a.ID, engine.ShardOf(a.ID, n))
					}
				}
				for _, c := range plan.Changes {
					if engine.ShardOf(c.Addr.Account, n) != k {
						t.Errorf("shard %s plans %s, of an account of shard %d", sh, c.Addr, engine.ShardOf(c.Addr.Account, n))
					}
				}
				if len(plan.Changes) > 0 {
					nonEmpty++
				}
				plans, names = append(plans, plan), append(names, sh.String())
			}
			if n > 1 && nonEmpty < 2 {
				t.Fatalf("only %d of %d shards have changes: the partition is degenerate", nonEmpty, n)
			}
			merged, err := engine.MergePlans(names, plans)
			if err != nil {
				t.Fatal(err)
			}
			if !merged.Merged.Complete() {
				t.Errorf("merge of all %d shards says %s", n, merged.Merged.Describe())
			}
			if d := cmp.Diff(want, planChanges(t, merged)); d != "" {
				t.Errorf("the union of %d shards is not the unsharded plan (-unsharded +union):\n%s", n, d)
			}
			if d := cmp.Diff(accountIDs(whole.Accounts), accountIDs(merged.Accounts)); d != "" {
				t.Errorf("accounts (-unsharded +union):\n%s", d)
			}
			var order []string
			for _, c := range merged.Changes {
				order = append(order, c.Addr.String())
			}
			var wantOrder []string
			for _, c := range whole.Changes {
				wantOrder = append(wantOrder, c.Addr.String())
			}
			if d := cmp.Diff(wantOrder, order); d != "" {
				t.Errorf("the merged plan is not in the unsharded plan's order (-unsharded +merged):\n%s", d)
			}
		})
	}
	// Each of 3 shards applies its own plan, in index order: the bucket
	// owner's shard (2) after shard 1, whose S3 flow logs are created
	// before the bucket policy lets them deliver. Afterwards the
	// unsharded plan is empty and every flow log delivers.
	if owner := engine.ShardOf("210000000001", 3); owner != 2 {
		t.Fatalf("the bucket owner is in shard %d of 3; the test wants it after shard 1", owner)
	}
	for k := 1; k <= 3; k++ {
		plan, err := engine.MakePlan(ctx, p, s, engine.Options{Shard: &engine.Shard{Index: k, Total: 3}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := engine.Apply(ctx, p, plan, engine.Options{})
		if err != nil {
			t.Fatalf("apply shard %d/3: %v", k, err)
		}
		for _, c := range res.Changes {
			if c.Status != engine.StatusApplied {
				t.Errorf("apply shard %d/3: %s: %s %s", k, c.Addr, c.Status, c.Error)
			}
		}
	}
	after, err := engine.MakePlan(ctx, p, s, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !after.Empty() || len(after.Errors) > 0 {
		t.Errorf("the plan after every shard applied is not empty: %v, errors %+v", planChanges(t, after), after.Errors)
	}
	for _, n := range after.Notes {
		if strings.Contains(n.Message, "FAILED") {
			t.Errorf("after every shard applied: %s: %s", n.Addr, n.Message)
		}
	}
}

// planChanges maps each change's address to its action and desired state.
func planChanges(t *testing.T, p *engine.Plan) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range p.Changes {
		after, err := json.Marshal(c.After)
		if err != nil {
			t.Fatal(err)
		}
		out[c.Addr.String()] = string(c.Action) + " " + string(after)
	}
	return out
}

func accountIDs(as []engine.Account) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}
