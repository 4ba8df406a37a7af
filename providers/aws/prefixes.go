package aws

import (
	"sort"
	"strings"
)

// logGroupPrefixes returns the DescribeLogGroups prefixes that read the
// named log groups in the fewest calls without listing unrelated ones.
// Names in the same "directory" (everything up to the last "/") share one
// prefix, their longest common prefix: /vpc-flow-logs/vpc-0a1 and
// /vpc-flow-logs/vpc-0b2 are read with /vpc-flow-logs/vpc-0. Names in
// different directories are read separately, so /aws/vpc/x never lists
// every /aws/ log group. A shared prefix that is only slashes (or empty)
// would list the whole account, so such names are read one by one. A
// prefix that another prefix already covers is dropped. The result is
// sorted.
func logGroupPrefixes(names []string) []string {
	byDir := map[string][]string{}
	for _, n := range names {
		if n == "" {
			continue
		}
		dir := n[:strings.LastIndex(n, "/")+1]
		byDir[dir] = append(byDir[dir], n)
	}
	var prefixes []string
	for _, group := range byDir {
		lcp := commonPrefix(group)
		if strings.Trim(lcp, "/") == "" {
			prefixes = append(prefixes, group...)
			continue
		}
		prefixes = append(prefixes, lcp)
	}
	sort.Strings(prefixes)
	var out []string
	for _, p := range prefixes {
		if len(out) > 0 && strings.HasPrefix(p, out[len(out)-1]) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// describePrefixes merges the prefixes that read exact names with the
// asked prefixes, dropping any prefix another one already covers, so that
// no log group is listed twice.
func describePrefixes(names, prefixes []string) []string {
	all := append(logGroupPrefixes(names), prefixes...)
	sort.Strings(all)
	var out []string
	for _, p := range all {
		if len(out) > 0 && strings.HasPrefix(p, out[len(out)-1]) {
			continue
		}
		out = append(out, p)
	}
	return out
}

func commonPrefix(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	p := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasPrefix(s, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}
