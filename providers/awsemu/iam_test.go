package awsemu_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

const flowLogsTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func TestIAMRoles(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := iam.NewFromConfig(oneCfg(s))
	created, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("flowplan-flow-logs"), Path: aws.String("/flowplan/"),
		AssumeRolePolicyDocument: aws.String(flowLogsTrust), Tags: []iamtypes.Tag{{Key: aws.String("flowplan:spec"), Value: aws.String("q")}}})
	must(t, err)
	if aws.ToString(created.Role.Arn) != "arn:aws:iam::111111111111:role/flowplan/flowplan-flow-logs" ||
		!strings.HasPrefix(aws.ToString(created.Role.RoleId), "AROA") || aws.ToInt32(created.Role.MaxSessionDuration) != 3600 {
		t.Fatalf("created role = %+v", created.Role)
	}
	got, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("flowplan-flow-logs")})
	must(t, err)
	// IAM returns documents URL-encoded; the SDK does not decode them.
	doc, err := url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument))
	must(t, err)
	if doc != flowLogsTrust || aws.ToString(got.Role.AssumeRolePolicyDocument) == flowLogsTrust {
		t.Fatalf("trust policy = %q (decoded %q)", aws.ToString(got.Role.AssumeRolePolicyDocument), doc)
	}
	if len(got.Role.Tags) != 1 || got.Role.RoleLastUsed == nil {
		t.Fatalf("GetRole tags %+v, RoleLastUsed %v", got.Role.Tags, got.Role.RoleLastUsed)
	}
	_, err = client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("FLOWPLAN-flow-logs"), AssumeRolePolicyDocument: aws.String(flowLogsTrust)})
	wantAPIError(t, err, "EntityAlreadyExists", "Role with name FLOWPLAN-flow-logs already exists.")
	_, err = client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nope")})
	wantAPIError(t, err, "NoSuchEntity", "The role with name nope cannot be found.")

	// Inline policies.
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:111111111111:log-group:/x:*"}]}`
	_, err = client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("flowplan-flow-logs"), PolicyName: aws.String("flowplan-delivery"), PolicyDocument: aws.String(policy)})
	must(t, err)
	gp, err := client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("flowplan-flow-logs"), PolicyName: aws.String("flowplan-delivery")})
	must(t, err)
	if decoded, _ := url.QueryUnescape(aws.ToString(gp.PolicyDocument)); decoded != policy {
		t.Fatalf("GetRolePolicy = %q", decoded)
	}
	_, err = client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("flowplan-flow-logs"), PolicyName: aws.String("other")})
	wantAPIError(t, err, "NoSuchEntity", "The role policy with name other cannot be found.")
	lp, err := client.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("flowplan-flow-logs")})
	must(t, err)
	if len(lp.PolicyNames) != 1 || lp.IsTruncated {
		t.Fatalf("ListRolePolicies = %+v", lp)
	}
	attached, err := client.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("flowplan-flow-logs")})
	must(t, err)
	if len(attached.AttachedPolicies) != 0 {
		t.Fatalf("attached policies = %+v", attached.AttachedPolicies)
	}
	_, err = client.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("flowplan-flow-logs")})
	wantAPIError(t, err, "DeleteConflict", "must delete policies first")

	// Tags.
	_, err = client.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("flowplan-flow-logs"), Tags: []iamtypes.Tag{{Key: aws.String("flowplan:rule"), Value: aws.String("a b")}}})
	must(t, err)
	_, err = client.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("flowplan-flow-logs"), Tags: []iamtypes.Tag{{Key: aws.String("flowplan:rule"), Value: aws.String("a,b")}}})
	wantAPIError(t, err, "ValidationError", "tags")
	_, err = client.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("flowplan-flow-logs"), TagKeys: []string{"flowplan:spec"}})
	must(t, err)
	tags, err := client.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("flowplan-flow-logs")})
	must(t, err)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "a b" {
		t.Fatalf("ListRoleTags = %+v", tags.Tags)
	}

	// Boundary.
	_, err = client.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("flowplan-flow-logs"),
		PermissionsBoundary: aws.String("arn:aws:iam::111111111111:policy/boundary")})
	must(t, err)
	got, err = client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("flowplan-flow-logs")})
	must(t, err)
	if got.Role.PermissionsBoundary == nil || aws.ToString(got.Role.PermissionsBoundary.PermissionsBoundaryArn) != "arn:aws:iam::111111111111:policy/boundary" {
		t.Fatalf("boundary = %+v", got.Role.PermissionsBoundary)
	}
	_, err = client.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("flowplan-flow-logs")})
	must(t, err)

	_, err = client.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("flowplan-flow-logs"), PolicyName: aws.String("flowplan-delivery")})
	must(t, err)
	_, err = client.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("flowplan-flow-logs")})
	must(t, err)
	_, err = client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("flowplan-flow-logs")})
	wantAPIError(t, err, "NoSuchEntity", "")
}

