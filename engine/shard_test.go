package engine

import (
	"strings"
	"testing"
)

// TestShardOfIsStable pins the hash: a release that moved accounts between
// shards would make a running pipeline's jobs miss or repeat accounts.
func TestShardOfIsStable(t *testing.T) {
	for _, c := range []struct {
		account string
		total   int
		want    int
	}{
		{"111111111111", 3, 3}, {"222222222222", 3, 2}, {"333333333333", 3, 1},
		{"111111111111", 7, 6}, {"999999999999", 7, 7}, {"123456789012", 2, 2},
		{"111111111111", 1, 1}, {"210000000002", 3, 1}, {"210000000005", 7, 7},
	} {
		if got := ShardOf(c.account, c.total); got != c.want {
			t.Errorf("ShardOf(%s, %d) = %d, want %d", c.account, c.total, got, c.want)
		}
	}
	// Every account is in exactly one shard.
	for n := 1; n <= 9; n++ {
		for _, a := range []string{"111111111111", "222222222222", "444444444444", "000000000000"} {
			in := 0
			for k := 1; k <= n; k++ {
				if (&Shard{Index: k, Total: n}).Has(a) {
					in++
				}
			}
			if in != 1 {
				t.Errorf("account %s is in %d of %d shards", a, in, n)
			}
		}
	}
	var none *Shard
	if !none.Has("111111111111") {
		t.Error("no shard must have every account")
	}
}

func TestParseShard(t *testing.T) {
	for in, want := range map[string]Shard{"1/3": {1, 3}, " 3/3 ": {3, 3}, "1/1": {1, 1}} {
		got, err := ParseShard(in)
		if err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"0/3": "the index counts from 1", "4/3": "from 1 to 3", "1/0": "at least 1", "3": "want K/N",
		"a/3": "whole numbers", "1/3/5": "whole numbers", "1/1001": "at most 1000", "-1/3": "the index counts from 1",
	} {
		if _, err := ParseShard(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseShard(%q) = %v, want an error saying %q", in, err, msg)
		}
	}
}

