package aws

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
)

func roleResourceFor(account, name, path, trust, boundary string, tags map[string]string) *engine.Resource {
	return &engine.Resource{
		Addr: engine.Addr{Account: account, Region: engine.GlobalRegion, Kind: engine.KindRole, Name: name},
		Tags: tags,
		Role: &engine.Role{Name: name, Path: path, AssumeRolePolicy: trust, PermissionsBoundary: boundary},
	}
}

func discoverRole(t *testing.T, p *Provider, a engine.Account, name string) (*engine.Resource, []*engine.Resource) {
	t.Helper()
	st, err := p.DiscoverAccount(context.Background(), engine.AccountQuery{Account: a, RoleNames: []string{name}, PolicyNames: []string{"flowplan-delivery"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Roles) == 0 {
		return nil, st.RolePolicies
	}
	return st.Roles[0], st.RolePolicies
}

func TestApplyRolesAndPolicies(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		p := newTestProvider(t, be)
		acct := testAccount("111111111111", testRegion)
		w := newWorld(t, p, testSession(t, p, acct))
		owned := map[string]string{engine.TagSpec: "test", engine.TagRule: "prod"}
		want := roleResourceFor(acct.ID, "flowplan-flow-logs", "/flowplan/", trustPolicy, "", owned)
		g := func(op engine.Op, before, after *engine.Resource) *engine.Batch {
			addr := after
			if addr == nil {
				addr = before
			}
			return batch(acct, engine.GlobalRegion, addr.Addr.Kind, op, &engine.Change{Addr: addr.Addr, Before: before, After: after})
		}

		// Create, then create again: the second finds our own role and
		// carries on.
		out := mustApply(t, p, g(engine.OpCreate, nil, want))
		if out[0].Resource.ID != "arn:aws:iam::111111111111:role/flowplan/flowplan-flow-logs" {
			t.Errorf("created role ID = %q", out[0].Resource.ID)
		}
		// A tag someone else added in between is kept.
		_, err := p.iam(testSession(t, p, acct)).TagRole(context.Background(), &iam.TagRoleInput{
			RoleName: aws.String("flowplan-flow-logs"), Tags: toIAMTags(map[string]string{"cost-center": "42"})})
		w.must(err)
		mustApply(t, p, g(engine.OpCreate, nil, want))
		have, _ := discoverRole(t, p, acct, "flowplan-flow-logs")
		if have == nil || !sameJSON(have.Role.AssumeRolePolicy, trustPolicy) || have.Role.Path != "/flowplan/" {
			t.Fatalf("discovered role = %+v", have)
		}
		if d := cmp.Diff(map[string]string{engine.TagSpec: "test", engine.TagRule: "prod", "cost-center": "42"}, have.Tags); d != "" {
			t.Errorf("role tags (-want +got):\n%s", d)
		}

		// A role someone else made is not taken over.
		w.role("theirs", "/", trustPolicy, map[string]string{"team": "x"})
		out = p.Apply(context.Background(), g(engine.OpCreate, nil, roleResourceFor(acct.ID, "theirs", "/", trustPolicy, "", owned)))
		if !errors.Is(out[0].Err, engine.ErrAlreadyExists) || !strings.Contains(out[0].Err.Error(), "not managed by spec") {
			t.Errorf("create over an unmanaged role: err = %v", out[0].Err)
		}

		// Update trust policy, boundary and tags in place.
		newTrust := strings.Replace(trustPolicy, `"Action":"sts:AssumeRole"`, `"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}`, 1)
		boundary := "arn:aws:iam::aws:policy/PowerUserAccess"
		updated := roleResourceFor(acct.ID, "flowplan-flow-logs", "/flowplan/", newTrust, boundary, map[string]string{engine.TagSpec: "test", engine.TagRule: "prod dev", "cost-center": "42"})
		mustApply(t, p, g(engine.OpUpdate, have, updated))
		have, _ = discoverRole(t, p, acct, "flowplan-flow-logs")
		if !sameJSON(have.Role.AssumeRolePolicy, newTrust) || have.Role.PermissionsBoundary != boundary {
			t.Errorf("after update: trust %s, boundary %q", have.Role.AssumeRolePolicy, have.Role.PermissionsBoundary)
		}
		if d := cmp.Diff(updated.Tags, have.Tags); d != "" {
			t.Errorf("tags after update (-want +got):\n%s", d)
		}
		// Removing the boundary.
		noBoundary := *updated
		noBoundary.Role = &engine.Role{Name: "flowplan-flow-logs", Path: "/flowplan/", AssumeRolePolicy: newTrust}
		mustApply(t, p, g(engine.OpUpdate, have, &noBoundary))
		if have, _ = discoverRole(t, p, acct, "flowplan-flow-logs"); have.Role.PermissionsBoundary != "" {
			t.Errorf("boundary after removal = %q", have.Role.PermissionsBoundary)
		}

		// Role policy: put, update, delete.
		polAddr := engine.Addr{Account: acct.ID, Region: engine.GlobalRegion, Kind: engine.KindRolePolicy, Name: "flowplan-flow-logs/flowplan-delivery"}
		pol := &engine.Resource{Addr: polAddr, RolePolicy: &engine.RolePolicy{RoleName: "flowplan-flow-logs", PolicyName: "flowplan-delivery", Document: deliveryPolicy}}
		mustApply(t, p, g(engine.OpCreate, nil, pol))
		pol2 := &engine.Resource{Addr: polAddr, RolePolicy: &engine.RolePolicy{RoleName: "flowplan-flow-logs", PolicyName: "flowplan-delivery",
			Document: strings.Replace(deliveryPolicy, `"Resource":"*"`, `"Resource":"arn:aws:logs:eu-west-1:111111111111:log-group:/vpc-flow-logs:*"`, 1)}}
		mustApply(t, p, g(engine.OpUpdate, pol, pol2))
		_, pols := discoverRole(t, p, acct, "flowplan-flow-logs")
		if len(pols) != 1 || !sameJSON(pols[0].RolePolicy.Document, pol2.RolePolicy.Document) {
			t.Errorf("policy after update = %+v", pols)
		}
		mustApply(t, p, g(engine.OpDelete, pols[0], nil))
		if _, pols = discoverRole(t, p, acct, "flowplan-flow-logs"); len(pols) != 0 {
			t.Errorf("policy still there after delete: %+v", pols)
		}
		out = p.Apply(context.Background(), g(engine.OpDelete, pol, nil))
		if !errors.Is(out[0].Err, engine.ErrNotFound) {
			t.Errorf("deleting a missing policy: err = %v, want ErrNotFound", out[0].Err)
		}

		// A role carrying an inline policy flowplan did not put there is
		// not deleted, and neither is that policy.
		w.rolePolicy("flowplan-flow-logs", "theirs", deliveryPolicy)
		out = p.Apply(context.Background(), g(engine.OpDelete, have, nil))
		if ErrorCode(out[0].Err) != "DeleteConflict" {
			t.Errorf("deleting a role with someone else's policy: err = %v, want DeleteConflict", out[0].Err)
		}
		if _, ok, err := getRolePolicy(context.Background(), p.iam(testSession(t, p, acct)), "flowplan-flow-logs", "theirs"); err != nil || !ok {
			t.Errorf("someone else's inline policy: present %v, err %v; want it kept", ok, err)
		}
		w.deleteRolePolicy("flowplan-flow-logs", "theirs")

		// Delete the role with flowplan's own policy still on it.
		w.rolePolicy("flowplan-flow-logs", "flowplan-delivery", deliveryPolicy)
		mustApply(t, p, g(engine.OpDelete, have, nil))
		if gone, _ := discoverRole(t, p, acct, "flowplan-flow-logs"); gone != nil {
			t.Errorf("role still there: %+v", gone)
		}
		out = p.Apply(context.Background(), g(engine.OpDelete, have, nil))
		if !errors.Is(out[0].Err, engine.ErrNotFound) {
			t.Errorf("deleting a missing role: err = %v, want ErrNotFound", out[0].Err)
		}
	})
}