func TestIAMPolicyValidation(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := iam.NewFromConfig(oneCfg(s))
	longCondition := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":[` +
		strings.Repeat(`"arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/*",`, 40) + `"x"]}}}]}`
	trustTests := []struct {
		name, doc, code, msg string
	}{
		{"not json", `{"Statement": [`, "MalformedPolicyDocument", "This policy contains invalid Json"},
		{"resource in trust policy", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"x.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}`, "MalformedPolicyDocument", "Has prohibited field Resource"},
		{"no principal", `{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`, "MalformedPolicyDocument", "Missing required field Principal"},
		{"role principal that does not exist", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/nope"},"Action":"sts:AssumeRole"}]}`, "MalformedPolicyDocument", "Invalid principal in policy"},
		{"too large", longCondition, "LimitExceeded", "ACLSizePerRole: 2048"},
	}
	for _, tt := range trustTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(tt.doc)})
			wantAPIError(t, err, tt.code, tt.msg)
		})
	}
	_, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad name"), AssumeRolePolicyDocument: aws.String(flowLogsTrust)})
	wantAPIError(t, err, "ValidationError", "roleName")
	_, err = client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), Path: aws.String("flowplan"), AssumeRolePolicyDocument: aws.String(flowLogsTrust)})
	wantAPIError(t, err, "ValidationError", "path")

	policyTests := []struct {
		name, doc, code, msg string
	}{
		{"principal in identity policy", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"logs:*","Resource":"*"}]}`, "MalformedPolicyDocument", "Policy document should not specify a principal."},
		{"no resource", `{"Statement":[{"Effect":"Allow","Action":"logs:*"}]}`, "MalformedPolicyDocument", "Policy statement must contain resources."},
		{"action without vendor", `{"Statement":[{"Effect":"Allow","Action":"PutLogEvents","Resource":"*"}]}`, "MalformedPolicyDocument", "must be prefaced by a vendor"},
		{"over 10240 characters", `{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":[` + strings.Repeat(`"arn:aws:logs:us-east-1:111111111111:log-group:/a/very/long/name:*",`, 170) + `"*"]}]}`, "LimitExceeded", "Maximum policy size of 10240 bytes exceeded for role delivery"},
	}
	for _, tt := range policyTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("delivery"), PolicyName: aws.String("p"), PolicyDocument: aws.String(tt.doc)})
			wantAPIError(t, err, tt.code, tt.msg)
		})
	}
}

func TestIAMStoresAccountPrincipalsAsRootARNs(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := iam.NewFromConfig(oneCfg(s))
	_, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("runner"),
		AssumeRolePolicyDocument: aws.String(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "sts:AssumeRole"}]}`)})
	must(t, err)
	got, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("runner")})
	must(t, err)
	doc, _ := url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument))
	want := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`
	if doc != want {
		t.Fatalf("stored trust policy\n got  %s\n want %s", doc, want)
	}
}

