package engine

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Sharding splits one organisation's work across N CI jobs (--shard K/N).
// This file is the one place that decides which shard an account is in,
// and how K/N is read from the flag and from CI engines' variables. Every
// shard lists the organisation itself (Provider.Accounts), then keeps its
// accounts: all regions of an account, and its global scope (its delivery
// roles), are in the same shard, so no resource is planned by two shards.
// A managed bucket's policy statements are planned by the shard of the
// bucket's owner; they list every account the rules apply to (Expand),
// which every shard knows from the listing.

// Shard is one part of a partition of the accounts: Index of Total, both
// counted from 1 (1/3, 2/3, 3/3), as GitLab's CI_NODE_INDEX and people
// count jobs.
type Shard struct {
	Index int `json:"index"`
	Total int `json:"total"`
}

// MaxShards bounds N: more jobs than that is more likely a typo than an
// organisation (GitLab's parallel: allows 200).
const MaxShards = 1000

// String is "K/N".
func (s Shard) String() string { return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Total) }

// Validate checks 1 ≤ Index ≤ Total ≤ MaxShards.
func (s Shard) Validate() error {
	switch {
	case s.Total < 1:
		return fmt.Errorf("shard %s: the number of shards must be at least 1", s)
	case s.Total > MaxShards:
		return fmt.Errorf("shard %s: at most %d shards", s, MaxShards)
	case s.Index < 1 || s.Index > s.Total:
		return fmt.Errorf("shard %s: the index counts from 1, so it must be from 1 to %d", s, s.Total)
	}
	return nil
}

// ShardOf returns the shard, from 1 to total, that account is in: the
// 32-bit FNV-1a hash of the account ID as written (its 12 ASCII digits),
// modulo total, plus one. The hash is fixed: a release that changed it
// would move accounts between the jobs of a running pipeline.
func ShardOf(account string, total int) int {
	if total <= 1 {
		return 1
	}
	h := fnv.New32a()
	h.Write([]byte(account))
	return int(h.Sum32()%uint32(total)) + 1
}

// Has reports whether account is in the shard. A nil shard has every
// account.
func (s *Shard) Has(account string) bool {
	return s == nil || ShardOf(account, s.Total) == s.Index
}

// ParseShard reads "K/N", K counted from 1.
func ParseShard(v string) (Shard, error) {
	k, n, ok := strings.Cut(strings.TrimSpace(v), "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want K/N, such as 1/3 (K counts from 1), or auto", v)
	}
	ki, err1 := strconv.Atoi(k)
	ni, err2 := strconv.Atoi(n)
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: K and N must be whole numbers, such as 1/3", v)
	}
	s := Shard{Index: ki, Total: ni}
	if err := s.Validate(); err != nil {
		return Shard{}, err
	}
	return s, nil
}

// Shard variables read by --shard auto.
const (
	// EnvShardIndex and EnvShardTotal are flowplan's own: K counted from 1,
	// and N. GitHub Actions has no built-in shard variables; a matrix job
	// passes its matrix value here (or writes --shard K/N).
	EnvShardIndex = "FLOWPLAN_SHARD_INDEX"
	EnvShardTotal = "FLOWPLAN_SHARD_TOTAL"
	// EnvGitLabIndex and EnvGitLabTotal are set by GitLab CI for a job with
	// parallel: N; the index counts from 1. GitLab sets CI_NODE_TOTAL=1 for
	// every other job, without CI_NODE_INDEX.
	EnvGitLabIndex = "CI_NODE_INDEX"
	EnvGitLabTotal = "CI_NODE_TOTAL"
	// EnvJobCompletionIndex is set by Kubernetes in the pods of an Indexed
	// Job; it counts from 0. Kubernetes sets no variable with the Job's
	// completions, so the total is given in FLOWPLAN_SHARD_TOTAL.
	EnvJobCompletionIndex = "JOB_COMPLETION_INDEX"
)

