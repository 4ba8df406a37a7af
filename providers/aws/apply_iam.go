package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/flowplan/flowplan/engine"
)

// role creates, updates or deletes a delivery role.
func (a *applier) role(ctx context.Context, ch *engine.Change) (*engine.Resource, error) {
	c := a.p.iam(a.s)
	switch a.b.Op {
	case engine.OpCreate:
		return a.createRole(ctx, c, ch.After)
	case engine.OpAdopt:
		return a.adoptRole(ctx, c, ch)
	case engine.OpUpdate, engine.OpDelete:
		live, err := a.liveRole(ctx, c, ch)
		if err != nil {
			return nil, err
		}
		if a.b.Op == engine.OpDelete {
			return nil, deleteRole(ctx, c, live.Role.Name)
		}
		return updateRole(ctx, c, live, ch.After)
	}
	return nil, fmt.Errorf("unknown operation %q", a.b.Op)
}

// liveRole reads the role a change updates or deletes just before the
// write, and checks on what IAM says that this spec owns it. A role IAM no
// longer has is engine.ErrNotFound.
func (a *applier) liveRole(ctx context.Context, c *iam.Client, ch *engine.Change) (*engine.Resource, error) {
	name := ""
	switch {
	case ch.Before != nil && ch.Before.Role != nil:
		name = ch.Before.Role.Name
	case ch.Before != nil && ch.Before.RolePolicy != nil:
		name = ch.Before.RolePolicy.RoleName
	case ch.After != nil && ch.After.RolePolicy != nil:
		name = ch.After.RolePolicy.RoleName
	default:
		return nil, errors.New("change names no role")
	}
	_, live, err := a.rereadRole(ctx, c, name, "changing")
	if err != nil {
		return nil, err
	}
	if err := a.checkManaged(ch, live); err != nil {
		return nil, err
	}
	return live, nil
}

// rereadRole reads a role from IAM just before a write (before what, in
// doing), as IAM has it and as a resource, for the ownership checks; a
// role IAM no longer has is engine.ErrNotFound.
func (a *applier) rereadRole(ctx context.Context, c *iam.Client, name, doing string) (*iamtypes.Role, *engine.Resource, error) {
	have, err := getRole(ctx, c, name)
	if err != nil {
		return nil, nil, annotate("read role "+name+" before "+doing+" it", err)
	}
	if have == nil {
		return nil, nil, markNotFound(fmt.Errorf("role %s no longer exists", name))
	}
	return have, roleResource(a.b.Account.ID, have), nil
}

// adoptRole takes over a role that exists without flowplan's ownership
// tags, as the spec asked (delivery_roles.<name>.adopt): it re-reads the
// role just before the write, refuses one another spec owns, tags it as
// the spec's first, so that it is never left changed but unowned, then
// writes the trust policy and boundary. A role already carrying this
// spec's tag (a re-run) is brought to the desired state.
func (a *applier) adoptRole(ctx context.Context, c *iam.Client, ch *engine.Change) (*engine.Resource, error) {
	if ch.Before == nil || ch.Before.Role == nil || ch.After == nil || ch.After.Role == nil {
		return nil, errors.New("change needs the discovered role and the desired one")
	}
	name := ch.Before.Role.Name
	have, live, err := a.rereadRole(ctx, c, name, "adopting")
	if err != nil {
		return nil, err
	}
	want, _ := ch.After.Owner()
	switch owner, _ := live.Owner(); {
	case want == "" || (a.b.Spec != "" && want != a.b.Spec):
		return nil, fmt.Errorf("refusing to adopt role %s for spec %q in a batch of spec %q", name, want, a.b.Spec)
	case owner != "" && owner != want:
		return nil, fmt.Errorf("refusing to adopt role %s: it is managed by spec %q", name, owner)
	}
	if live.Role.Path != ch.After.Role.Path {
		return nil, fmt.Errorf("refusing to adopt role %s: its path is %s, not %s, and IAM cannot change a role's path", name, live.Role.Path, ch.After.Role.Path)
	}
	if set := tagsToSet(live.Tags, ch.After.Tags); len(set) > 0 {
		if _, err := c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(name), Tags: toIAMTags(set)}); err != nil {
			return nil, err
		}
		live.Tags = resultTags(live.Tags, ch.After.Tags)
	}
	// flowplan's description is how discovery lists the roles the spec no
	// longer names (listFlowplanRoles): without it, prune would never find
	// the adopted role.
	if aws.ToString(have.Description) != roleDescription {
		if _, err := c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String(name), Description: aws.String(roleDescription)}); err != nil {
			return nil, err
		}
	}
	return updateRole(ctx, c, live, ch.After)
}

