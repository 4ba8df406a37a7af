// Package iampolicy parses, validates and evaluates IAM policy documents for the AWS emulator.
//
// It models the parts of the IAM policy language that flow log delivery and
// cross-account access depend on: Allow and Deny statements, Action/NotAction,
// Resource/NotResource, Principal/NotPrincipal, and the condition operators of
// the "IAM JSON policy elements: Condition operators" page of the IAM user
// guide. It is written from AWS's documentation and shares no code with
// flowplan's provider.
package iampolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Kind says where a policy document is attached, which decides the elements
// it must and must not have.
type Kind int

const (
	// Identity is an inline or managed policy attached to a role: no
	// Principal, Resource required.
	Identity Kind = iota
	// Trust is a role's trust (assume-role) policy: Principal required, no
	// Resource.
	Trust
	// ResourceBased is a resource policy such as an S3 bucket policy:
	// Principal and Resource required.
	ResourceBased
)

// Effect is a statement's Effect.
type Effect string

// The two statement effects.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Policy is a parsed policy document.
type Policy struct {
	// Version is the policy language version ("2012-10-17", "2008-10-17" or empty).
	Version string
	// Statements are in document order.
	Statements []Statement
}

// Statement is one policy statement.
type Statement struct {
	Sid          string
	Effect       Effect
	Principal    *Principal
	NotPrincipal *Principal
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	Conditions   []Condition
}

// Principal is a Principal or NotPrincipal element.
type Principal struct {
	// Any is true for "Principal": "*" (or {"AWS": "*"}).
	Any bool
	// AWS, Service, Federated and CanonicalUser hold the listed identifiers.
	AWS, Service, Federated, CanonicalUser []string
}

// Condition is one operator/key/values triple of a Condition block.
type Condition struct {
	// Operator is as written, for example "ForAnyValue:StringLikeIfExists".
	Operator string
	// Key is the condition key, for example "aws:SourceAccount".
	Key string
	// Values are the values to compare with; booleans and numbers are kept
	// as their JSON text.
	Values []string
}

// Problem classifies why a document was refused, so that each service can
// answer with its own error message.
type Problem int

// The problems Validate reports.
const (
	ProblemSyntax Problem = iota + 1
	ProblemVersion
	ProblemMissingStatement
	ProblemEffect
	ProblemMissingAction
	ProblemActionVendor
	ProblemMissingResource
	ProblemProhibitedResource
	ProblemMissingPrincipal
	ProblemProhibitedPrincipal
	ProblemPrincipal
	ProblemConditionOperator
	ProblemDuplicateSid
)

// Error is a validation failure.
type Error struct {
	Problem Problem
	// Detail names the offending element.
	Detail string
}

func (e *Error) Error() string { return e.Detail }

func problem(p Problem, format string, args ...any) *Error {
	return &Error{Problem: p, Detail: fmt.Sprintf(format, args...)}
}

// Parse parses a policy document without checking which elements its kind
// requires. It fails on anything that is not a well-typed policy document.
func Parse(doc string) (*Policy, error) {
	var top map[string]json.RawMessage
	if err := decodeStrict(doc, &top); err != nil {
		return nil, problem(ProblemSyntax, "policy is not a JSON object: %v", err)
	}
	p := &Policy{}
	for key, raw := range top {
		switch key {
		case "Version":
			if err := json.Unmarshal(raw, &p.Version); err != nil {
				return nil, problem(ProblemSyntax, "Version must be a string")
			}
		case "Id":
		case "Statement":
			stmts, err := parseStatements(raw)
			if err != nil {
				return nil, err
			}
			p.Statements = stmts
		default:
			return nil, problem(ProblemSyntax, "unknown policy element %q", key)
		}
	}
	if _, ok := top["Statement"]; !ok {
		return nil, problem(ProblemMissingStatement, "policy has no Statement")
	}
	return p, nil
}

func decodeStrict(doc string, v any) error {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON object")
	}
	return nil
}

func parseStatements(raw json.RawMessage) ([]Statement, error) {
	raw = bytes.TrimSpace(raw)
	var objs []map[string]json.RawMessage
	if len(raw) > 0 && raw[0] == '{' {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, problem(ProblemSyntax, "Statement must be an object or a list of objects")
		}
		objs = append(objs, one)
	} else if err := json.Unmarshal(raw, &objs); err != nil {
		return nil, problem(ProblemSyntax, "Statement must be an object or a list of objects")
	}
	out := make([]Statement, 0, len(objs))
	for i, obj := range objs {
		s, err := parseStatement(obj)
		if err != nil {
			err.Detail = fmt.Sprintf("statement %d: %s", i+1, err.Detail)
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func parseStatement(obj map[string]json.RawMessage) (Statement, *Error) {
	var s Statement
	for key, raw := range obj {
		var err *Error
		switch key {
		case "Sid":
			if json.Unmarshal(raw, &s.Sid) != nil {
				err = problem(ProblemSyntax, "Sid must be a string")
			}
		case "Effect":
			var e string
			if json.Unmarshal(raw, &e) != nil {
				err = problem(ProblemSyntax, "Effect must be a string")
			}
			s.Effect = Effect(e)
		case "Principal":
			s.Principal, err = parsePrincipal(raw)
		case "NotPrincipal":
			s.NotPrincipal, err = parsePrincipal(raw)
		case "Action":
			s.Action, err = stringOrList(key, raw)
		case "NotAction":
			s.NotAction, err = stringOrList(key, raw)
		case "Resource":
			s.Resource, err = stringOrList(key, raw)
		case "NotResource":
			s.NotResource, err = stringOrList(key, raw)
		case "Condition":
			s.Conditions, err = parseConditions(raw)
		default:
			err = problem(ProblemSyntax, "unknown statement element %q", key)
		}
		if err != nil {
			return s, err
		}
	}
	return s, nil
}

func stringOrList(name string, raw json.RawMessage) ([]string, *Error) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many, nil
	}
	return nil, problem(ProblemSyntax, "%s must be a string or a list of strings", name)
}

