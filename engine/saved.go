package engine

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/flowplan/flowplan/spec"
)

// A saved plan travels as a CI artifact that others may be able to write,
// so apply trusts nothing in it. PrepareSaved makes the plan again, from the
// spec the file names (checked by SHA-256) and from AWS, and applies the
// fresh version of each change the file lists: the file can narrow what
// apply does, never widen it. A change the fresh plan does not produce
// exactly (another action, another desired resource, another resource to
// act on) refuses the whole plan. Providers, in turn, check ownership
// against AWS just before they write (see Batch.Spec).

// NarrowError refuses a saved plan whose changes are not what the spec and
// AWS produce now: the file was edited, or the world changed since.
type NarrowError struct {
	// Mismatches are the changes that differ, sorted by address.
	Mismatches []Mismatch
}

// Mismatch is one saved change the fresh plan does not produce.
type Mismatch struct {
	Addr Addr
	// Why says how it differs: "the plan file says delete; the spec and AWS
	// give no change", ...
	Why string
}

func (e *NarrowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the saved plan does not match what the spec and AWS produce now, in %d change(s): it was edited, or is stale; nothing was applied, run plan again:", len(e.Mismatches))
	for _, m := range e.Mismatches {
		fmt.Fprintf(&b, "\n  %s: %s", m.Addr, m.Why)
	}
	return b.String()
}