// ShardFromEnv is --shard auto: the shard the CI engine's variables name,
// and which variables those were. It reads, in this order:
//
//  1. FLOWPLAN_SHARD_INDEX (from 1) and FLOWPLAN_SHARD_TOTAL;
//  2. JOB_COMPLETION_INDEX (from 0, a Kubernetes Indexed Job) and
//     FLOWPLAN_SHARD_TOTAL;
//  3. CI_NODE_INDEX (from 1) and CI_NODE_TOTAL (GitLab's parallel: N).
//
// Two of them that are set and disagree are an error, and so are a variable
// without its pair and none set at all: a job that cannot tell its shard
// must not plan the whole organisation, nor none of it.
func ShardFromEnv(getenv func(string) string) (Shard, string, error) {
	type source struct {
		name         string
		index, total string
		from         int // what the index counts from
	}
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	var found []source
	var problems []string
	if idx, tot := get(EnvShardIndex), get(EnvShardTotal); idx != "" {
		found = append(found, source{EnvShardIndex + "/" + EnvShardTotal, idx, tot, 1})
	}
	if idx := get(EnvJobCompletionIndex); idx != "" {
		found = append(found, source{EnvJobCompletionIndex + " (from 0)/" + EnvShardTotal, idx, get(EnvShardTotal), 0})
	}
	if idx := get(EnvGitLabIndex); idx != "" {
		found = append(found, source{EnvGitLabIndex + "/" + EnvGitLabTotal, idx, get(EnvGitLabTotal), 1})
	}
	var got []Shard
	var names []string
	for _, src := range found {
		if src.total == "" {
			problems = append(problems, fmt.Sprintf("%s is set but its total is not", strings.Split(src.name, "/")[0]))
			continue
		}
		k, err1 := strconv.Atoi(src.index)
		n, err2 := strconv.Atoi(src.total)
		if err1 != nil || err2 != nil {
			problems = append(problems, fmt.Sprintf("%s: %q and %q are not whole numbers", src.name, src.index, src.total))
			continue
		}
		s := Shard{Index: k + 1 - src.from, Total: n}
		if err := s.Validate(); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", src.name, err))
			continue
		}
		got, names = append(got, s), append(names, src.name)
	}
	if len(problems) > 0 {
		return Shard{}, "", fmt.Errorf("--shard auto: %s", strings.Join(problems, "; "))
	}
	if len(got) == 0 {
		msg := "--shard auto: no shard variables are set: set " + EnvShardIndex + " (from 1) and " + EnvShardTotal +
			" (a GitHub Actions matrix passes its values there), or run in a GitLab job with parallel: N (" + EnvGitLabIndex + ", " + EnvGitLabTotal +
			") or a Kubernetes Indexed Job (" + EnvJobCompletionIndex + ", with " + EnvShardTotal + " set to its completions)"
		if get(EnvGitLabTotal) != "" {
			msg += "; " + EnvGitLabTotal + " alone is what GitLab sets in a job without parallel:"
		}
		return Shard{}, "", errors.New(msg)
	}
	for i := 1; i < len(got); i++ {
		if got[i] != got[0] {
			return Shard{}, "", fmt.Errorf("--shard auto: %s says %s but %s says %s; unset one of them", names[0], got[0], names[i], got[i])
		}
	}
	return got[0], names[0], nil
}

// inShard keeps the accounts of the shard, and the errors of listing the
// organisation that are not about an account of another shard (an OU that
// could not be listed concerns every shard).
func inShard(sh *Shard, accounts []Account, problems []ScopeError) ([]Account, []ScopeError) {
	if sh == nil {
		return accounts, problems
	}
	var out []Account
	for _, a := range accounts {
		if sh.Has(a.ID) {
			out = append(out, a)
		}
	}
	var errs []ScopeError
	for _, e := range problems {
		account, _, _ := strings.Cut(e.Scope, "/")
		if !isAccountID(account) || sh.Has(account) {
			errs = append(errs, e)
		}
	}
	return out, errs
}

// MergedShards says which shards a merged document combines.
type MergedShards struct {
	// Total is N.
	Total int `json:"total"`
	// Shards are the indexes merged, sorted.
	Shards []int `json:"shards"`
	// Missing are the indexes of 1..N not merged, sorted; empty when the
	// merge covers the organisation.
	Missing []int `json:"missing"`
}

// Complete reports whether every shard was merged.
func (m *MergedShards) Complete() bool { return m != nil && len(m.Missing) == 0 }

// Describe is "a merge of all 3 shards" or "a merge of 2 of 3 shards
// (1, 3); missing: 2".
func (m *MergedShards) Describe() string {
	if m == nil {
		return ""
	}
	if m.Complete() {
		return fmt.Sprintf("a merge of all %d shards", m.Total)
	}
	return fmt.Sprintf("a merge of %d of %d shards (%s); missing: %s", len(m.Shards), m.Total, joinInts(m.Shards), joinInts(m.Missing))
}

