package aws

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/flowplan/flowplan/engine"
)

// Codes of the ScopeErrors checkRegion returns.
const (
	// CodeRegionNotEnabled: the account has the region, but has not
	// enabled (opted in to) it.
	CodeRegionNotEnabled = "RegionNotEnabled"
	// CodeRegionUnknown: DescribeRegions does not list the region at all.
	CodeRegionUnknown = "RegionUnknown"
)

// accountRegions is what DescribeRegions (AllRegions) says of an account's
// regions: each one's opt-in status.
type accountRegions struct {
	status map[string]string
	err    error
}

// regions returns the account's regions and their opt-in status, read
// once per account with EC2 DescribeRegions (AllRegions) in the home
// region.
func (p *Provider) regions(ctx context.Context, s *session) accountRegions {
	s.regionsOnce.Do(func() {
		out, err := p.ec2(s, p.opts.Region).DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
		if err != nil {
			s.regions.err = err
			return
		}
		s.regions.status = map[string]string{}
		for _, r := range out.Regions {
			s.regions.status[aws.ToString(r.RegionName)] = aws.ToString(r.OptInStatus)
		}
	})
	return s.regions
}

// checkRegion returns a ScopeError when the account cannot use region: one
// it has not enabled (an opt-in region it did not opt in to), or one
// DescribeRegions does not list. Without it, every call there fails with
// an authentication error that names neither. When DescribeRegions itself
// fails (the runner may lack ec2:DescribeRegions), discovery goes on
// without the check, and says so in the log.
func (p *Provider) checkRegion(ctx context.Context, s *session, account, region string) error {
	rs := p.regions(ctx, s)
	scope := scopeName(account, region)
	if rs.err != nil {
		p.opts.Logger.WarnContext(ctx, "cannot check which regions the account has enabled; discovering anyway",
			"scope", scope, "error", short(rs.err))
		return nil
	}
	if len(rs.status) == 0 {
		// No account has no region: the answer says nothing.
		p.opts.Logger.WarnContext(ctx, "DescribeRegions listed no region; discovering anyway", "scope", scope)
		return nil
	}
	status, ok := rs.status[region]
	switch {
	case !ok:
		return engine.ScopeError{Scope: scope, Code: CodeRegionUnknown, Stage: engine.StageDiscover,
			Message: fmt.Sprintf("account %s has no region %s: EC2 DescribeRegions does not list it among the %d regions of the account's partition; check the spelling, or remove it from the spec", account, region, len(rs.status))}
	case status == "opt-in-not-required" || status == "opted-in":
		return nil
	}
	return engine.ScopeError{Scope: scope, Code: CodeRegionNotEnabled, Stage: engine.StageDiscover,
		Message: fmt.Sprintf("region %s is not enabled in account %s (opt-in status %q): enable it for the account (AWS Account Management, Regions), or remove it from the spec", region, account, status)}
}