func TestShardFromEnv(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		want Shard
		from string
		err  string
	}{
		{name: "flowplan", env: map[string]string{"FLOWPLAN_SHARD_INDEX": "2", "FLOWPLAN_SHARD_TOTAL": "3"}, want: Shard{2, 3}, from: "FLOWPLAN_SHARD_INDEX/FLOWPLAN_SHARD_TOTAL"},
		{name: "gitlab", env: map[string]string{"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "3"}, want: Shard{3, 3}, from: "CI_NODE_INDEX/CI_NODE_TOTAL"},
		{name: "kubernetes counts from 0", env: map[string]string{"JOB_COMPLETION_INDEX": "0", "FLOWPLAN_SHARD_TOTAL": "4"}, want: Shard{1, 4}},
		{name: "kubernetes last", env: map[string]string{"JOB_COMPLETION_INDEX": "3", "FLOWPLAN_SHARD_TOTAL": "4"}, want: Shard{4, 4}},
		{name: "agreeing sources", env: map[string]string{"FLOWPLAN_SHARD_INDEX": "1", "FLOWPLAN_SHARD_TOTAL": "2", "CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "2"}, want: Shard{1, 2}},
		{name: "nothing", env: map[string]string{}, err: "no shard variables are set"},
		{name: "gitlab without parallel", env: map[string]string{"CI_NODE_TOTAL": "1"}, err: "CI_NODE_TOTAL alone"},
		{name: "kubernetes without total", env: map[string]string{"JOB_COMPLETION_INDEX": "1"}, err: "JOB_COMPLETION_INDEX (from 0) is set but its total is not"},
		{name: "index without total", env: map[string]string{"FLOWPLAN_SHARD_INDEX": "1"}, err: "FLOWPLAN_SHARD_INDEX is set but its total is not"},
		{name: "kubernetes index past total", env: map[string]string{"JOB_COMPLETION_INDEX": "4", "FLOWPLAN_SHARD_TOTAL": "4"}, err: "must be from 1 to 4"},
		{name: "not a number", env: map[string]string{"CI_NODE_INDEX": "x", "CI_NODE_TOTAL": "3"}, err: "not whole numbers"},
		{name: "disagreeing", env: map[string]string{"FLOWPLAN_SHARD_INDEX": "1", "FLOWPLAN_SHARD_TOTAL": "2", "CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "2"}, err: "says 1/2 but CI_NODE_INDEX/CI_NODE_TOTAL says 2/2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, from, err := ShardFromEnv(func(k string) string { return c.env[k] })
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil || got != c.want || (c.from != "" && from != c.from) {
				t.Fatalf("= %v from %q, %v; want %v from %q", got, from, err, c.want, c.from)
			}
		})
	}
}

func TestCheckShardParts(t *testing.T) {
	spec := SpecRef{Name: "s", SHA256: "aaaaaaaaaaaaaaaa"}
	part := func(name string, k, n int) ShardPart {
		return ShardPart{Name: name, Shard: &Shard{Index: k, Total: n}, Spec: spec}
	}
	m, err := CheckShardParts([]ShardPart{part("c", 3, 3), part("a", 1, 3)})
	if err != nil {
		t.Fatal(err)
	}
	if m.Complete() || m.Describe() != "a merge of 2 of 3 shards (1, 3); missing: 2" {
		t.Errorf("Describe = %q", m.Describe())
	}
	m, err = CheckShardParts([]ShardPart{part("a", 1, 2), part("b", 2, 2)})
	if err != nil || !m.Complete() || m.Describe() != "a merge of all 2 shards" {
		t.Errorf("= %+v, %v", m, err)
	}
	other := part("o", 2, 3)
	other.Spec.SHA256 = "bbbbbbbbbbbbbbbb"
	for _, c := range []struct {
		parts []ShardPart
		err   string
	}{
		{[]ShardPart{part("a", 1, 3), part("b", 1, 3)}, "a and b are both shard 1/3"},
		{[]ShardPart{part("a", 1, 3), part("b", 2, 2)}, "shards of different totals overlap"},
		{[]ShardPart{part("a", 1, 3), other}, "only documents of one spec are merged"},
		{[]ShardPart{part("a", 1, 3), {Name: "whole", Spec: spec}}, "whole was not made with --shard"},
		{[]ShardPart{part("a", 4, 3)}, "must be from 1 to 3"},
		{nil, "no documents"},
	} {
		if _, err := CheckShardParts(c.parts); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("err = %v, want one saying %q", err, c.err)
		}
	}
}

// TestMergeAuditsRecounts: the merged counts come from the units, and a
// unit in two audits is an overlap, not a double count.
func TestMergeAuditsRecounts(t *testing.T) {
	spec := SpecRef{Name: "s", SHA256: "aaaa"}
	unit := func(account, id string, st AuditStatus) AuditUnit {
		return AuditUnit{Addr: ManagedFlowLogAddr(account, "us-east-1", "r", id), Account: account, Region: "us-east-1", ResourceID: id, Rule: "r", Status: st}
	}
	a1 := &Audit{Spec: spec, Shard: &Shard{1, 2}, Accounts: []Account{{ID: "111111111111", Regions: []string{"us-east-1"}}},
		Units: []AuditUnit{unit("111111111111", "vpc-1", AuditCompliant), unit("111111111111", "vpc-2", AuditUncovered)}}
	a2 := &Audit{Spec: spec, Shard: &Shard{2, 2}, Accounts: []Account{{ID: "222222222222", Regions: []string{"us-east-1"}}},
		Units: []AuditUnit{unit("222222222222", "vpc-3", AuditCompliant)}}
	for _, a := range []*Audit{a1, a2} {
		a.Count()
	}
	// A part's summary that lies is not believed.
	a2.Summary.Compliant = 100
	m, err := MergeAudits([]string{"a1", "a2"}, []*Audit{a1, a2})
	if err != nil {
		t.Fatal(err)
	}
	if m.Summary.Targets != 3 || m.Summary.Compliant != 2 || m.Summary.Uncovered != 1 || len(m.Scopes) != 2 || len(m.ByAccount) != 2 {
		t.Errorf("merged counts %+v, %d scopes, %d accounts", m.Summary, len(m.Scopes), len(m.ByAccount))
	}
	if p, _ := m.Summary.CoveragePercent(); p != 66.7 {
		t.Errorf("coverage %v, want 66.7", p)
	}
	a2.Units = append(a2.Units, unit("111111111111", "vpc-1", AuditCompliant))
	if _, err := MergeAudits([]string{"a1", "a2"}, []*Audit{a1, a2}); err == nil || !strings.Contains(err.Error(), "is in both a1 and a2") {
		t.Errorf("an overlapping unit: err = %v", err)
	}
	a2.Units = a2.Units[:1]
	a2.Options.AllVPCs = true
	if _, err := MergeAudits([]string{"a1", "a2"}, []*Audit{a1, a2}); err == nil || !strings.Contains(err.Error(), "other options") {
		t.Errorf("different options: err = %v", err)
	}
}

// TestMergePlansRefusesOverlap: a change planned by two shards is refused,
// and a merged plan cannot be applied.
func TestMergePlansRefusesOverlap(t *testing.T) {
	spec := SpecRef{Name: "s", SHA256: "aaaa"}
	c := &Change{Addr: RoleAddr("111111111111", "r"), Action: Create}
	p1 := &Plan{Spec: spec, Shard: &Shard{1, 2}, Changes: []*Change{c}}
	p2 := &Plan{Spec: spec, Shard: &Shard{2, 2}, Changes: []*Change{c}}
	if _, err := MergePlans([]string{"p1", "p2"}, []*Plan{p1, p2}); err == nil || !strings.Contains(err.Error(), "is changed in both p1 and p2") {
		t.Errorf("err = %v", err)
	}
	p2.Changes = nil
	m, err := MergePlans([]string{"p1", "p2"}, []*Plan{p1, p2})
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckApplicable(m); err != ErrMergedPlan {
		t.Errorf("CheckApplicable(merged) = %v", err)
	}
	if _, err := MergePlans([]string{"m", "p1"}, []*Plan{m, p1}); err == nil || !strings.Contains(err.Error(), "merged plan already") {
		t.Errorf("merging a merged plan: err = %v", err)
	}
}

func TestCheckSavedShard(t *testing.T) {
	saved := &Plan{Shard: &Shard{2, 3}}
	if err := CheckSavedShard(saved, nil); err != nil {
		t.Error(err)
	}
	if err := CheckSavedShard(saved, &Shard{2, 3}); err != nil {
		t.Error(err)
	}
	if err := CheckSavedShard(saved, &Shard{1, 3}); err == nil || !strings.Contains(err.Error(), "the saved plan is of shard 2/3") {
		t.Errorf("err = %v", err)
	}
	if err := CheckSavedShard(&Plan{}, &Shard{1, 3}); err == nil || !strings.Contains(err.Error(), "made without --shard") {
		t.Errorf("err = %v", err)
	}
	if err := CheckSavedShard(&Plan{Shard: &Shard{0, 3}}, nil); err == nil || !strings.Contains(err.Error(), "the index counts from 1") {
		t.Errorf("a tampered shard: err = %v", err)
	}
}