func logGroupChange(account, name string, retention int, kms string, tags map[string]string) *engine.Resource {
	return &engine.Resource{
		Addr:     engine.Addr{Account: account, Region: testRegion, Kind: engine.KindLogGroup, Name: name},
		Tags:     tags,
		LogGroup: &engine.LogGroup{Name: name, RetentionDays: retention, KMSKeyARN: kms},
	}
}

func discoverLogGroup(t *testing.T, p *Provider, a engine.Account, name string) *engine.Resource {
	t.Helper()
	st, err := p.DiscoverRegion(context.Background(), engine.RegionQuery{Account: a, Region: testRegion, LogGroupNames: []string{name}})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.LogGroups) != 1 {
		return nil
	}
	return st.LogGroups[0]
}

func TestApplyLogGroups(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		p := newTestProvider(t, be)
		acct := testAccount("111111111111", testRegion)
		w := newWorld(t, p, testSession(t, p, acct))
		owned := map[string]string{engine.TagSpec: "test", engine.TagRule: "prod"}
		name := "/vpc-flow-logs/111111111111/eu-west-1"
		g := func(op engine.Op, before, after *engine.Resource) *engine.Batch {
			addr := after
			if addr == nil {
				addr = before
			}
			return batch(acct, testRegion, engine.KindLogGroup, op, &engine.Change{Addr: addr.Addr, Before: before, After: after})
		}

		want := logGroupChange(acct.ID, name, 90, "", owned)
		out := mustApply(t, p, g(engine.OpCreate, nil, want))
		if out[0].Resource.ID != arn.LogGroup(acct.ID, testRegion, name) {
			t.Errorf("created ID = %q", out[0].Resource.ID)
		}
		mustApply(t, p, g(engine.OpCreate, nil, want)) // already there, ours: carries on
		have := discoverLogGroup(t, p, acct, name)
		wantHave := *want
		wantHave.ID = arn.LogGroup(acct.ID, testRegion, name)
		if d := cmp.Diff(&wantHave, have); d != "" {
			t.Errorf("created log group (-want +got):\n%s", d)
		}

		w.logGroup(testRegion, "/theirs", 0, map[string]string{"team": "x"})
		out = p.Apply(context.Background(), g(engine.OpCreate, nil, logGroupChange(acct.ID, "/theirs", 30, "", owned)))
		if !errors.Is(out[0].Err, engine.ErrAlreadyExists) {
			t.Errorf("create over an unmanaged log group: err = %v", out[0].Err)
		}

		updated := logGroupChange(acct.ID, name, 0, "", map[string]string{engine.TagSpec: "test", engine.TagRule: "prod dev", "cost": "net"})
		mustApply(t, p, g(engine.OpUpdate, have, updated))
		have = discoverLogGroup(t, p, acct, name)
		if have.LogGroup.RetentionDays != 0 {
			t.Errorf("retention after update = %d, want never expire", have.LogGroup.RetentionDays)
		}
		if d := cmp.Diff(updated.Tags, have.Tags); d != "" {
			t.Errorf("tags after update (-want +got):\n%s", d)
		}

		p.Stats().Reset()
		out = p.Apply(context.Background(), g(engine.OpDelete, have, nil))
		if out[0].Err == nil || !strings.Contains(out[0].Err.Error(), "never deletes log groups") {
			t.Errorf("delete: err = %v, want a refusal", out[0].Err)
		}
		if n := p.Stats().Calls(); n != 0 || discoverLogGroup(t, p, acct, name) == nil {
			t.Errorf("delete made %d calls or removed the group", n)
		}
	})
}