// ShardWords says which part of the organisation a document covers, as
// reports put it after "Covers ": "shard 2/3 of the accounts", a merge
// (MergedShards.Describe); "" for all of it.
func ShardWords(s *Shard, m *MergedShards) string {
	switch {
	case m != nil:
		return m.Describe()
	case s != nil:
		return "shard " + s.String() + " of the accounts (--shard)"
	}
	return ""
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// ShardPart is one document to merge: its shard, its spec and a name for
// errors (the file it came from).
type ShardPart struct {
	Name  string
	Shard *Shard
	Spec  SpecRef
}

// CheckShardParts checks that documents can be merged: each was made by
// a shard (--shard), all of one spec (by SHA-256) and one total, no shard
// twice. It returns which shards they cover.
func CheckShardParts(parts []ShardPart) (*MergedShards, error) {
	if len(parts) == 0 {
		return nil, errors.New("merge: no documents")
	}
	first := parts[0]
	byIndex := map[int]string{}
	m := &MergedShards{}
	for _, p := range parts {
		if p.Shard == nil {
			return nil, fmt.Errorf("merge: %s was not made with --shard; only shard documents are merged (an unsharded one already covers every shard)", p.Name)
		}
		if err := p.Shard.Validate(); err != nil {
			return nil, fmt.Errorf("merge: %s: %w", p.Name, err)
		}
		if p.Spec.SHA256 != first.Spec.SHA256 || p.Spec.Name != first.Spec.Name {
			return nil, fmt.Errorf("merge: %s is of spec %s (sha256 %s) but %s is of spec %s (sha256 %s); only documents of one spec are merged",
				p.Name, display(p.Spec.Name), shortHash(p.Spec.SHA256), first.Name, display(first.Spec.Name), shortHash(first.Spec.SHA256))
		}
		if p.Shard.Total != first.Shard.Total {
			return nil, fmt.Errorf("merge: %s is shard %s but %s is shard %s; shards of different totals overlap", p.Name, p.Shard, first.Name, first.Shard)
		}
		if other, dup := byIndex[p.Shard.Index]; dup {
			return nil, fmt.Errorf("merge: %s and %s are both shard %s", other, p.Name, p.Shard)
		}
		byIndex[p.Shard.Index] = p.Name
		m.Shards = append(m.Shards, p.Shard.Index)
	}
	m.Total = first.Shard.Total
	sort.Ints(m.Shards)
	m.Missing = []int{}
	for i := 1; i <= m.Total; i++ {
		if !slices.Contains(m.Shards, i) {
			m.Missing = append(m.Missing, i)
		}
	}
	return m, nil
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return display(h)
}

// mergeErrors joins scope errors, each once, sorted by scope.
func mergeErrors(lists ...[]ScopeError) []ScopeError {
	seen := map[ScopeError]bool{}
	var out []ScopeError
	for _, l := range lists {
		for _, e := range l {
			if !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	return sortedErrors(out)
}

// MergePlans combines the plans of shards (CheckShardParts) into one plan
// for reading: changes, notes, errors and accounts of all of them, in the
// order an unsharded plan has them. The result records the shards in
// Merged and has no ID: it is a report, never applied (PrepareSaved and
// Apply refuse it); each shard applies its own plan.
func MergePlans(names []string, plans []*Plan) (*Plan, error) {
	if len(names) != len(plans) {
		return nil, errors.New("merge: one name per plan")
	}
	parts := make([]ShardPart, len(plans))
	for i, p := range plans {
		if p.Merged != nil {
			return nil, fmt.Errorf("merge: %s is a merged plan already; merge the shards' own plans", names[i])
		}
		parts[i] = ShardPart{Name: names[i], Shard: p.Shard, Spec: p.Spec}
	}
	m, err := CheckShardParts(parts)
	if err != nil {
		return nil, err
	}
	out := &Plan{FormatVersion: PlanFormatVersion, Spec: plans[0].Spec, Merged: m}
	seenAccount := map[string]string{}
	seenAddr := map[Addr]string{}
	var errs [][]ScopeError
	for i, p := range plans {
		for _, a := range p.Accounts {
			if other, dup := seenAccount[a.ID]; dup {
				return nil, fmt.Errorf("merge: account %s is in both %s and %s; the plans overlap", a.ID, other, names[i])
			}
			seenAccount[a.ID] = names[i]
			out.Accounts = append(out.Accounts, a)
		}
		for _, c := range p.Changes {
			if c == nil {
				continue
			}
			if other, dup := seenAddr[c.Addr]; dup {
				return nil, fmt.Errorf("merge: %s is changed in both %s and %s; the plans overlap", c.Addr, other, names[i])
			}
			seenAddr[c.Addr] = names[i]
			out.Changes = append(out.Changes, c)
		}
		out.Notes = append(out.Notes, p.Notes...)
		if len(p.Targets) > 0 {
			out.Targets = sortedUnique(append(out.Targets, p.Targets...))
		}
		errs = append(errs, p.Errors)
	}
	out.Accounts = sortedAccounts(out.Accounts)
	sort.SliceStable(out.Changes, func(i, j int) bool { return ChangeLess(out.Changes[i], out.Changes[j]) })
	out.Notes = sortedNotes(out.Notes)
	out.Errors = mergeErrors(errs...)
	return out, nil
}

// ErrMergedPlan refuses to apply a merged plan.
var ErrMergedPlan = errors.New("this is a merged report of shard plans (flowplan show --merge), which is never applied: apply each shard's own plan file")

// MergeAudits combines the audits of shards (CheckShardParts) into one: the
// units, accounts and errors of all of them, with every count worked out
// again from the units (Audit.Count), never added up from the parts. The
// audits must have been asked for alike (options, evidence age).
func MergeAudits(names []string, audits []*Audit) (*Audit, error) {
	if len(names) != len(audits) {
		return nil, errors.New("merge: one name per audit")
	}
	parts := make([]ShardPart, len(audits))
	for i, a := range audits {
		if a.Merged != nil {
			return nil, fmt.Errorf("merge: %s is a merged audit already; merge the shards' own audits", names[i])
		}
		parts[i] = ShardPart{Name: names[i], Shard: a.Shard, Spec: a.Spec}
	}
	m, err := CheckShardParts(parts)
	if err != nil {
		return nil, err
	}
	first := audits[0]
	out := &Audit{Spec: first.Spec, Options: first.Options, Evidence: first.Evidence, Controls: first.Controls, Merged: m}
	seenAccount := map[string]string{}
	seenUnit := map[Addr]string{}
	regions := map[string]bool{}
	var errs [][]ScopeError
	for i, a := range audits {
		if !slices.Equal(a.Options.Targets, first.Options.Targets) || a.Options.AllVPCs != first.Options.AllVPCs {
			return nil, fmt.Errorf("merge: %s was audited with other options (--all-vpcs, --target) than %s; only audits asked for alike are merged", names[i], names[0])
		}
		if (a.Evidence == nil) != (first.Evidence == nil) || (a.Evidence != nil && a.Evidence.MaxAge != first.Evidence.MaxAge) {
			return nil, fmt.Errorf("merge: %s was audited with other evidence options (--evidence, --max-age) than %s; only audits asked for alike are merged", names[i], names[0])
		}
		for _, acct := range a.Accounts {
			if other, dup := seenAccount[acct.ID]; dup {
				return nil, fmt.Errorf("merge: account %s is in both %s and %s; the audits overlap", acct.ID, other, names[i])
			}
			seenAccount[acct.ID] = names[i]
			out.Accounts = append(out.Accounts, acct)
		}
		for _, u := range a.Units {
			if other, dup := seenUnit[u.Addr]; dup {
				return nil, fmt.Errorf("merge: unit %s is in both %s and %s; the audits overlap", u.Addr, other, names[i])
			}
			seenUnit[u.Addr] = names[i]
			out.Units = append(out.Units, u)
		}
		for _, r := range a.Regions {
			regions[r] = true
		}
		out.EvidenceCalls += a.EvidenceCalls
		errs = append(errs, a.Errors)
	}
	out.Accounts = sortedAccounts(out.Accounts)
	sort.SliceStable(out.Units, func(i, j int) bool { return out.Units[i].Addr.Less(out.Units[j].Addr) })
	for r := range regions {
		out.Regions = append(out.Regions, r)
	}
	sort.Strings(out.Regions)
	out.Errors = mergeErrors(errs...)
	out.Count()
	return out, nil
}