// createRole creates the role. If it already exists (a re-run after a
// partial apply) and carries this spec's ownership tag, it is brought to
// the desired state instead; a role someone else made is an error.
func (a *applier) createRole(ctx context.Context, c *iam.Client, want *engine.Resource) (*engine.Resource, error) {
	if want == nil || want.Role == nil {
		return nil, errors.New("change has no desired role")
	}
	r := want.Role
	in := &iam.CreateRoleInput{
		RoleName:                 aws.String(r.Name),
		Path:                     aws.String(r.Path),
		AssumeRolePolicyDocument: aws.String(r.AssumeRolePolicy),
		Description:              aws.String(roleDescription),
		Tags:                     toIAMTags(want.Tags),
	}
	if r.PermissionsBoundary != "" {
		in.PermissionsBoundary = aws.String(r.PermissionsBoundary)
	}
	out, err := c.CreateRole(ctx, in)
	if ErrorCode(err) == "EntityAlreadyExists" {
		have, gerr := getRole(ctx, c, r.Name)
		if gerr != nil {
			return nil, annotate("role exists, but could not be read", gerr)
		}
		if have == nil {
			return nil, annotate("role exists, but GetRole does not find it", err)
		}
		before := roleResource(want.Addr.Account, have)
		if owner, _ := before.Owner(); owner == "" || owner != want.Tags[engine.TagSpec] {
			return nil, annotate(fmt.Sprintf("role %s already exists and is not managed by spec %q (flowplan:spec=%q)", r.Name, want.Tags[engine.TagSpec], owner), markAlreadyExists(err))
		}
		return updateRole(ctx, c, before, want)
	}
	if err != nil {
		return nil, err
	}
	res := roleResource(want.Addr.Account, out.Role)
	if len(res.Tags) == 0 {
		res.Tags = want.Tags
	}
	res.Addr = want.Addr
	return res, nil
}

// updateRole changes what IAM can change in place: the trust policy, the
// permissions boundary and the tags. A path change needs a replacement.
func updateRole(ctx context.Context, c *iam.Client, have, want *engine.Resource) (*engine.Resource, error) {
	if have.Role == nil || want == nil || want.Role == nil {
		return nil, errors.New("change needs the discovered role and the desired one")
	}
	name := want.Role.Name
	if have.Role.Path != want.Role.Path {
		return nil, fmt.Errorf("role %s has path %s, not %s: a path change needs a replacement", name, have.Role.Path, want.Role.Path)
	}
	if !sameJSON(have.Role.AssumeRolePolicy, want.Role.AssumeRolePolicy) {
		if _, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
			RoleName: aws.String(name), PolicyDocument: aws.String(want.Role.AssumeRolePolicy),
		}); err != nil {
			return nil, err
		}
	}
	if err := updateBoundary(ctx, c, name, have.Role.PermissionsBoundary, want.Role.PermissionsBoundary); err != nil {
		return nil, err
	}
	if set := tagsToSet(have.Tags, want.Tags); len(set) > 0 {
		if _, err := c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(name), Tags: toIAMTags(set)}); err != nil {
			return nil, err
		}
	}
	res := *want
	res.ID = have.ID
	res.Tags = resultTags(have.Tags, want.Tags)
	return &res, nil
}

func updateBoundary(ctx context.Context, c *iam.Client, role, have, want string) error {
	switch {
	case have == want:
		return nil
	case want == "":
		_, err := c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String(role)})
		return err
	default:
		_, err := c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{
			RoleName: aws.String(role), PermissionsBoundary: aws.String(want),
		})
		return err
	}
}

// deleteRole deletes flowplan's inline policy (engine.DeliveryPolicyName),
// if it is still there, then the role. Inline and managed policies someone
// else put on the role are left alone, so DeleteRole then fails with
// DeleteConflict: flowplan never deletes what it did not create. A role
// already gone is engine.ErrNotFound.
func deleteRole(ctx context.Context, c *iam.Client, name string) error {
	_, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(engine.DeliveryPolicyName)})
	if err != nil && ErrorCode(err) != "NoSuchEntity" {
		return annotate("delete inline policy "+engine.DeliveryPolicyName, err)
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)})
	switch ErrorCode(err) {
	case "NoSuchEntity":
		return markNotFound(err)
	case "DeleteConflict":
		return annotate("the role has policies flowplan did not put there; they are left alone, so the role stays", err)
	}
	return err
}