func parsePrincipal(raw json.RawMessage) (*Principal, *Error) {
	var star string
	if json.Unmarshal(raw, &star) == nil {
		if star != "*" {
			return nil, problem(ProblemPrincipal, "Principal must be \"*\" or an object, not %q", star)
		}
		return &Principal{Any: true}, nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil, problem(ProblemSyntax, "Principal must be \"*\" or an object")
	}
	p := &Principal{}
	for key, v := range obj {
		ids, err := stringOrList("Principal."+key, v)
		if err != nil {
			return nil, err
		}
		switch key {
		case "AWS":
			p.AWS = ids
		case "Service":
			p.Service = ids
		case "Federated":
			p.Federated = ids
		case "CanonicalUser":
			p.CanonicalUser = ids
		default:
			return nil, problem(ProblemPrincipal, "unknown principal type %q", key)
		}
	}
	if len(p.AWS) == 1 && p.AWS[0] == "*" {
		p.Any = true
	}
	return p, nil
}

func parseConditions(raw json.RawMessage) ([]Condition, *Error) {
	var block map[string]map[string]json.RawMessage
	if json.Unmarshal(raw, &block) != nil {
		return nil, problem(ProblemSyntax, "Condition must map operators to {key: values} objects")
	}
	var out []Condition
	for op, keys := range block {
		for key, v := range keys {
			values, err := conditionValues(v)
			if err != nil {
				return nil, problem(ProblemSyntax, "Condition %s %s: %s", op, key, err)
			}
			out = append(out, Condition{Operator: op, Key: key, Values: values})
		}
	}
	// Maps lose document order; sort so that evaluation and errors are
	// deterministic. Conditions are ANDed, so order does not change results.
	sort.Slice(out, func(i, j int) bool {
		if out[i].Operator != out[j].Operator {
			return out[i].Operator < out[j].Operator
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

func conditionValues(raw json.RawMessage) ([]string, error) {
	var items []json.RawMessage
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
	} else {
		items = []json.RawMessage{raw}
	}
	out := make([]string, 0, len(items))
	for _, item := range items {
		var s string
		if json.Unmarshal(item, &s) == nil {
			out = append(out, s)
			continue
		}
		var b bool
		if json.Unmarshal(item, &b) == nil {
			out = append(out, strconv.FormatBool(b))
			continue
		}
		var n json.Number
		if json.Unmarshal(item, &n) == nil {
			out = append(out, n.String())
			continue
		}
		return nil, fmt.Errorf("values must be strings, booleans or numbers")
	}
	return out, nil
}

// Validate parses doc and checks it against the rules for its kind, the way
// IAM and S3 do when a policy is put.
func Validate(doc string, kind Kind) (*Policy, error) {
	p, err := Parse(doc)
	if err != nil {
		return nil, err
	}
	if p.Version != "" && p.Version != "2012-10-17" && p.Version != "2008-10-17" {
		return nil, problem(ProblemVersion, "unsupported policy Version %q", p.Version)
	}
	if len(p.Statements) == 0 {
		return nil, problem(ProblemMissingStatement, "policy has no statements")
	}
	sids := map[string]bool{}
	for i, s := range p.Statements {
		if err := validateStatement(s, kind); err != nil {
			err.Detail = fmt.Sprintf("statement %d: %s", i+1, err.Detail)
			return nil, err
		}
		if s.Sid != "" {
			if sids[s.Sid] {
				return nil, problem(ProblemDuplicateSid, "duplicate Sid %q", s.Sid)
			}
			sids[s.Sid] = true
		}
	}
	return p, nil
}

func validateStatement(s Statement, kind Kind) *Error {
	if s.Effect != Allow && s.Effect != Deny {
		return problem(ProblemEffect, "Effect must be Allow or Deny, not %q", s.Effect)
	}
	if len(s.Action) == 0 && len(s.NotAction) == 0 {
		return problem(ProblemMissingAction, "statement has no Action or NotAction")
	}
	for _, a := range append(append([]string(nil), s.Action...), s.NotAction...) {
		if a != "*" && !strings.Contains(a, ":") {
			return problem(ProblemActionVendor, "action %q has no service prefix", a)
		}
	}
	hasResource := len(s.Resource) > 0 || len(s.NotResource) > 0
	hasPrincipal := s.Principal != nil || s.NotPrincipal != nil
	switch kind {
	case Identity:
		if hasPrincipal {
			return problem(ProblemProhibitedPrincipal, "an identity policy must not specify a principal")
		}
		if !hasResource {
			return problem(ProblemMissingResource, "statement has no Resource or NotResource")
		}
	case Trust:
		if !hasPrincipal {
			return problem(ProblemMissingPrincipal, "statement has no Principal")
		}
		if hasResource {
			return problem(ProblemProhibitedResource, "a trust policy must not specify a Resource")
		}
	case ResourceBased:
		if !hasPrincipal {
			return problem(ProblemMissingPrincipal, "statement has no Principal")
		}
		if !hasResource {
			return problem(ProblemMissingResource, "statement has no Resource or NotResource")
		}
	}
	for _, c := range s.Conditions {
		if _, err := parseOperator(c.Operator); err != nil {
			return problem(ProblemConditionOperator, "%s", err)
		}
	}
	return nil
}

// Size is the number of characters IAM counts against its policy size
// quotas: "IAM doesn't count white space when calculating the size of a policy".
func Size(doc string) int {
	n := 0
	for _, r := range doc {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			n++
		}
	}
	return n
}
