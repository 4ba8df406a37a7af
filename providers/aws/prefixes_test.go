package aws

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLogGroupPrefixes(t *testing.T) {
	tests := []struct {
		name  string
		names []string
		want  []string
	}{
		{"none", nil, nil},
		{"one name is its own prefix", []string{"/vpc-flow-logs/111111111111/us-east-1"}, []string{"/vpc-flow-logs/111111111111/us-east-1"}},
		{"per-resource groups share a prefix",
			[]string{"/vpc-flow-logs/vpc-0a1", "/vpc-flow-logs/vpc-0b2", "/vpc-flow-logs/vpc-0c3"},
			[]string{"/vpc-flow-logs/vpc-0"}},
		{"different directories are read apart",
			[]string{"/aws/vpc/x", "/aws/lambda/y"},
			[]string{"/aws/lambda/y", "/aws/vpc/x"}},
		{"names diverging at the directory share it",
			[]string{"/vpc-flow-logs/prod", "/vpc-flow-logs/dev"},
			[]string{"/vpc-flow-logs/"}},
		{"root-level names with nothing in common are read one by one",
			[]string{"/a", "/b"},
			[]string{"/a", "/b"}},
		{"names without slashes share a common stem",
			[]string{"flowlogs-prod", "flowlogs-dev"},
			[]string{"flowlogs-"}},
		{"names without slashes and no stem are read one by one",
			[]string{"alpha", "beta"},
			[]string{"alpha", "beta"}},
		{"a covered prefix is dropped",
			[]string{"/logs/a", "/logs/a/b/c"},
			[]string{"/logs/a"}},
		{"duplicates and empty names",
			[]string{"/x/y", "/x/y", ""},
			[]string{"/x/y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, logGroupPrefixes(tt.names)); d != "" {
				t.Errorf("logGroupPrefixes(%q) (-want +got):\n%s", tt.names, d)
			}
		})
	}
}

func TestDescribePrefixes(t *testing.T) {
	got := describePrefixes([]string{"/vpc-flow-logs/prod/us-east-1", "/other/a"}, []string{"/vpc-flow-logs/", "/zeta/"})
	want := []string{"/other/a", "/vpc-flow-logs/", "/zeta/"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("describePrefixes (-want +got):\n%s", d)
	}
}
