// Package logformat parses, validates and canonicalises VPC Flow Logs record formats.
//
// A log format can be written three ways: the word "default", a string of
// ${field} references, or a list of field names. All three normalise to one
// canonical string, "${a} ${b} ...", with single spaces and no padding. The
// spec validator and the engine's diff both use Canonical, so a format that
// AWS returns spelled out compares equal to the "default" a user wrote.
//
// Field facts come from the VPC user guide's "Flow log records" page and the
// Transit Gateway guide's "Transit Gateway Flow Log records" page. The
// transit gateway field set is the one AWS's default transit gateway format
// uses ("--log-format includes all log fields for transit gateway resource
// types if you do not set which fields you want to include"). Fields whose
// version could only be confirmed from third-party material carry
// Unverified; they are accepted so that users are not blocked.
package logformat

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Target is the family of resource a flow log is attached to. VPC, subnet and
// network-interface flow logs share one field set; transit gateway and
// transit gateway attachment flow logs share another.
type Target int

const (
	// TargetVPC covers VPC, subnet and network interface flow logs.
	TargetVPC Target = iota
	// TargetTransitGateway covers transit gateway and attachment flow logs.
	TargetTransitGateway
)

func (t Target) String() string {
	if t == TargetTransitGateway {
		return "transit gateway"
	}
	return "VPC, subnet or network interface"
}

// Field describes one flow log record field.
type Field struct {
	// Name is the field name as written inside ${...}.
	Name string
	// Version is the flow log record version that introduced the field.
	Version int
	// VPC reports whether the field is valid on VPC, subnet and ENI flow logs.
	VPC bool
	// TransitGateway reports whether the field is valid on transit gateway flow logs.
	TransitGateway bool
	// Tag reports whether the field is a v11 tag field, which requires
	// TagFieldSpecifications on the flow log.
	Tag bool
	// Unverified marks fields whose version is not confirmed by an AWS page.
	Unverified bool
}

// Fits reports whether the field may be used on a flow log for target t.
func (f Field) Fits(t Target) bool {
	if t == TargetTransitGateway {
		return f.TransitGateway
	}
	return f.VPC
}

func vpc(v int, names ...string) []Field {
	out := make([]Field, len(names))
	for i, n := range names {
		out[i] = Field{Name: n, Version: v, VPC: true}
	}
	return out
}

func both(v int, names ...string) []Field {
	out := vpc(v, names...)
	for i := range out {
		out[i].TransitGateway = true
	}
	return out
}

func tgw(v int, names ...string) []Field {
	out := make([]Field, len(names))
	for i, n := range names {
		out[i] = Field{Name: n, Version: v, TransitGateway: true}
	}
	return out
}

// fields is every known field, in the order of AWS's "Available fields"
// tables. Fields shared by both families (srcaddr, packets, region, ...)
// appear in both AWS tables; they are listed once here with both flags.
var fields = concat(
	// Version 2: the default format, in its documented order.
	both(2, "version", "account-id"),
	vpc(2, "interface-id"),
	both(2, "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end"),
	vpc(2, "action"),
	both(2, "log-status"),
	// Version 3.
	vpc(3, "vpc-id", "subnet-id", "instance-id"),
	both(3, "tcp-flags", "type"),
	vpc(3, "pkt-srcaddr", "pkt-dstaddr"),
	// Version 4.
	both(4, "region"),
	vpc(4, "az-id", "sublocation-type", "sublocation-id"),
	// Version 5.
	both(5, "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction"),
	vpc(5, "traffic-path"),
	// Version 6: transit gateway flow logs.
	tgw(6, "resource-type", "tgw-id", "tgw-attachment-id", "tgw-src-vpc-account-id", "tgw-dst-vpc-account-id",
		"tgw-src-vpc-id", "tgw-dst-vpc-id", "tgw-src-subnet-id", "tgw-dst-subnet-id", "tgw-src-eni", "tgw-dst-eni",
		"tgw-src-az-id", "tgw-dst-az-id", "tgw-pair-attachment-id", "packets-lost-no-route", "packets-lost-blackhole",
		"packets-lost-mtu-exceeded", "packets-lost-ttl-expired"),
	// Version 7: ECS.
	vpc(7, "ecs-cluster-arn", "ecs-cluster-name", "ecs-container-instance-arn", "ecs-container-instance-id",
		"ecs-container-id", "ecs-second-container-id", "ecs-service-name", "ecs-task-definition-arn", "ecs-task-arn",
		"ecs-task-id"),
	// Version 8.
	vpc(8, "reject-reason"),
	// Version 9: the regional NAT gateway ID. Its version comes from
	// third-party material only (AWS's table could not be read).
	unverified(vpc(9, "resource-id")),
	// Version 10: VPC Encryption Controls. AWS's "Enforce VPC encryption in
	// transit" page documents the field; its version number comes from
	// third-party material only.
	unverified(vpc(10, "encryption-status")),
	// Version 11: tag fields; they need TagFieldSpecifications (the EC2 API
	// added TagFieldSpecifications to CreateFlowLogs on 2026-06-09).
	tags(vpc(11, "instance-tag", "instance-tag-2", "interface-tag", "interface-tag-2", "asg-tag", "asg-tag-2")),
	// Version 11 as well: interface type and next-hop metadata, announced
	// with the tag fields; known from a third-party write-up only.
	unverified(vpc(11, "interface-type", "next-hop-interface-id", "next-hop-subnet-id", "next-hop-az-id",
		"next-hop-vpc-id", "next-hop-interface-type")),
)

