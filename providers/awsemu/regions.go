package awsemu

import "slices"

// defaultRegions are the commercial regions enabled in every account.
var defaultRegions = []string{
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
	"ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1",
	"us-east-1", "us-east-2", "us-west-1", "us-west-2",
}

// optInRegions must be enabled per account (account.OptInRegions).
var optInRegions = []string{
	"af-south-1", "ap-east-1", "ap-south-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
	"ap-southeast-7", "ca-west-1", "eu-central-2", "eu-south-1", "eu-south-2", "il-central-1",
	"me-central-1", "me-south-1", "mx-central-1",
}

func isDefaultRegion(name string) bool { return slices.Contains(defaultRegions, name) }
func isOptInRegion(name string) bool   { return slices.Contains(optInRegions, name) }

// isKnownRegion reports whether name is a region of any partition.
func isKnownRegion(name string) bool {
	return isDefaultRegion(name) || isOptInRegion(name) || slices.Contains(partitionRegions[partitionOf(name)], name)
}

// regionsIn lists a partition's regions, opt-in ones included.
func regionsIn(partition string) []string {
	if partition == partitionAWS {
		return append(append([]string(nil), defaultRegions...), optInRegions...)
	}
	return partitionRegions[partition]
}

// regionEnabled reports whether an account may use a region: one of its
// partition's, and enabled if it is an opt-in region.
func (a *account) regionEnabled(name string) bool {
	if partitionOf(name) != a.partition() {
		return false
	}
	if a.partition() != partitionAWS {
		return slices.Contains(partitionRegions[a.partition()], name)
	}
	return isDefaultRegion(name) || (isOptInRegion(name) && slices.Contains(a.OptInRegions, name))
}

// azID maps an availability zone name to a zone ID such as "use1-az1". The
// real mapping differs per account; a fixed one is enough here.
func azID(az string) string {
	if len(az) < 2 {
		return az
	}
	region, letter := az[:len(az)-1], az[len(az)-1]
	short := map[string]string{
		"us-east-1": "use1", "us-east-2": "use2", "us-west-1": "usw1", "us-west-2": "usw2",
		"eu-west-1": "euw1", "eu-west-2": "euw2", "eu-west-3": "euw3", "eu-central-1": "euc1",
		"eu-north-1": "eun1", "ap-south-1": "aps1", "ap-northeast-1": "apne1", "ap-northeast-2": "apne2",
		"ap-northeast-3": "apne3", "ap-southeast-1": "apse1", "ap-southeast-2": "apse2",
		"ca-central-1": "cac1", "sa-east-1": "sae1",
	}[region]
	if short == "" {
		short = region
	}
	return short + "-az" + string(rune('1'+(letter-'a')))
}