// PrepareSaved checks a saved plan before it is applied and returns the
// plan to apply: the spec must be the file the plan was made from
// (CheckSpec); neither the saved plan nor a fresh discovery may have scope
// errors (CheckApplicable); every change must find the state it was
// planned from (CheckStale); and the plan made again from the spec and that
// discovery must produce each of the file's changes exactly. The plan
// returned holds those freshly made changes, with the saved plan's ID (so
// client tokens stay those of the reviewed plan) and the freshly resolved
// accounts, external IDs included (in memory only). A plan made with
// --shard is discovered and made again within its shard only, so that it
// stays there; opts.Shard, when set, must be the plan's.
func PrepareSaved(ctx context.Context, p Provider, s *spec.Spec, saved *Plan, opts Options) (*Plan, error) {
	if err := CheckSpec(saved, s); err != nil {
		return nil, err
	}
	if err := CheckApplicable(saved); err != nil {
		return nil, err
	}
	if err := CheckSavedShard(saved, opts.Shard); err != nil {
		return nil, err
	}
	opts.Shard = saved.Shard
	current, err := Discover(ctx, p, s, opts)
	if err != nil {
		return nil, err
	}
	if err := CheckStale(saved, current); err != nil {
		return nil, err
	}
	desired, err := Expand(s, current.Accounts, current)
	if err != nil {
		return nil, err
	}
	if saved.AdoptRoles {
		desired.adoptAllRoles()
	}
	fresh := Diff(current, desired)
	if err := CheckApplicable(fresh); err != nil {
		return nil, err
	}
	out, err := Narrow(saved, fresh)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Narrow returns the changes of fresh that saved lists, or a *NarrowError
// naming each saved change fresh does not produce exactly, or produces
// with a dependency saved does not include. The result has saved's ID and
// targets and fresh's accounts.
func Narrow(saved, fresh *Plan) (*Plan, error) {
	byAddr := make(map[Addr]*Change, len(fresh.Changes))
	for _, c := range fresh.Changes {
		byAddr[c.Addr] = c
	}
	listed := map[Addr]bool{}
	for _, c := range saved.Changes {
		if c != nil && c.Action != NoOp {
			listed[c.Addr] = true
		}
	}
	out := &Plan{FormatVersion: PlanFormatVersion, ID: saved.ID, Spec: fresh.Spec, Accounts: fresh.Accounts, Targets: saved.Targets, Shard: saved.Shard, AdoptRoles: saved.AdoptRoles}
	var bad []Mismatch
	for _, c := range saved.Changes {
		if c == nil || c.Action == NoOp {
			continue
		}
		f := byAddr[c.Addr]
		if why := mismatch(c, f); why != "" {
			bad = append(bad, Mismatch{Addr: c.Addr, Why: why})
			continue
		}
		for _, d := range f.DependsOn {
			if dep := byAddr[d]; dep != nil && !listed[d] {
				bad = append(bad, Mismatch{Addr: c.Addr, Why: fmt.Sprintf("it now depends on a change of %s (%s), which the plan file does not include", d, dep.Action)})
			}
		}
		out.Changes = append(out.Changes, f)
	}
	if len(bad) > 0 {
		sort.SliceStable(bad, func(i, j int) bool { return bad[i].Addr.Less(bad[j].Addr) })
		return nil, &NarrowError{Mismatches: bad}
	}
	sort.SliceStable(out.Changes, func(i, j int) bool { return ChangeLess(out.Changes[i], out.Changes[j]) })
	return out, nil
}

// CheckSavedShard refuses a --shard given with a saved plan that is not the
// plan's own: the plan is applied within the shard it was made for.
func CheckSavedShard(saved *Plan, flag *Shard) error {
	if saved.Shard != nil {
		if err := saved.Shard.Validate(); err != nil {
			return fmt.Errorf("the saved plan's %w", err)
		}
	}
	if flag == nil {
		return nil
	}
	switch {
	case saved.Shard == nil:
		return fmt.Errorf("--shard %s: the saved plan was made without --shard, for every account; apply it without --shard, or make a plan with --shard %s", flag, flag)
	case *saved.Shard != *flag:
		return fmt.Errorf("--shard %s: the saved plan is of shard %s; apply it without --shard, or with --shard %s", flag, saved.Shard, saved.Shard)
	}
	return nil
}

// mismatch says how the saved change c differs from the fresh one f, or "".
func mismatch(c, f *Change) string {
	switch {
	case f == nil || f.Action == NoOp:
		return fmt.Sprintf("the plan file says %s; the spec and AWS give no change there", c.Action)
	case c.Action != f.Action:
		return fmt.Sprintf("the plan file says %s; the spec and AWS give %s", c.Action, f.Action)
	case c.Order != "" && c.Order != f.Order:
		return fmt.Sprintf("the plan file says %s; the spec and AWS give %s", c.Order, f.Order)
	case idOf(c.Before) != idOf(f.Before):
		return fmt.Sprintf("the plan file acts on %s; the spec and AWS act on %s", display(idOf(c.Before)), display(idOf(f.Before)))
	case canonicalResource(c.After) != canonicalResource(f.After):
		return "the plan file's desired " + KindWords(c.Addr.Kind) + " is not the one the spec produces"
	}
	return ""
}

func idOf(r *Resource) string {
	if r == nil {
		return ""
	}
	return r.ID
}

// canonicalResource is a resource's normalised JSON, without its observed
// delivery status and its address (a fresh desired resource and the saved
// one are compared at the same address already).
func canonicalResource(r *Resource) string {
	if r == nil {
		return ""
	}
	n := Normalize(r)
	n.Addr = Addr{}
	if n.FlowLog != nil {
		f := *n.FlowLog
		f.Status = nil
		n.FlowLog = &f
	}
	b, err := json.Marshal(n)
	if err != nil {
		return "unencodable: " + err.Error()
	}
	return string(b)
}

// SignatureScheme prefixes every plan signature.
const SignatureScheme = "hmac-sha256:"

// ErrUnsigned and ErrBadSignature refuse a saved plan when a plan key is
// configured: a plan without a signature, or with one the key did not make.
var (
	ErrUnsigned     = errors.New("the plan file has no signature, and a plan key is set (FLOWPLAN_PLAN_KEY or --plan-key-file): make the plan again with the key")
	ErrBadSignature = errors.New("the plan file's signature does not match: it was changed after it was signed, or signed with another key")
)

// Sign sets plan.Signature to an HMAC-SHA256, made with key, of the plan's
// canonical form (its compact JSON without the signature).
func Sign(plan *Plan, key []byte) error {
	sum, err := planMAC(plan, key)
	if err != nil {
		return fmt.Errorf("sign plan: %w", err)
	}
	plan.Signature = SignatureScheme + hex.EncodeToString(sum)
	return nil
}

// Verify checks plan.Signature against key: ErrUnsigned without one,
// ErrBadSignature when it differs.
func Verify(plan *Plan, key []byte) error {
	if plan.Signature == "" {
		return ErrUnsigned
	}
	got, ok := strings.CutPrefix(plan.Signature, SignatureScheme)
	if !ok {
		return ErrBadSignature
	}
	mac, err := hex.DecodeString(got)
	if err != nil {
		return ErrBadSignature
	}
	want, err := planMAC(plan, key)
	if err != nil {
		return fmt.Errorf("verify plan: %w", err)
	}
	if !hmac.Equal(mac, want) {
		return ErrBadSignature
	}
	return nil
}

func planMAC(plan *Plan, key []byte) ([]byte, error) {
	if len(key) == 0 {
		return nil, errors.New("the plan key is empty")
	}
	p := *plan
	p.Signature = ""
	b, err := json.Marshal(&p)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write(b)
	return m.Sum(nil), nil
}