func TestListRoles(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := iam.NewFromConfig(oneCfg(s))
	for _, name := range []string{"r1", "r2", "r3", "r4"} {
		_, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String("/flowplan/"),
			AssumeRolePolicyDocument: aws.String(flowLogsTrust), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		must(t, err)
	}
	_, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("elsewhere"), AssumeRolePolicyDocument: aws.String(flowLogsTrust)})
	must(t, err)
	var names []string
	p := iam.NewListRolesPaginator(client, &iam.ListRolesInput{PathPrefix: aws.String("/flowplan/"), MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		must(t, err)
		for _, r := range out.Roles {
			names = append(names, aws.ToString(r.RoleName))
			if len(r.Tags) != 0 || r.PermissionsBoundary != nil {
				t.Errorf("ListRoles returned tags or a boundary for %s; AWS returns them from GetRole only", aws.ToString(r.RoleName))
			}
		}
	}
	if strings.Join(names, ",") != "delivery,r1,r2,r3,r4" {
		t.Fatalf("roles under /flowplan/ = %v", names)
	}
	_, err = client.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(1001)})
	wantAPIError(t, err, "ValidationError", "maxItems")
	_, err = client.ListRoles(ctx, &iam.ListRolesInput{Marker: aws.String("nope")})
	wantAPIError(t, err, "ValidationError", "Marker")
}

func TestAssumeRole(t *testing.T) {
	clock := newClock()
	s := emutest.Start(t, awsemu.Options{Clock: clock.Now}, "../../examples/sandbox/world.yaml")
	base := noRetry(s.Config("us-east-1"))
	stsc := sts.NewFromConfig(base)
	id, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, err)
	if aws.ToString(id.Account) != "333333333333" || aws.ToString(id.Arn) != "arn:aws:iam::333333333333:user/flowplan-sandbox" {
		t.Fatalf("caller = %+v", id)
	}
	out, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/FlowplanRunner"), RoleSessionName: aws.String("flowplan")})
	must(t, err)
	c := out.Credentials
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || aws.ToString(c.SessionToken) == "" ||
		!c.Expiration.Equal(clock.Now().Add(time.Hour)) ||
		aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::111111111111:assumed-role/FlowplanRunner/flowplan" {
		t.Fatalf("AssumeRole = %+v %+v", c, out.AssumedRoleUser)
	}
	prod := noRetry(s.ConfigWith("us-east-1", aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
	who, err := sts.NewFromConfig(prod).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, err)
	if aws.ToString(who.Account) != "111111111111" {
		t.Fatalf("assumed identity = %+v", who)
	}
	vpcs, err := ec2.NewFromConfig(prod).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, err)
	if len(vpcs.Vpcs) != 4 {
		t.Fatalf("prod us-east-1 has %d VPCs, want 4", len(vpcs.Vpcs))
	}
	// The token is required and checked.
	noToken := noRetry(s.ConfigWith("us-east-1", aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), ""))
	_, err = ec2.NewFromConfig(noToken).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantAPIError(t, err, "AuthFailure", "")
	// Role chaining is limited to one hour.
	own := emutest.AssumeRole(base, "arn:aws:iam::333333333333:role/FlowplanRunner")
	_, err = sts.NewFromConfig(own).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/FlowplanRunner"),
		RoleSessionName: aws.String("again"), DurationSeconds: aws.Int32(7200)})
	wantAPIError(t, err, "ValidationError", "role chaining")
	_, err = sts.NewFromConfig(own).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/FlowplanRunner"),
		RoleSessionName: aws.String("again")})
	must(t, err)

	denied := []struct {
		name string
		in   *sts.AssumeRoleInput
	}{
		{"role that does not exist", &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/Nope"), RoleSessionName: aws.String("s1")}},
		{"untrusted caller", &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/legacy-flowlogs-role"), RoleSessionName: aws.String("s1")}},
		{"unknown account", &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::888888888888:role/FlowplanRunner"), RoleSessionName: aws.String("s1")}},
	}
	for _, tt := range denied {
		t.Run(tt.name, func(t *testing.T) {
			_, err := stsc.AssumeRole(ctx, tt.in)
			wantAPIError(t, err, "AccessDenied", "is not authorized to perform: sts:AssumeRole on resource: "+aws.ToString(tt.in.RoleArn))
		})
	}
	_, err = stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/FlowplanRunner"),
		RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200)})
	wantAPIError(t, err, "ValidationError", "MaxSessionDuration")

	clock.Advance(time.Hour)
	_, err = sts.NewFromConfig(prod).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "ExpiredToken", "expired")
}