func TestApplyBucketStatements(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		p := newTestProvider(t, be)
		owner := testAccount("222222222222")
		be.seed(t, p, &seed{buckets: []seedBucket{{owner.ID, "eu-west-1", "org-flow-logs"}, {owner.ID, "eu-west-1", "only-ours"}}})
		w := newWorld(t, p, testSession(t, p, owner))
		others := `{"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::org-flow-logs","arn:aws:s3:::org-flow-logs/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`
		w.bucketPolicy("eu-west-1", "org-flow-logs", `{"Version":"2012-10-17","Id":"keep-me","Statement":[`+others+`]}`)
		stmt := func(sid, resource string) *engine.Resource {
			s := `{"Sid":"` + sid + `","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"` + resource + `"}`
			return &engine.Resource{
				Addr:                  engine.Addr{Account: owner.ID, Region: engine.GlobalRegion, Kind: engine.KindBucketPolicyStatement, Name: "org-flow-logs/" + sid},
				BucketPolicyStatement: &engine.BucketPolicyStatement{Bucket: "org-flow-logs", Sid: sid, Statement: s},
			}
		}
		change := func(before, after *engine.Resource) *engine.Change {
			r := after
			if r == nil {
				r = before
			}
			return &engine.Change{Addr: r.Addr, Before: before, After: after}
		}
		a := stmt("flowplan-test-aclcheck", "arn:aws:s3:::org-flow-logs")
		b := stmt("flowplan-test-write-1", "arn:aws:s3:::org-flow-logs/AWSLogs/111111111111/*")
		sids := func() []string {
			var doc struct {
				Id        string
				Statement []struct{ Sid string }
			}
			if err := json.Unmarshal([]byte(w.getBucketPolicy("eu-west-1", "org-flow-logs")), &doc); err != nil {
				t.Fatal(err)
			}
			out := []string{doc.Id}
			for _, s := range doc.Statement {
				out = append(out, s.Sid)
			}
			return out
		}

		p.Stats().Reset()
		out := mustApply(t, p, batch(owner, engine.GlobalRegion, engine.KindBucketPolicyStatement, engine.OpCreate, change(nil, a), change(nil, b)))
		if out[0].Resource.ID != "arn:aws:s3:::org-flow-logs#flowplan-test-aclcheck" {
			t.Errorf("statement ID = %q", out[0].Resource.ID)
		}
		if n := p.Stats().ScopeCalls(owner.ID + "/eu-west-1")["S3:PutBucketPolicy"]; n != 1 {
			t.Errorf("PutBucketPolicy calls = %d, want one for the whole batch", n)
		}
		if d := cmp.Diff([]string{"keep-me", "DenyInsecure", "flowplan-test-aclcheck", "flowplan-test-write-1"}, sids()); d != "" {
			t.Errorf("statements after create (-want +got):\n%s", d)
		}

		b2 := stmt("flowplan-test-write-1", "arn:aws:s3:::org-flow-logs/AWSLogs/*")
		mustApply(t, p, batch(owner, engine.GlobalRegion, engine.KindBucketPolicyStatement, engine.OpUpdate, change(b, b2)))
		policy := w.getBucketPolicy("eu-west-1", "org-flow-logs")
		if !strings.Contains(policy, "org-flow-logs/AWSLogs/*") || strings.Contains(policy, "AWSLogs/111111111111") {
			t.Errorf("policy after update = %s", policy)
		}

		mustApply(t, p, batch(owner, engine.GlobalRegion, engine.KindBucketPolicyStatement, engine.OpDelete, change(a, nil), change(b2, nil)))
		if d := cmp.Diff([]string{"keep-me", "DenyInsecure"}, sids()); d != "" {
			t.Errorf("statements after delete (-want +got):\n%s", d)
		}

		// A policy of only flowplan's statements is deleted with its last one.
		c := stmt("flowplan-test-aclcheck", "arn:aws:s3:::only-ours")
		c.Addr.Name, c.BucketPolicyStatement.Bucket = "only-ours/flowplan-test-aclcheck", "only-ours"
		mustApply(t, p, batch(owner, engine.GlobalRegion, engine.KindBucketPolicyStatement, engine.OpCreate, change(nil, c)))
		mustApply(t, p, batch(owner, engine.GlobalRegion, engine.KindBucketPolicyStatement, engine.OpDelete, change(c, nil)))
		if got, err := p.DiscoverBucket(context.Background(), engine.BucketQuery{Account: owner, Bucket: "only-ours"}); err != nil || !got.Exists || got.Policy != "" {
			t.Errorf("only-ours after deleting its last statement: %+v, %v", got, err)
		}

		// Statements flowplan does not own are refused.
		foreign := stmt("DenyInsecure", "arn:aws:s3:::org-flow-logs")
		out = p.Apply(context.Background(), batch(owner, engine.GlobalRegion, engine.KindBucketPolicyStatement, engine.OpDelete, change(foreign, nil)))
		if out[0].Err == nil || !strings.Contains(out[0].Err.Error(), "refusing") {
			t.Errorf("deleting a foreign statement: err = %v", out[0].Err)
		}
	})
}

