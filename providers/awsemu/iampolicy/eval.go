package iampolicy

import (
	"cmp"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Caller is the principal a request is evaluated for.
type Caller struct {
	// Service is a service principal such as "vpc-flow-logs.amazonaws.com";
	// empty for AWS principals.
	Service string
	// Account is an AWS principal's account ID.
	Account string
	// Partition is the caller's partition (aws when empty): an account's
	// root principal is arn:PARTITION:iam::ACCOUNT:root.
	Partition string
	// ARNs are every ARN the AWS principal is known by: for a role session,
	// the role ARN and the assumed-role session ARN.
	ARNs []string
}

// Request is one authorization question.
type Request struct {
	Caller Caller
	// Action is "service:Action".
	Action string
	// Resource is the ARN acted on; empty for trust policies.
	Resource string
	// Context holds the single-valued condition keys present in the
	// request. Keys are matched case-insensitively, as IAM does.
	Context map[string]string
	// Sets holds the multivalued condition keys present in the request,
	// such as aws:TagKeys: the IAM user guide's "Single-valued vs.
	// multivalued context keys". A key with no values is absent.
	Sets map[string][]string
}

// Decision is the outcome of evaluating a policy.
type Decision int

// The three outcomes: no statement applies, an Allow applies, or a Deny applies.
const (
	NotApplicable Decision = iota
	Allowed
	Denied
)

func (d Decision) String() string {
	switch d {
	case Allowed:
		return "Allow"
	case Denied:
		return "Deny"
	}
	return "NotApplicable"
}

// Evaluate returns Denied when any statement denies, Allowed when one allows
// and none denies, and NotApplicable otherwise. A nil policy is NotApplicable.
func (p *Policy) Evaluate(r Request) Decision {
	out := NotApplicable
	if p == nil {
		return out
	}
	r.Context = r.withPrincipalKeys()
	for _, s := range p.Statements {
		if !s.applies(r) {
			continue
		}
		if s.Effect == Deny {
			return Denied
		}
		out = Allowed
	}
	return out
}

// withPrincipalKeys returns the request's condition keys plus the global
// keys AWS derives from the principal itself, unless the request sets them:
// aws:PrincipalAccount and aws:PrincipalArn (for a role session, the role's
// ARN, not the session's) for AWS principals, aws:PrincipalServiceName for
// service principals.
func (r Request) withPrincipalKeys() map[string]string {
	derived := map[string]string{}
	if r.Caller.Service != "" {
		derived["aws:PrincipalServiceName"] = r.Caller.Service
	}
	if r.Caller.Account != "" {
		derived["aws:PrincipalAccount"] = r.Caller.Account
	}
	if arn := principalARN(r.Caller.ARNs); arn != "" {
		derived["aws:PrincipalArn"] = arn
	}
	if len(derived) == 0 {
		return r.Context
	}
	out := make(map[string]string, len(r.Context)+len(derived))
	for k, v := range derived {
		if _, set := lookup(r.Context, k); !set {
			out[k] = v
		}
	}
	for k, v := range r.Context {
		out[k] = v
	}
	return out
}

// principalARN picks the ARN aws:PrincipalArn reports: a role's ARN when the
// caller is a role session, else its first ARN.
func principalARN(arns []string) string {
	for _, a := range arns {
		if strings.Contains(a, ":role/") {
			return a
		}
	}
	if len(arns) > 0 {
		return arns[0]
	}
	return ""
}

// IsAllowed reports whether the policies together allow r: at least one
// Allow and no Deny. Nil policies are skipped.
func IsAllowed(r Request, policies ...*Policy) bool {
	allowed := false
	for _, p := range policies {
		if p == nil {
			continue
		}
		switch p.Evaluate(r) {
		case Denied:
			return false
		case Allowed:
			allowed = true
		}
	}
	return allowed
}

func (s Statement) applies(r Request) bool {
	if s.Principal != nil && !s.Principal.matches(r.Caller) {
		return false
	}
	if s.NotPrincipal != nil && s.NotPrincipal.matches(r.Caller) {
		return false
	}
	if len(s.Action) > 0 && !anyMatch(s.Action, r.Action, true) {
		return false
	}
	if len(s.NotAction) > 0 && anyMatch(s.NotAction, r.Action, true) {
		return false
	}
	if len(s.Resource) > 0 && !anyMatch(s.Resource, r.Resource, false) {
		return false
	}
	if len(s.NotResource) > 0 && anyMatch(s.NotResource, r.Resource, false) {
		return false
	}
	for _, c := range s.Conditions {
		if !c.holdsFor(r.Context, r.Sets) {
			return false
		}
	}
	return true
}

func anyMatch(patterns []string, value string, fold bool) bool {
	for _, p := range patterns {
		if Glob(p, value, fold) {
			return true
		}
	}
	return false
}

func (p *Principal) matches(c Caller) bool {
	if p.Any {
		return true
	}
	if c.Service != "" {
		for _, s := range p.Service {
			if s == c.Service {
				return true
			}
		}
		return false
	}
	for _, id := range p.AWS {
		if id == "*" || id == c.Account || id == "arn:"+cmp.Or(c.Partition, "aws")+":iam::"+c.Account+":root" {
			return true
		}
		for _, arn := range c.ARNs {
			if id == arn {
				return true
			}
		}
	}
	return false
}

// Glob matches value against an IAM pattern where "*" matches any run of
// characters (including ":" and "/") and "?" matches one character. fold
// makes the match case-insensitive, as for actions.
func Glob(pattern, value string, fold bool) bool {
	if fold {
		pattern, value = strings.ToLower(pattern), strings.ToLower(value)
	}
	p, v := 0, 0
	star, mark := -1, 0
	for v < len(value) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == value[v]):
			p++
			v++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, v
			p++
		case star >= 0:
			p = star + 1
			mark++
			v = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// operator is a parsed condition operator.
type operator struct {
	base      string // e.g. "StringLike"
	ifExists  bool
	forAll    bool
	forAny    bool
	negated   bool
	compareFn func(policyValue, requestValue string) bool
}

func parseOperator(name string) (operator, error) {
	op := operator{}
	rest := name
	switch {
	case strings.HasPrefix(rest, "ForAllValues:"):
		op.forAll = true
		rest = strings.TrimPrefix(rest, "ForAllValues:")
	case strings.HasPrefix(rest, "ForAnyValue:"):
		op.forAny = true
		rest = strings.TrimPrefix(rest, "ForAnyValue:")
	}
	if strings.HasSuffix(rest, "IfExists") && rest != "IfExists" {
		op.ifExists = true
		rest = strings.TrimSuffix(rest, "IfExists")
	}
	op.base = rest
	fn, negated, ok := comparators(rest)
	if !ok {
		return op, fmt.Errorf("invalid condition operator %q", name)
	}
	if rest == "Null" && op.ifExists {
		return op, fmt.Errorf("invalid condition operator %q", name)
	}
	op.compareFn, op.negated = fn, negated
	return op, nil
}

func comparators(base string) (fn func(p, v string) bool, negated, ok bool) {
	switch base {
	case "StringEquals":
		return func(p, v string) bool { return p == v }, false, true
	case "StringNotEquals":
		return func(p, v string) bool { return p == v }, true, true
	case "StringEqualsIgnoreCase":
		return strings.EqualFold, false, true
	case "StringNotEqualsIgnoreCase":
		return strings.EqualFold, true, true
	case "StringLike":
		return func(p, v string) bool { return Glob(p, v, false) }, false, true
	case "StringNotLike":
		return func(p, v string) bool { return Glob(p, v, false) }, true, true
	case "ArnEquals", "ArnLike":
		return arnMatch, false, true
	case "ArnNotEquals", "ArnNotLike":
		return arnMatch, true, true
	case "Bool":
		return strings.EqualFold, false, true
	case "NumericEquals":
		return numeric(func(a, b float64) bool { return b == a }), false, true
	case "NumericNotEquals":
		return numeric(func(a, b float64) bool { return b == a }), true, true
	case "NumericLessThan":
		return numeric(func(a, b float64) bool { return b < a }), false, true
	case "NumericLessThanEquals":
		return numeric(func(a, b float64) bool { return b <= a }), false, true
	case "NumericGreaterThan":
		return numeric(func(a, b float64) bool { return b > a }), false, true
	case "NumericGreaterThanEquals":
		return numeric(func(a, b float64) bool { return b >= a }), false, true
	case "DateEquals":
		return date(func(a, b time.Time) bool { return b.Equal(a) }), false, true
	case "DateNotEquals":
		return date(func(a, b time.Time) bool { return b.Equal(a) }), true, true
	case "DateLessThan":
		return date(func(a, b time.Time) bool { return b.Before(a) }), false, true
	case "DateLessThanEquals":
		return date(func(a, b time.Time) bool { return !b.After(a) }), false, true
	case "DateGreaterThan":
		return date(func(a, b time.Time) bool { return b.After(a) }), false, true
	case "DateGreaterThanEquals":
		return date(func(a, b time.Time) bool { return !b.Before(a) }), false, true
	case "IpAddress":
		return ipMatch, false, true
	case "NotIpAddress":
		return ipMatch, true, true
	case "BinaryEquals":
		return func(p, v string) bool { return p == v }, false, true
	case "Null":
		return nil, false, true
	}
	return nil, false, false
}

// arnMatch compares ARNs component by component, as ArnLike does: each of
// the six colon-separated parts may hold wildcards, and the last part keeps
// any further colons.
func arnMatch(pattern, value string) bool {
	pp := strings.SplitN(pattern, ":", 6)
	vv := strings.SplitN(value, ":", 6)
	if len(pp) != 6 || len(vv) != 6 {
		return false
	}
	for i := range pp {
		if !Glob(pp[i], vv[i], false) {
			return false
		}
	}
	return true
}

func numeric(cmp func(policy, request float64) bool) func(p, v string) bool {
	return func(p, v string) bool {
		a, err1 := strconv.ParseFloat(p, 64)
		b, err2 := strconv.ParseFloat(v, 64)
		return err1 == nil && err2 == nil && cmp(a, b)
	}
}

func date(cmp func(policy, request time.Time) bool) func(p, v string) bool {
	return func(p, v string) bool {
		a, err1 := time.Parse(time.RFC3339, p)
		b, err2 := time.Parse(time.RFC3339, v)
		return err1 == nil && err2 == nil && cmp(a, b)
	}
}

func ipMatch(p, v string) bool {
	addr, err := netip.ParseAddr(v)
	if err != nil {
		return false
	}
	if prefix, err := netip.ParsePrefix(p); err == nil {
		return prefix.Contains(addr)
	}
	a, err := netip.ParseAddr(p)
	return err == nil && a == addr
}

// holds evaluates one condition against single-valued request keys.
func (c Condition) holds(ctx map[string]string) bool { return c.holdsFor(ctx, nil) }

// holdsFor evaluates one condition against the request's keys, following
// the IAM user guide: a key that is absent makes a condition false, except
// for ...IfExists operators and negated operators (StringNotEquals,
// ArnNotLike, ...), which are true, and ForAllValues, which is true for an
// empty set. For a multivalued key ForAllValues requires every request
// value to pass, ForAnyValue at least one; an operator without a set
// qualifier on a multivalued key is read as ForAnyValue (the guide advises
// against that use without defining it). A value passes when it matches one
// of the policy's values, or, for a negated operator, none of them.
func (c Condition) holdsFor(ctx map[string]string, sets map[string][]string) bool {
	op, err := parseOperator(c.Operator)
	if err != nil {
		return false // Validate refuses such documents; never allow on them.
	}
	values, present := lookupValues(ctx, sets, c.Key)
	if op.base == "Null" {
		want := len(c.Values) > 0 && strings.EqualFold(c.Values[0], "true")
		return want == !present
	}
	if !present {
		return op.ifExists || op.negated || op.forAll
	}
	passes := func(v string) bool {
		matched := false
		for _, pv := range c.Values {
			if op.compareFn(pv, v) {
				matched = true
				break
			}
		}
		return matched != op.negated
	}
	if op.forAll {
		for _, v := range values {
			if !passes(v) {
				return false
			}
		}
		return true
	}
	for _, v := range values {
		if passes(v) {
			return true
		}
	}
	return false
}

// lookupValues returns a key's values: its single value from ctx, or its
// set from sets; present is false when it has none.
func lookupValues(ctx map[string]string, sets map[string][]string, key string) (values []string, present bool) {
	if v, ok := lookup(ctx, key); ok {
		return []string{v}, true
	}
	for k, vs := range sets {
		if strings.EqualFold(k, key) && len(vs) > 0 {
			return vs, true
		}
	}
	return nil, false
}

func lookup(ctx map[string]string, key string) (string, bool) {
	if v, ok := ctx[key]; ok {
		return v, true
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}
