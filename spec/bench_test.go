package spec

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func BenchmarkParseQuickstart(b *testing.B) {
	data, err := os.ReadFile("../examples/quickstart.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("quickstart.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseLarge parses a spec of 50 accounts and 1000 rules, each
// naming a VPC by ID, which exercises the duplicate check across rules.
func BenchmarkParseLarge(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("version: 1\nname: large\naccounts:\n")
	for i := range 50 {
		fmt.Fprintf(&sb, "  - {id: \"%012d\", alias: a%d, regions: [us-east-1, eu-west-1]}\n", 100000000000+i, i)
	}
	sb.WriteString("delivery_roles: {fl: {}}\ndefaults: {tags: {owner: netsec}}\nflow_logs:\n")
	for i := range 1000 {
		fmt.Fprintf(&sb, "  - name: r%d\n    accounts: [a%d]\n    targets: {vpcs: {ids: [vpc-%017x]}}\n", i, i%50, i)
		sb.WriteString("    destination: {cloudwatch_logs: {log_group: \"/fl/{account_alias}/{region}\", retention_days: 90, delivery_role: fl}}\n")
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("large.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