func concat(groups ...[]Field) []Field {
	var out []Field
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func unverified(fs []Field) []Field {
	for i := range fs {
		fs[i].Unverified = true
	}
	return fs
}

func tags(fs []Field) []Field {
	for i := range fs {
		fs[i].Tag = true
	}
	return fs
}

var byName = func() map[string]Field {
	m := make(map[string]Field, len(fields))
	for _, f := range fields {
		m[f.Name] = f
	}
	return m
}()

// Lookup returns the field with the given name.
func Lookup(name string) (Field, bool) {
	f, ok := byName[name]
	return f, ok
}

// Fields returns every known field in AWS's documented order.
func Fields() []Field {
	return append([]Field(nil), fields...)
}

// Names returns every known field name, sorted, for "did you mean" hints and
// the JSON Schema.
func Names() []string {
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		out = append(out, f.Name)
	}
	sort.Strings(out)
	return out
}

// DefaultVPC is AWS's version-2 default format, which DescribeFlowLogs
// returns for VPC, subnet and ENI flow logs created without a LogFormat.
const DefaultVPC = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} " +
	"${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"

// DefaultTransitGateway is the format a transit gateway flow log gets when
// created without a LogFormat: "all log fields for transit gateway resource
// types", in the order of the Transit Gateway Flow Log records table.
const DefaultTransitGateway = "${version} ${resource-type} ${account-id} ${tgw-id} ${tgw-attachment-id} " +
	"${tgw-src-vpc-account-id} ${tgw-dst-vpc-account-id} ${tgw-src-vpc-id} ${tgw-dst-vpc-id} " +
	"${tgw-src-subnet-id} ${tgw-dst-subnet-id} ${tgw-src-eni} ${tgw-dst-eni} ${tgw-src-az-id} ${tgw-dst-az-id} " +
	"${tgw-pair-attachment-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} " +
	"${start} ${end} ${log-status} ${type} ${packets-lost-no-route} ${packets-lost-blackhole} " +
	"${packets-lost-mtu-exceeded} ${packets-lost-ttl-expired} ${tcp-flags} ${region} ${flow-direction} " +
	"${pkt-src-aws-service} ${pkt-dst-aws-service}"

// Default returns the default format for target t.
func Default(t Target) string {
	if t == TargetTransitGateway {
		return DefaultTransitGateway
	}
	return DefaultVPC
}

// ErrorKind classifies a log format problem, so that callers can report
// syntax and unknown fields once but target mismatches per flow log.
type ErrorKind int

const (
	// ErrSyntax is a malformed format string.
	ErrSyntax ErrorKind = iota
	// ErrUnknown is a field name AWS does not define.
	ErrUnknown
	// ErrDuplicate is a field listed more than once.
	ErrDuplicate
	// ErrTarget is a field that does not fit the flow log's target family.
	ErrTarget
)

// Error is a problem with a log format. Field is the offending field name and
// Index its position among the fields, when there is one (Index is -1 for
// syntax errors).
type Error struct {
	Kind  ErrorKind
	Field string
	Index int
	Msg   string
}

func (e *Error) Error() string { return e.Msg }