// TestApplyAdoptRole: adopting re-reads the role just before the write. A
// role without any spec's tag gets this spec's tags (others' kept) and the
// desired trust; one another spec tagged since the plan, or whose path is
// not the plan's, is refused and left as it is.
func TestApplyAdoptRole(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		p := newTestProvider(t, be)
		acct := testAccount("111111111111", testRegion)
		w := newWorld(t, p, testSession(t, p, acct))
		ec2Trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
		owned := map[string]string{engine.TagSpec: "test", engine.TagRule: "prod", "team": "net"}
		adopt := func(name, path string) []engine.Outcome {
			before := roleResourceFor(acct.ID, name, path, ec2Trust, "", map[string]string{"team": "net"})
			after := roleResourceFor(acct.ID, name, path, trustPolicy, "", owned)
			b := batch(acct, engine.GlobalRegion, engine.KindRole, engine.OpAdopt, &engine.Change{Addr: after.Addr, Action: engine.Adopt, Before: before, After: after})
			b.Spec = "test"
			return p.Apply(context.Background(), b)
		}

		w.role("handmade", "/", ec2Trust, map[string]string{"team": "net"})
		if out := adopt("handmade", "/"); out[0].Err != nil {
			t.Fatalf("adopt: %v", out[0].Err)
		}
		have, _ := discoverRole(t, p, acct, "handmade")
		if d := cmp.Diff(owned, have.Tags); d != "" {
			t.Errorf("adopted role's tags (-want +got):\n%s", d)
		}
		if !sameJSON(have.Role.AssumeRolePolicy, trustPolicy) {
			t.Errorf("adopted role's trust = %s", have.Role.AssumeRolePolicy)
		}
		// It has flowplan's description, so that listing finds it.
		if names, err := listFlowplanRoles(context.Background(), p.iam(testSession(t, p, acct)), "/"); err != nil || !slices.Contains(names, "handmade") {
			t.Errorf("flowplan's roles = %v, %v; want the adopted one among them", names, err)
		}

		// Another spec tagged it after the plan was made.
		w.role("others", "/", ec2Trust, map[string]string{engine.TagSpec: "other", "team": "net"})
		out := adopt("others", "/")
		if out[0].Err == nil || !strings.Contains(out[0].Err.Error(), `refusing to adopt role others: it is managed by spec "other"`) {
			t.Errorf("adopting another spec's role: err = %v", out[0].Err)
		}
		if have, _ := discoverRole(t, p, acct, "others"); have.Tags[engine.TagSpec] != "other" || !sameJSON(have.Role.AssumeRolePolicy, ec2Trust) {
			t.Errorf("another spec's role was changed: %+v", have)
		}

		// Its path is not the plan's.
		w.role("moved", "/legacy/", ec2Trust, map[string]string{"team": "net"})
		out = adopt("moved", "/")
		if out[0].Err == nil || !strings.Contains(out[0].Err.Error(), "its path is /legacy/, not /") {
			t.Errorf("adopting a role of another path: err = %v", out[0].Err)
		}
		if have, _ := discoverRole(t, p, acct, "moved"); have.Tags[engine.TagSpec] != "" {
			t.Errorf("a role that could not be adopted was tagged: %+v", have.Tags)
		}
	})
}
