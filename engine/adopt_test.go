package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/flowplan/flowplan/engine"
)

// Options.AdoptRoles adopts every delivery role the spec does not own, and
// the plan records it: a saved plan made with it is prepared the same way,
// and one that does not record it is refused, the role being a conflict.
func TestAdoptRolesOption(t *testing.T) {
	p, s := fixture(false)
	p.World.AddRole(acctA, engine.Role{Name: "flowplan-flow-logs", Path: "/",
		AssumeRolePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
		map[string]string{"team": "net"})
	ctx := context.Background()

	plain, err := engine.MakePlan(ctx, p, s, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.Errors) != 1 || plain.Errors[0].Code != engine.CodeRoleConflict || plain.Errors[0].Scope != acctA {
		t.Fatalf("errors without adoption = %+v", plain.Errors)
	}

	plan, err := engine.MakePlan(ctx, p, s, engine.Options{AdoptRoles: true})
	if err != nil {
		t.Fatal(err)
	}
	role := engine.RoleAddr(acctA, "flowplan-flow-logs")
	var adopted bool
	for _, c := range plan.Changes {
		adopted = adopted || (c.Addr == role && c.Action == engine.Adopt)
	}
	if !adopted || !plan.AdoptRoles || len(plan.Errors) > 0 {
		t.Fatalf("plan with AdoptRoles: adopted %v, recorded %v, errors %+v", adopted, plan.AdoptRoles, plan.Errors)
	}

	unrecorded := *plan
	unrecorded.AdoptRoles = false
	var se *engine.ScopeErrorsError
	if _, err := engine.PrepareSaved(ctx, p, s, &unrecorded, engine.Options{}); !errors.As(err, &se) {
		t.Errorf("a saved adoption the plan does not record was prepared: %v", err)
	}
	ready, err := engine.PrepareSaved(ctx, p, s, plan, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Apply(ctx, p, ready, engine.Options{}); err != nil {
		t.Fatal(err)
	}
	if r := p.World.Roles[acctA+"/flowplan-flow-logs"]; r.Tags[engine.TagSpec] != s.Name || r.Tags["team"] != "net" {
		t.Errorf("adopted role's tags = %v", r.Tags)
	}
	again, err := engine.MakePlan(ctx, p, s, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Empty() || len(again.Errors) > 0 {
		t.Errorf("plan after applying the adoption: empty %v, errors %+v", again.Empty(), again.Errors)
	}
}
