package spec

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// scopeAccount is an account a rule may create flow logs in, as far as the
// spec alone can tell. Organization members are unknown until discovery, so
// a rule that applies to "every account" of a spec with an organization gets
// one symbolic account standing for all of them.
type scopeAccount struct {
	id       string // empty for the symbolic organization account
	alias    string
	regions  []string // the regions flowplan manages in the account
	org      bool     // found through the organization
	symbolic bool
}

func (a scopeAccount) label() string {
	switch {
	case a.symbolic:
		return "organization accounts"
	case a.alias != "":
		return fmt.Sprintf("%s (%s)", a.alias, a.id)
	case a.org:
		return a.id + " (an organization member)"
	}
	return a.id
}

// scopeOf lists the accounts a rule may apply to.
func (l *loader) scopeOf(rs *ruleSrc) []scopeAccount {
	return scopeFor(&l.spec, rs.Accounts, rs.explicit)
}

// scopeFor lists the accounts a rule naming accounts (explicit) or not may
// apply to in spec s.
func scopeFor(s *Spec, accounts []string, explicit bool) []scopeAccount {
	org := s.Organization
	var out []scopeAccount
	if explicit {
		for _, id := range accounts {
			if a, ok := s.AccountByRef(id); ok {
				out = append(out, scopeAccount{id: a.ID, alias: a.Alias, regions: a.Regions})
			} else if org != nil {
				out = append(out, scopeAccount{id: id, regions: org.Regions, org: true})
			}
		}
		return out
	}
	for _, a := range s.Accounts {
		if a.ID != "" {
			out = append(out, scopeAccount{id: a.ID, alias: a.Alias, regions: a.Regions})
		}
	}
	if org != nil {
		out = append(out, scopeAccount{regions: org.Regions, org: true, symbolic: true})
	}
	return out
}

// regionsIn returns the regions the rule covers in account a: the rule's
// regions that the account has, or all of the account's.
func (rs *ruleSrc) regionsIn(a scopeAccount) []string {
	return ruleRegionsIn(rs.Regions, a.regions)
}

func ruleRegionsIn(rule, account []string) []string {
	if len(rule) == 0 {
		return account
	}
	var out []string
	for _, r := range rule {
		if slices.Contains(account, r) {
			out = append(out, r)
		}
	}
	return out
}

// RuleAccount is an account a rule may create flow logs in, as far as the
// spec alone can tell, with the regions the rule covers there.
type RuleAccount struct {
	// ID is the account ID; empty when Organization is set.
	ID string
	// Alias is the account's alias, if it has one.
	Alias string
	// Regions are the regions the rule covers in the account.
	Regions []string
	// Organization marks the stand-in for the organization's member
	// accounts, which only discovery finds (a rule that names no accounts,
	// in a spec with an organization).
	Organization bool
}

// Scope lists the accounts rule r may apply to, with the regions it covers
// in each, leaving out accounts where it covers none. It is the spec's
// reading of a rule's reach, the one its checks use; discovery later
// replaces the organization's stand-in with the members it finds.
func (s *Spec) Scope(r *Rule) []RuleAccount {
	var out []RuleAccount
	for _, a := range scopeFor(s, r.Accounts, len(r.Accounts) > 0) {
		regions := ruleRegionsIn(r.Regions, a.regions)
		if len(regions) == 0 {
			continue
		}
		out = append(out, RuleAccount{ID: a.id, Alias: a.alias, Regions: slices.Clone(regions), Organization: a.symbolic})
	}
	return out
}

// checkRuleRegions checks that a rule's regions are managed where it
// applies: in each account it lists, or in at least one account otherwise.
func (l *loader) checkRuleRegions(rs *ruleSrc, items []item) {
	for _, it := range items {
		if rs.explicit {
			for _, a := range rs.scope {
				if a.regions != nil && !slices.Contains(a.regions, it.val) {
					l.errorf(it.node, "%s.regions: %s is not among the regions of account %s: %s; add it there or remove it here",
						rs.path, it.val, a.label(), strings.Join(a.regions, ", "))
				}
			}
			continue
		}
		found := false
		for _, a := range rs.scope {
			found = found || slices.Contains(a.regions, it.val)
		}
		if !found && len(rs.scope) > 0 {
			l.errorf(it.node, "%s.regions: %s is not among the regions of any account or of the organization; add it to an account's regions", rs.path, it.val)
		}
	}
}

// longestID is a sample resource ID of the rule's longest kind.
func (rs *ruleSrc) longestID() string {
	prefix := ""
	kinds := rs.Targets.Kinds()
	if len(kinds) == 0 {
		kinds = TargetKinds
	}
	for _, k := range kinds {
		if p := idPrefixes[k]; len(p) > len(prefix) {
			prefix = p
		}
	}
	return prefix + "0123456789abcdef0"
}

