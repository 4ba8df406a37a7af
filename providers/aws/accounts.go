package aws

import (
	"context"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/spec"
)

// orgPageSize is the largest page Organizations returns.
const orgPageSize = 20

// Accounts returns the spec's static accounts, in file order, followed by
// the organisation's active member accounts sorted by ID. A static account
// wins over the same account found in the organisation. An include_ous OU
// that cannot be listed is a problem for that OU; failing to list the
// organisation at all stops everything.
func (p *Provider) Accounts(ctx context.Context, s *spec.Spec) ([]engine.Account, []engine.ScopeError, error) {
	var out []engine.Account
	seen := map[string]bool{}
	for _, a := range s.Accounts {
		out = append(out, engine.Account{
			ID:         a.ID,
			Alias:      a.Alias,
			Regions:    slices.Clone(a.Regions),
			AssumeRole: a.AssumeRole,
			ExternalID: a.ExternalID,
			Source:     "accounts",
		})
		seen[a.ID] = true
	}
	if s.Organization == nil {
		return out, nil, nil
	}
	members, problems, err := p.orgMembers(ctx, s.Organization)
	if err != nil {
		return nil, problems, err
	}
	org := s.Organization
	caller := p.callerAccount(ctx)
	for _, m := range members {
		if seen[m.id] || slices.Contains(org.ExcludeAccounts, m.id) || !m.active {
			continue
		}
		seen[m.id] = true
		a := engine.Account{
			ID:         m.id,
			Regions:    slices.Clone(org.Regions),
			AssumeRole: arn.Role(arn.Partition(p.opts.Region), m.id, "/", org.AssumeRoleName),
			ExternalID: org.ExternalID,
			Source:     "organization",
		}
		if m.id == caller {
			// flowplan already runs in this account (usually the
			// management account, where the member role is rarely
			// deployed): use the current credentials as they are.
			a.AssumeRole, a.ExternalID = "", ""
		}
		out = append(out, a)
	}
	return out, problems, nil
}

// callerAccount returns the account of the base credentials, or "" when
// STS cannot say (the accounts are then all reached by AssumeRole).
func (p *Provider) callerAccount(ctx context.Context) string {
	id, err := p.baseAccount(ctx)
	if err != nil {
		return ""
	}
	return id
}

// baseAccount returns the account the base credentials belong to.
func (p *Provider) baseAccount(ctx context.Context) (string, error) {
	id, err := p.baseIdentity(ctx)
	if err != nil {
		return "", err
	}
	return aws.ToString(id.Account), nil
}

// baseIdentity asks STS, once per run, who the base credentials are: the
// account check of accounts without assume_role, the organization's own
// account and the audit's evidence header all use the one answer.
func (p *Provider) baseIdentity(ctx context.Context) (*sts.GetCallerIdentityOutput, error) {
	p.startOnce.Do(func() {
		c := sts.NewFromConfig(p.scopedConfig(callScope{account: "caller", region: p.opts.Region}, p.opts.Region, p.base.Credentials))
		p.startIdentity, p.startErr = c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	})
	return p.startIdentity, p.startErr
}

// orgMember is one organisation account as listed.
type orgMember struct {
	id     string
	active bool
}

// orgMembers lists the whole organisation, or the accounts under the
// include_ous OUs recursively, sorted by ID.
func (p *Provider) orgMembers(ctx context.Context, org *spec.Organization) ([]orgMember, []engine.ScopeError, error) {
	c := p.organizations()
	if len(org.IncludeOUs) == 0 {
		pg := organizations.NewListAccountsPaginator(c, &organizations.ListAccountsInput{MaxResults: aws.Int32(orgPageSize)})
		members, err := allPages(ctx, pg.HasMorePages, pg.NextPage, func(page *organizations.ListAccountsOutput) []orgMember {
			return mapped(page.Accounts, toMember)
		})
		if err != nil {
			return nil, nil, wrap("list accounts of", "the organization", err)
		}
		return sortMembers(members), nil, nil
	}
	var members []orgMember
	var problems []engine.ScopeError
	for _, ou := range org.IncludeOUs {
		got, err := p.ouMembers(ctx, c, ou)
		if err != nil {
			problems = append(problems, scopeError(ou, err))
			continue
		}
		members = append(members, got...)
	}
	return sortMembers(members), problems, nil
}

// ouMembers lists the accounts under an OU (or root) and, recursively, its
// child OUs.
func (p *Provider) ouMembers(ctx context.Context, c *organizations.Client, parent string) ([]orgMember, error) {
	apg := organizations.NewListAccountsForParentPaginator(c, &organizations.ListAccountsForParentInput{
		ParentId: aws.String(parent), MaxResults: aws.Int32(orgPageSize),
	})
	members, err := allPages(ctx, apg.HasMorePages, apg.NextPage, func(page *organizations.ListAccountsForParentOutput) []orgMember {
		return mapped(page.Accounts, toMember)
	})
	if err != nil {
		return nil, wrap("list accounts of", parent, err)
	}
	opg := organizations.NewListOrganizationalUnitsForParentPaginator(c, &organizations.ListOrganizationalUnitsForParentInput{
		ParentId: aws.String(parent), MaxResults: aws.Int32(orgPageSize),
	})
	ous, err := allPages(ctx, opg.HasMorePages, opg.NextPage, func(page *organizations.ListOrganizationalUnitsForParentOutput) []orgtypes.OrganizationalUnit {
		return page.OrganizationalUnits
	})
	if err != nil {
		return nil, wrap("list organizational units of", parent, err)
	}
	for _, ou := range ous {
		got, err := p.ouMembers(ctx, c, aws.ToString(ou.Id))
		if err != nil {
			return nil, err
		}
		members = append(members, got...)
	}
	return members, nil
}

func toMember(a orgtypes.Account) orgMember {
	return orgMember{id: aws.ToString(a.Id), active: accountActive(a)}
}

// accountActive reports whether an account can be managed: its State is
// ACTIVE, or, from endpoints that only send the older Status, that is
// ACTIVE. SUSPENDED, PENDING_CLOSURE, CLOSED and PENDING_ACTIVATION
// accounts are skipped.
func accountActive(a orgtypes.Account) bool {
	if a.State != "" {
		return a.State == orgtypes.AccountStateActive
	}
	return a.Status == orgtypes.AccountStatusActive
}

// sortMembers sorts by ID and drops repeats (an account under two listed OUs).
func sortMembers(m []orgMember) []orgMember {
	sort.Slice(m, func(i, j int) bool { return m[i].id < m[j].id })
	return slices.CompactFunc(m, func(a, b orgMember) bool { return a.id == b.id })
}
