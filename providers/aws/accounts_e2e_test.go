package aws

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/spec"
)

// orgSeed is an organisation: root (a3) → prod (a1, suspended-a4) →
// prod-eu (a2).
var orgSeed = &seed{org: &seedOU{name: "root", accounts: []string{"a3"}, ous: []*seedOU{
	{name: "prod", accounts: []string{"a1", "suspended-a4"}, ous: []*seedOU{
		{name: "prod-eu", accounts: []string{"a2"}},
	}},
}}}

type testOrg struct {
	prod, prodEU   string
	a1, a2, a3, a4 string
}

func buildOrg(t *testing.T, be *backend, p *Provider) testOrg {
	ids := be.seed(t, p, orgSeed)
	return testOrg{prod: ids["prod"], prodEU: ids["prod-eu"], a1: ids["a1"], a2: ids["a2"], a3: ids["a3"], a4: ids["suspended-a4"]}
}

func TestAccounts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		p := newTestProvider(t, be)
		o := buildOrg(t, be, p)
		static := engine.Account{ID: o.a3, Alias: "shared", Regions: []string{"us-west-2"}, AssumeRole: "arn:aws:iam::" + o.a3 + ":role/admin", ExternalID: "x-123", Source: "accounts"}
		orgAccount := func(id string) engine.Account {
			return engine.Account{ID: id, Regions: []string{"eu-west-1", "us-east-1"}, AssumeRole: "arn:aws:iam::" + id + ":role/OrganizationAccountAccessRole", ExternalID: "ext", Source: "organization"}
		}
		newSpec := func(ous []string, exclude []string) *spec.Spec {
			return &spec.Spec{
				Name:     "test",
				Accounts: []spec.Account{{ID: o.a3, Alias: "shared", AssumeRole: static.AssumeRole, ExternalID: "x-123", Regions: []string{"us-west-2"}}},
				Organization: &spec.Organization{
					AssumeRoleName: "OrganizationAccountAccessRole", ExternalID: "ext",
					IncludeOUs: ous, ExcludeAccounts: exclude, Regions: []string{"eu-west-1", "us-east-1"},
				},
			}
		}
		sorted := func(ids ...string) []engine.Account {
			slices.Sort(ids)
			out := []engine.Account{static}
			for _, id := range ids {
				out = append(out, orgAccount(id))
			}
			return out
		}
		tests := []struct {
			name         string
			spec         *spec.Spec
			want         []engine.Account
			wantProblems []string
		}{
			{name: "whole organization, suspended skipped, static wins, exclusions",
				spec: newSpec(nil, []string{baseAccount}),
				want: sorted(o.a1, o.a2)},
			{name: "the caller's own account is used without AssumeRole",
				spec: newSpec(nil, nil),
				want: func() []engine.Account {
					want := sorted(o.a1, o.a2, baseAccount)
					for i := range want {
						if want[i].ID == baseAccount {
							want[i].AssumeRole, want[i].ExternalID = "", ""
						}
					}
					return want
				}()},
			{name: "include OUs recursively",
				spec: newSpec([]string{o.prod}, nil),
				want: sorted(o.a1, o.a2)},
			{name: "include a nested OU",
				spec: newSpec([]string{o.prodEU}, nil),
				want: sorted(o.a2)},
			{name: "an OU that does not exist is a problem, the others carry on",
				spec:         newSpec([]string{"ou-zzzz-doesnotexist", o.prodEU}, nil),
				want:         sorted(o.a2),
				wantProblems: []string{"ou-zzzz-doesnotexist"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, problems, err := p.Accounts(context.Background(), tt.spec)
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(tt.want, got); d != "" {
					t.Errorf("accounts (-want +got):\n%s", d)
				}
				var scopes []string
				for _, pr := range problems {
					scopes = append(scopes, pr.Scope)
					if pr.Code == "" || pr.Message == "" {
						t.Errorf("problem %+v lacks a code or message", pr)
					}
				}
				if d := cmp.Diff(tt.wantProblems, scopes); d != "" {
					t.Errorf("problem scopes (-want +got):\n%s", d)
				}
			})
		}
	})
}

func TestAccountsStaticOnlyMakesNoCalls(t *testing.T) {
	p, err := New(context.Background(), Options{EndpointURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	s := &spec.Spec{Name: "x", Accounts: []spec.Account{{ID: "111111111111", Regions: []string{"us-east-1"}}}}
	got, problems, err := p.Accounts(context.Background(), s)
	if err != nil || len(problems) > 0 {
		t.Fatalf("Accounts: %v %v", problems, err)
	}
	want := []engine.Account{{ID: "111111111111", Regions: []string{"us-east-1"}, Source: "accounts"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if n := p.Stats().Calls(); n != 0 {
		t.Errorf("made %d calls, want none", n)
	}
}

// An account without assume_role is worked on with the starting
// credentials only when they belong to it: used for another account,
// flowplan would read and write one account under another's addresses.
func TestStartingCredentialsMustBelongToTheAccount(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		p := newTestProvider(t, be)
		ctx := context.Background()
		own, err := p.baseAccount(ctx)
		if err != nil || len(own) != 12 {
			t.Fatalf("base account = %q, %v", own, err)
		}
		if _, err := p.session(ctx, engine.Account{ID: own, Regions: []string{testRegion}}); err != nil {
			t.Fatalf("the credentials' own account: %v", err)
		}
		other := "999999999999"
		if own == other {
			other = "888888888888"
		}
		_, err = p.session(ctx, engine.Account{ID: other, Regions: []string{testRegion}})
		want := "use the starting credentials for account " + other + ": they belong to account " + own
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("another account without assume_role: %v, want %q", err, want)
		}
	})
}