// Parse splits a ${field} format string into field names. It accepts any run
// of spaces, tabs or newlines between references (YAML folded strings produce
// them) and rejects anything else: text outside ${...}, empty or unterminated
// references, and the HCL-style "$${field}" escape.
func Parse(s string) ([]string, error) {
	var names []string
	rest := s
	for {
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" {
			break
		}
		if strings.HasPrefix(rest, "$${") {
			return nil, &Error{Index: -1, Msg: `"$${" is Terraform's escape; write "${field}" in a flowplan spec`}
		}
		if !strings.HasPrefix(rest, "${") {
			word := rest
			if i := strings.IndexAny(word, " \t\r\n"); i >= 0 {
				word = word[:i]
			}
			return nil, &Error{Field: word, Index: -1, Msg: fmt.Sprintf("%q is not a ${field} reference", word)}
		}
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return nil, &Error{Index: -1, Msg: fmt.Sprintf("unterminated reference %q: missing \"}\"", rest)}
		}
		name := rest[2:end]
		if name == "" {
			return nil, &Error{Index: -1, Msg: "empty reference \"${}\""}
		}
		names = append(names, name)
		rest = rest[end+1:]
		if rest != "" && !strings.ContainsAny(rest[:1], " \t\r\n") {
			return nil, &Error{Index: -1, Msg: fmt.Sprintf("references must be separated by spaces, found %q after ${%s}", rest[:1], name)}
		}
	}
	if len(names) == 0 {
		return nil, &Error{Index: -1, Msg: "a log format needs at least one field"}
	}
	return names, nil
}

// Join renders field names as a canonical format string.
func Join(names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("${")
		b.WriteString(n)
		b.WriteByte('}')
	}
	return b.String()
}

// Format is a parsed and validated log format.
type Format struct {
	// Fields are the field names in record order.
	Fields []string
	// Version is the record version: the highest version among the fields.
	Version int
	// HasTagFields reports whether a v11 tag field is present.
	HasTagFields bool
}

// String returns the canonical format string.
func (f Format) String() string { return Join(f.Fields) }

// Check validates field names for target t: there must be at least one,
// every field must be known, fit the target, and appear once. It returns
// every problem found.
func Check(names []string, t Target) (Format, []error) {
	if len(names) == 0 {
		return Format{}, []error{&Error{Index: -1, Msg: "a log format needs at least one field"}}
	}
	var errs []error
	out := Format{Fields: names}
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		f, ok := byName[n]
		switch {
		case !ok:
			msg := fmt.Sprintf("unknown log format field %q", n)
			if s := Suggest(n, Names()); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			errs = append(errs, &Error{Kind: ErrUnknown, Field: n, Index: i, Msg: msg})
			continue
		case seen[n]:
			errs = append(errs, &Error{Kind: ErrDuplicate, Field: n, Index: i, Msg: fmt.Sprintf("log format field %q appears more than once", n)})
		case !f.Fits(t):
			other := TargetTransitGateway
			if t == TargetTransitGateway {
				other = TargetVPC
			}
			errs = append(errs, &Error{Kind: ErrTarget, Field: n, Index: i,
				Msg: fmt.Sprintf("log format field %q is only valid on %s flow logs, not on %s flow logs", n, other, t)})
		}
		seen[n] = true
		if f.Version > out.Version {
			out.Version = f.Version
		}
		if f.Tag {
			out.HasTagFields = true
		}
	}
	return out, errs
}

// Canonical normalises a format string as AWS or a user wrote it: "default"
// or "" become the default for t, and any whitespace between references
// becomes one space. It does not check field names; use Check for that.
func Canonical(s string, t Target) (string, error) {
	trimmed := strings.TrimSpace(s)
	if trimmed == "" || trimmed == "default" {
		return Default(t), nil
	}
	names, err := Parse(trimmed)
	if err != nil {
		return "", err
	}
	return Join(names), nil
}

// Suggest returns the candidate closest to s by edit distance, or "" when
// none is close enough to be a likely typo.
func Suggest(s string, candidates []string) string {
	best, bestD := "", len(s)/2+2
	for _, c := range candidates {
		if d := distance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// Closest returns at most n of the candidates, nearest to s by edit
// distance first (ties keep the candidates' order), for "one of: ..."
// lists that must stay short however many candidates there are.
func Closest(s string, candidates []string, n int) []string {
	type scored struct {
		c string
		d int
	}
	all := make([]scored, len(candidates))
	for i, c := range candidates {
		all[i] = scored{c, distance(s, c)}
	}
	slices.SortStableFunc(all, func(a, b scored) int { return cmp.Compare(a.d, b.d) })
	out := make([]string, 0, min(n, len(all)))
	for _, x := range all[:min(n, len(all))] {
		out = append(out, x.c)
	}
	return out
}

// Distance is the Levenshtein distance between a and b: the fewest
// one-byte insertions, deletions and substitutions that turn one into the
// other.
func Distance(a, b string) int { return distance(a, b) }

// Nearest returns up to n of the candidates closest to s, as Closest does,
// leaving out those further than half of s's length: suggestions for a
// typo, not a list of everything.
func Nearest(s string, candidates []string, n int) []string {
	limit := len(s)/2 + 2
	var near []string
	for _, c := range candidates {
		if distance(s, c) < limit {
			near = append(near, c)
		}
	}
	return Closest(s, near, n)
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
