package e2e

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/flowplan/flowplan/providers/awsemu"
)

// Kinds of named world resources, the prefixes of their variable names.
const (
	KindVPC        = "VPC"
	KindSubnet     = "SUBNET"
	KindENI        = "ENI"
	KindTGW        = "TGW"
	KindNAT        = "NAT"
	KindAttachment = "TGW_ATTACH"
	KindFlowLog    = "FL"
)

var notVarChar = regexp.MustCompile(`[^A-Za-z0-9_]`)

// VarName is the variable a seeded resource's ID is exported as: the kind,
// an underscore, and the world name with every character outside
// [A-Za-z0-9_] replaced by "_" (a VPC named prod-web is VPC_prod_web).
// A flow log is named after the world reference of its resource
// (FL_prod_web), with _2, _3 for further flow logs on the same resource.
func VarName(kind, name string) string {
	return kind + "_" + notVarChar.ReplaceAllString(name, "_")
}

// idTable collects what a world's names and given IDs became on a backend.
type idTable struct {
	// vars maps variable names to IDs.
	vars map[string]string
	// scopeOf maps variable names to the account-region that defined them.
	scopeOf map[string]string
	// refs maps "<account>/<region>/<world name or world ID>" to IDs.
	refs map[string]string
	// flowLogsOn counts world flow logs per "<account>/<region>/<ref>".
	flowLogsOn map[string]int
}

func newIDTable() *idTable {
	return &idTable{vars: map[string]string{}, scopeOf: map[string]string{}, refs: map[string]string{}, flowLogsOn: map[string]int{}}
}

// add records that the world resource (name, worldID) of kind in
// account/region has id on the backend. Unnamed resources get no variable.
func (t *idTable) add(account, region, kind, name, worldID, id string) error {
	scope := account + "/" + region
	if worldID != "" {
		t.refs[scope+"/"+worldID] = id
	}
	if name == "" {
		return nil
	}
	t.refs[scope+"/"+name] = id
	return t.addVar(scope, VarName(kind, name), id)
}

// addFlowLog records a world flow log on the resource referred to as ref.
// Flow logs have no world names, so nothing can refer to them.
func (t *idTable) addFlowLog(account, region, ref, worldID, id string) error {
	scope := account + "/" + region
	if worldID != "" {
		t.refs[scope+"/"+worldID] = id
	}
	key := scope + "/" + ref
	t.flowLogsOn[key]++
	name := ref
	if n := t.flowLogsOn[key]; n > 1 {
		name = fmt.Sprintf("%s_%d", ref, n)
	}
	return t.addVar(scope, VarName(KindFlowLog, name), id)
}

func (t *idTable) addVar(scope, v, id string) error {
	if prev, dup := t.scopeOf[v]; dup {
		return fmt.Errorf("variable %s (in %s) is already defined by %s; give world resources distinct names", v, scope, prev)
	}
	t.vars[v], t.scopeOf[v] = id, scope
	return nil
}

// resolve turns a world name or world ID into the backend's ID; anything
// else is returned as it is.
func (t *idTable) resolve(account, region, ref string) string {
	if id, ok := t.refs[account+"/"+region+"/"+ref]; ok {
		return id
	}
	return ref
}

// sortedRegions returns an account's region names, sorted.
func sortedRegions(a awsemu.WorldAccount) []string {
	out := make([]string, 0, len(a.Regions))
	for r := range a.Regions {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// withName returns tags plus Name=name, unless tags already has a Name, as
// the emulator does for named world resources.
func withName(tags map[string]string, name string) map[string]string {
	out := make(map[string]string, len(tags)+1)
	for k, v := range tags {
		out[k] = v
	}
	if _, ok := out["Name"]; !ok && name != "" {
		out["Name"] = name
	}
	return out
}
