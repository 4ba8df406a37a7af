package logformat

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "${version} ${srcaddr}", want: []string{"version", "srcaddr"}},
		{in: "  ${a}\t${b}\n${c}  ", want: []string{"a", "b", "c"}},
		{in: "${tgw-id}", want: []string{"tgw-id"}},
		{in: "", wantErr: "at least one field"},
		{in: "   ", wantErr: "at least one field"},
		{in: "$${version}", wantErr: "Terraform's escape"},
		{in: "version srcaddr", wantErr: `"version" is not a ${field} reference`},
		{in: "${version", wantErr: "unterminated reference"},
		{in: "${}", wantErr: "empty reference"},
		{in: "${a}${b}", wantErr: `separated by spaces, found "$" after ${a}`},
		{in: "${a},${b}", wantErr: `found "," after ${a}`},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.wantErr != "" {
			var fe *Error
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &fe) || fe.Index != -1 || fe.Kind != ErrSyntax {
				t.Errorf("Parse(%q) error = %#v, want a syntax *Error containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestCheck(t *testing.T) {
	type problem struct {
		Kind  ErrorKind
		Field string
		Index int
	}
	tests := []struct {
		name        string
		fields      []string
		target      Target
		want        []problem
		wantVersion int
		wantTags    bool
	}{
		{name: "v2 vpc", fields: []string{"version", "srcaddr", "action"}, target: TargetVPC, wantVersion: 2},
		{name: "highest version wins", fields: []string{"srcaddr", "vpc-id", "flow-direction"}, target: TargetVPC, wantVersion: 5},
		{name: "ecs v7", fields: []string{"ecs-task-id"}, target: TargetVPC, wantVersion: 7},
		{name: "reject reason v8", fields: []string{"reject-reason"}, target: TargetVPC, wantVersion: 8},
		{name: "resource-id v9", fields: []string{"resource-id"}, target: TargetVPC, wantVersion: 9},
		{name: "encryption v10", fields: []string{"encryption-status"}, target: TargetVPC, wantVersion: 10},
		{name: "tag fields v11", fields: []string{"srcaddr", "instance-tag-2"}, target: TargetVPC, wantVersion: 11, wantTags: true},
		{name: "next hop v11 is not a tag field", fields: []string{"next-hop-vpc-id"}, target: TargetVPC, wantVersion: 11},
		{name: "shared fields fit tgw", fields: []string{"version", "srcaddr", "region", "tcp-flags"}, target: TargetTransitGateway, wantVersion: 4},
		{name: "tgw fields", fields: []string{"tgw-id", "packets-lost-mtu-exceeded"}, target: TargetTransitGateway, wantVersion: 6},
		{name: "tgw field on vpc", fields: []string{"srcaddr", "tgw-id"}, target: TargetVPC, wantVersion: 6,
			want: []problem{{ErrTarget, "tgw-id", 1}}},
		{name: "vpc fields on tgw", fields: []string{"action", "interface-id", "traffic-path"}, target: TargetTransitGateway, wantVersion: 5,
			want: []problem{{ErrTarget, "action", 0}, {ErrTarget, "interface-id", 1}, {ErrTarget, "traffic-path", 2}}},
		{name: "unknown and duplicate", fields: []string{"srcadr", "dstaddr", "dstaddr"}, target: TargetVPC, wantVersion: 2,
			want: []problem{{ErrUnknown, "srcadr", 0}, {ErrDuplicate, "dstaddr", 2}}},
		{name: "empty", fields: nil, target: TargetVPC, want: []problem{{ErrSyntax, "", -1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, errs := Check(tt.fields, tt.target)
			var got []problem
			for _, err := range errs {
				var fe *Error
				if !errors.As(err, &fe) {
					t.Fatalf("error %v is %T, want *Error", err, err)
				}
				got = append(got, problem{fe.Kind, fe.Field, fe.Index})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if f.Version != tt.wantVersion || f.HasTagFields != tt.wantTags {
				t.Errorf("Version, HasTagFields = %d, %v; want %d, %v", f.Version, f.HasTagFields, tt.wantVersion, tt.wantTags)
			}
		})
	}
}

func TestCheckSuggests(t *testing.T) {
	_, errs := Check([]string{"srcadr"}, TargetVPC)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `did you mean "srcaddr"?`) {
		t.Errorf("Check(srcadr) = %v, want a suggestion of srcaddr", errs)
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		in     string
		target Target
		want   string
	}{
		{"default", TargetVPC, DefaultVPC},
		{" default\n", TargetTransitGateway, DefaultTransitGateway},
		{"", TargetVPC, DefaultVPC},
		{DefaultVPC, TargetVPC, DefaultVPC},
		{"${version}   ${srcaddr}\n", TargetVPC, "${version} ${srcaddr}"},
		{"\t${a}\n\n${b}", TargetVPC, "${a} ${b}"},
	}
	for _, tt := range tests {
		got, err := Canonical(tt.in, tt.target)
		if err != nil || got != tt.want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := Canonical("$${version}", TargetVPC); err == nil {
		t.Errorf("Canonical($${version}) succeeded, want an error")
	}
}

// TestDefaults checks the two default formats against the field table: the
// VPC default is exactly the version-2 VPC fields in table order, and the
// transit gateway default holds every field transit gateway flow logs accept.
func TestDefaults(t *testing.T) {
	var v2, tgw []string
	for _, f := range Fields() {
		if f.Version == 2 && f.VPC {
			v2 = append(v2, f.Name)
		}
		if f.TransitGateway {
			tgw = append(tgw, f.Name)
		}
	}
	if got := Join(v2); got != DefaultVPC {
		t.Errorf("version-2 VPC fields = %q, want DefaultVPC %q", got, DefaultVPC)
	}
	names, err := Parse(DefaultTransitGateway)
	if err != nil {
		t.Fatal(err)
	}
	if f, errs := Check(names, TargetTransitGateway); len(errs) > 0 || f.Version != 6 {
		t.Errorf("DefaultTransitGateway: version %d, problems %v", f.Version, errs)
	}
	slices.Sort(names)
	slices.Sort(tgw)
	if diff := cmp.Diff(tgw, names); diff != "" {
		t.Errorf("DefaultTransitGateway vs transit gateway fields (-table +default):\n%s", diff)
	}
	if Default(TargetVPC) != DefaultVPC || Default(TargetTransitGateway) != DefaultTransitGateway {
		t.Errorf("Default returns the wrong constant")
	}
}

func TestFieldTable(t *testing.T) {
	names := Names()
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("Names() is not sorted and unique: %v", names)
	}
	for _, f := range Fields() {
		if !f.VPC && !f.TransitGateway {
			t.Errorf("field %s fits no target", f.Name)
		}
		if f.Tag && (f.Version != 11 || f.TransitGateway) {
			t.Errorf("tag field %s: version %d, transit gateway %v; want a v11 VPC-only field", f.Name, f.Version, f.TransitGateway)
		}
		if got, ok := Lookup(f.Name); !ok || got != f {
			t.Errorf("Lookup(%s) = %+v, %v", f.Name, got, ok)
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Errorf("Lookup(nope) found a field")
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"srcadr", "srcaddr"},
		{"tgw-idd", "tgw-id"},
		{"log_status", "log-status"},
		{"completely-different-thing", ""},
	}
	for _, tt := range tests {
		if got := Suggest(tt.in, Names()); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