// samplePlaceholders returns placeholder values for every account and region
// the rule covers, with the longest resource ID of its kinds, so that a log
// group template can be checked as AWS will see it.
func (rs *ruleSrc) samplePlaceholders() []Placeholders {
	var out []Placeholders
	for _, a := range rs.scope {
		id := a.id
		if a.symbolic {
			id = "000000000000"
		}
		for _, r := range rs.regionsIn(a) {
			out = append(out, Placeholders{AccountID: id, AccountAlias: a.alias, Region: r, Rule: rs.Name, ResourceID: rs.longestID()})
		}
	}
	if len(out) == 0 {
		out = append(out, Placeholders{AccountID: "000000000000", Region: "us-east-1", Rule: rs.Name, ResourceID: rs.longestID()})
	}
	return out
}

// regionsOtherThan lists the regions the rule covers other than r.
func (rs *ruleSrc) regionsOtherThan(r string) []string {
	var out []string
	for _, a := range rs.scope {
		for _, x := range rs.regionsIn(a) {
			if x != r && !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
	}
	slices.Sort(out)
	return out
}

// scopeOtherThan lists the accounts the rule covers other than id.
func (rs *ruleSrc) scopeOtherThan(id string) []scopeAccount {
	var out []scopeAccount
	for _, a := range rs.scope {
		if a.symbolic || a.id != id {
			out = append(out, a)
		}
	}
	return out
}

// labels joins the accounts' labels, for messages.
func labels(scope []scopeAccount) string {
	var out []string
	for _, a := range scope {
		out = append(out, a.label())
	}
	return strings.Join(out, ", ")
}

// accountsLabel describes the accounts where a rule applies, for messages;
// explicit says the rule lists them.
func accountsLabel(scope []scopeAccount, explicit bool) string {
	switch {
	case len(scope) == 0:
		return "no known account"
	case !explicit:
		return "every account: " + labels(scope)
	}
	return labels(scope)
}

// destinationKey names where a flow log of the rule on resource id in
// account a and region r would deliver, or "" when the destination is not
// known (it had errors).
func (rs *ruleSrc) destinationKey(a scopeAccount, region, id string) string {
	d := rs.Destination
	switch {
	case d.CloudWatchLogs != nil && d.CloudWatchLogs.LogGroup != "":
		acct := a.id
		if a.symbolic {
			acct = "{account_id}"
		}
		p := Placeholders{AccountID: acct, AccountAlias: a.alias, Region: region, Rule: rs.Name, ResourceID: id}
		return fmt.Sprintf("log group %s", Expand(d.CloudWatchLogs.LogGroup, p))
	case d.S3 != nil && d.S3.BucketARN != "":
		return fmt.Sprintf("%s/%s", d.S3.BucketARN, d.S3.Prefix)
	case d.Firehose != nil && d.Firehose.DeliveryStreamARN != "":
		return d.Firehose.DeliveryStreamARN
	}
	return ""
}

// checkDuplicates finds resources that two rules name by ID and send to the
// same destination: AWS would refuse the second flow log as a duplicate.
// The engine checks again once selectors are resolved.
func (l *loader) checkDuplicates() {
	type use struct {
		rs *ruleSrc
		it item
	}
	uses := map[string][]use{} // by kind and ID
	for _, rs := range l.rules {
		for _, k := range TargetKinds {
			for _, it := range rs.ids[k] {
				key := string(k) + "/" + it.val
				for _, prev := range uses[key] {
					if where := sameDestination(prev.rs, rs, it.val); where != "" {
						l.duplicate(prev.rs, rs, it, prev.it.node, where)
					}
				}
				uses[key] = append(uses[key], use{rs, it})
			}
		}
	}
}

func (l *loader) duplicate(a, b *ruleSrc, it item, firstNode *yaml.Node, where string) {
	l.errorf(it.node, "%s: %s is sent to the same destination by rule %q (%s) and rule %q (%s): %s; AWS refuses a second flow log with the same destination, so keep the ID in one rule",
		b.path, it.val, a.Name, l.posOf(firstNode), b.Name, l.posOf(it.node), where)
}

// sameDestination returns where two rules would both deliver flow logs of
// resource id, or "" when they never coincide.
func sameDestination(a, b *ruleSrc, id string) string {
	for _, sa := range a.scope {
		for _, sb := range b.scope {
			if sa.id != sb.id || sa.symbolic != sb.symbolic {
				continue
			}
			for _, r := range a.regionsIn(sa) {
				if !slices.Contains(b.regionsIn(sb), r) {
					continue
				}
				ka, kb := a.destinationKey(sa, r, id), b.destinationKey(sb, r, id)
				if ka != "" && ka == kb {
					return fmt.Sprintf("%s in %s, %s", ka, sa.label(), r)
				}
			}
		}
	}
	return ""
}