// rolePolicy puts (create and update) or deletes an inline policy. A put
// right after its role was created may meet NoSuchEntity while IAM
// propagates the role; it is retried up to IAMPropagationTimeout.
func (a *applier) rolePolicy(ctx context.Context, ch *engine.Change) (*engine.Resource, error) {
	c := a.p.iam(a.s)
	switch a.b.Op {
	case engine.OpCreate, engine.OpUpdate:
		if ch.After == nil || ch.After.RolePolicy == nil {
			return nil, errors.New("change has no desired role policy")
		}
		rp := ch.After.RolePolicy
		if err := checkPolicyName(rp); err != nil {
			return nil, err
		}
		// The policy goes only on a role this spec owns, as IAM says now; a
		// role created a moment ago may not show yet.
		_, err := a.liveRole(ctx, c, ch)
		for errors.Is(err, engine.ErrNotFound) && a.waitIAM(ctx, "role "+rp.RoleName) {
			_, err = a.liveRole(ctx, c, ch)
		}
		if errors.Is(err, engine.ErrNotFound) {
			err = interruptedWait(ctx, "role "+rp.RoleName, err)
		}
		if err != nil {
			return nil, err
		}
		in := &iam.PutRolePolicyInput{RoleName: aws.String(rp.RoleName), PolicyName: aws.String(rp.PolicyName), PolicyDocument: aws.String(rp.Document)}
		_, err = c.PutRolePolicy(ctx, in)
		for ErrorCode(err) == "NoSuchEntity" && a.waitIAM(ctx, "role "+rp.RoleName) {
			_, err = c.PutRolePolicy(ctx, in)
		}
		if ErrorCode(err) == "NoSuchEntity" {
			err = interruptedWait(ctx, "role "+rp.RoleName, err)
		}
		if err != nil {
			return nil, err
		}
		res := *ch.After
		res.ID = rolePolicyID(rp.RoleName, rp.PolicyName)
		return &res, nil
	case engine.OpDelete:
		if ch.Before == nil || ch.Before.RolePolicy == nil {
			return nil, errors.New("change has no discovered role policy")
		}
		rp := ch.Before.RolePolicy
		if err := checkPolicyName(rp); err != nil {
			return nil, err
		}
		if _, err := a.liveRole(ctx, c, ch); err != nil {
			return nil, err
		}
		_, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(rp.RoleName), PolicyName: aws.String(rp.PolicyName)})
		if ErrorCode(err) == "NoSuchEntity" {
			return nil, markNotFound(err)
		}
		return nil, err
	}
	return nil, fmt.Errorf("unknown operation %q", a.b.Op)
}

// checkPolicyName refuses to write or delete any inline policy but
// flowplan's own (engine.DeliveryPolicyName): PutRolePolicy would overwrite
// someone else's. The engine never plans that, so this is a last defence.
func checkPolicyName(rp *engine.RolePolicy) error {
	if rp.PolicyName != engine.DeliveryPolicyName {
		return fmt.Errorf("refusing to change inline policy %s of role %s: flowplan only manages %s", rp.PolicyName, rp.RoleName, engine.DeliveryPolicyName)
	}
	return nil
}

func toIAMTags(m map[string]string) []iamtypes.Tag {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]iamtypes.Tag, len(keys))
	for i, k := range keys {
		out[i] = iamtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])}
	}
	return out
}

// sameJSON reports whether two policy documents, either possibly
// URL-encoded as IAM returns them, hold the same JSON value. It only
// spares needless updates; the engine's normalisation decides the plan.
func sameJSON(a, b string) bool {
	va, errA := decodePolicy(a)
	vb, errB := decodePolicy(b)
	return errA == nil && errB == nil && reflect.DeepEqual(va, vb)
}

func decodePolicy(s string) (any, error) {
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		d, err := url.PathUnescape(s)
		if err != nil {
			return nil, err
		}
		s = d
	}
	var v any
	err := json.Unmarshal([]byte(s), &v)
	return v, err
}