func TestAssumeRoleExternalID(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	_, err := iam.NewFromConfig(oneCfg(s)).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("runner"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"xyz-123"}}}]}`)})
	must(t, err)
	stsc := sts.NewFromConfig(twoCfg(s))
	role := aws.String("arn:aws:iam::111111111111:role/runner")
	_, err = stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role, RoleSessionName: aws.String("s1")})
	wantAPIError(t, err, "AccessDenied", "")
	_, err = stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role, RoleSessionName: aws.String("s1"), ExternalId: aws.String("wrong-1")})
	wantAPIError(t, err, "AccessDenied", "")
	_, err = stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role, RoleSessionName: aws.String("s1"), ExternalId: aws.String("xyz-123")})
	must(t, err)
}

func TestAssumeRolePropagationAndPermissiveMode(t *testing.T) {
	clock := newClock()
	s := start(t, awsemu.Options{Clock: clock.Now, IAMPropagationDelay: 5 * time.Second}, testWorld)
	_, err := iam.NewFromConfig(oneCfg(s)).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("runner"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"sts:AssumeRole"}]}`)})
	must(t, err)
	stsc := sts.NewFromConfig(twoCfg(s))
	in := &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/runner"), RoleSessionName: aws.String("s1")}
	_, err = stsc.AssumeRole(ctx, in)
	wantAPIError(t, err, "AccessDenied", "")
	clock.Advance(5 * time.Second)
	_, err = stsc.AssumeRole(ctx, in)
	must(t, err)

	permissive := start(t, awsemu.Options{PermissiveAssumeRole: true}, testWorld)
	out, err := sts.NewFromConfig(twoCfg(permissive)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/anything"), RoleSessionName: aws.String("s1")})
	must(t, err)
	if !strings.Contains(aws.ToString(out.AssumedRoleUser.Arn), "111111111111") {
		t.Fatalf("permissive AssumeRole = %+v", out.AssumedRoleUser)
	}
}

// TestIAMUpdateRole changes only what it is given, within CreateRole's
// limits.
func TestIAMUpdateRole(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := iam.NewFromConfig(oneCfg(s))
	_, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(flowLogsTrust),
		Description: aws.String("made by hand"), MaxSessionDuration: aws.Int32(7200)})
	must(t, err)
	_, err = client.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("r"), Description: aws.String("Managed by flowplan")})
	must(t, err)
	got, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")})
	must(t, err)
	if aws.ToString(got.Role.Description) != "Managed by flowplan" || aws.ToInt32(got.Role.MaxSessionDuration) != 7200 {
		t.Errorf("after UpdateRole: description %q, max session %d", aws.ToString(got.Role.Description), aws.ToInt32(got.Role.MaxSessionDuration))
	}
	_, err = client.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("r"), Description: aws.String(strings.Repeat("d", 1001))})
	wantAPIError(t, err, "ValidationError", "description")
	_, err = client.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("r"), MaxSessionDuration: aws.Int32(60)})
	wantAPIError(t, err, "ValidationError", "maxSessionDuration")
	_, err = client.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("nope"), Description: aws.String("x")})
	wantAPIError(t, err, "NoSuchEntity", "nope")
}
