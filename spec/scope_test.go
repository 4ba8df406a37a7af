package spec

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScope(t *testing.T) {
	tests := []struct {
		file string
		want map[string][]RuleAccount // by rule
	}{
		{"../examples/quickstart.yaml", map[string][]RuleAccount{
			"all-vpcs-to-archive": {{ID: "111111111111", Alias: "prod", Regions: []string{"us-east-1", "eu-west-1"}},
				{ID: "222222222222", Alias: "staging", Regions: []string{"us-east-1", "eu-west-1"}}},
			"prod-transit-gateways": {{ID: "111111111111", Alias: "prod", Regions: []string{"us-east-1"}}},
		}},
		{"../examples/organization.yaml", map[string][]RuleAccount{
			"baseline-vpcs":        {{Organization: true, Regions: []string{"us-east-1", "eu-west-1"}}},
			"payments-attribution": {{ID: "123456789012", Regions: []string{"us-east-1"}}},
		}},
		{"../examples/central-s3-parquet.yaml", map[string][]RuleAccount{
			"org-vpcs": {{ID: "333333333333", Alias: "log-archive", Regions: []string{"us-east-1"}},
				{Organization: true, Regions: []string{"us-east-1", "us-east-2", "eu-west-1", "eu-central-1"}}},
		}},
	}
	for _, tt := range tests {
		s, err := Load(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		for i := range s.Rules {
			r := &s.Rules[i]
			want, ok := tt.want[r.Name]
			if !ok {
				continue
			}
			if diff := cmp.Diff(want, s.Scope(r)); diff != "" {
				t.Errorf("%s rule %s (-want +got):\n%s", tt.file, r.Name, diff)
			}
		}
	}
}
