package aws

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/spec"
)

// pagedEC2 answers DescribeVpcs and DescribeFlowLogs for n VPCs with one
// flow log each, paginating as EC2 does (MaxResults, NextToken), and fails
// any request without MaxResults, as an unpaginated describe would be.
func pagedEC2(t testing.TB, n int) func(action string, form url.Values, _ int) (int, string) {
	return func(action string, form url.Values, _ int) (int, string) {
		size, err := strconv.Atoi(form.Get("MaxResults"))
		if err != nil {
			t.Errorf("%s without MaxResults", action)
			return http.StatusBadRequest, ec2Error("InvalidParameterValue", "unpaginated")
		}
		start, _ := strconv.Atoi(form.Get("NextToken"))
		end := min(start+size, n)
		var b strings.Builder
		switch action {
		case "DescribeVpcs":
			b.WriteString(`<DescribeVpcsResponse><requestId>r</requestId><vpcSet>`)
			for i := start; i < end; i++ {
				fmt.Fprintf(&b, `<item><vpcId>vpc-%05d</vpcId><ownerId>123456789012</ownerId><state>available</state></item>`, i)
			}
			b.WriteString(`</vpcSet>`)
		case "DescribeFlowLogs":
			b.WriteString(`<DescribeFlowLogsResponse><requestId>r</requestId><flowLogSet>`)
			for i := start; i < end; i++ {
				fmt.Fprintf(&b, `<item><flowLogId>fl-%05d</flowLogId><resourceId>vpc-%05d</resourceId></item>`, i, i)
			}
			b.WriteString(`</flowLogSet>`)
		default:
			t.Errorf("unexpected %s", action)
			return http.StatusBadRequest, ec2Error("InvalidAction", action)
		}
		if end < n {
			fmt.Fprintf(&b, `<nextToken>%d</nextToken>`, end)
		}
		fmt.Fprintf(&b, `</%sResponse>`, action)
		return http.StatusOK, b.String()
	}
}

// TestDiscoveryCallsGrowWithPagesNotVPCs shows the call count of one
// account-region: one DescribeVpcs and one DescribeFlowLogs per 1000
// items, whatever the number of VPCs below that.
func TestDiscoveryCallsGrowWithPagesNotVPCs(t *testing.T) {
	for _, n := range []int{0, 1, 50, 999, 1000, 1001, 2500} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f, endpoint := newFakeEC2(t, pagedEC2(t, n))
			p, _ := newFakeProvider(t, endpoint)
			st, err := p.DiscoverRegion(context.Background(), engine.RegionQuery{
				Account: fakeAccount, Region: "us-east-1", TargetKinds: []spec.TargetKind{spec.TargetVPC},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Targets) != n || len(st.FlowLogs) != n {
				t.Fatalf("got %d targets and %d flow logs, want %d each", len(st.Targets), len(st.FlowLogs), n)
			}
			pages := max(1, (n+999)/1000)
			calls := p.Stats().ScopeCalls("123456789012/us-east-1")
			for _, action := range []string{"DescribeVpcs", "DescribeFlowLogs"} {
				if calls["EC2:"+action] != pages {
					t.Errorf("%s calls = %d, want %d", action, calls["EC2:"+action], pages)
				}
				for _, r := range f.requestsFor(action) {
					if r.Get("MaxResults") != "1000" {
						t.Errorf("%s MaxResults = %q, want 1000", action, r.Get("MaxResults"))
					}
				}
			}
			// And one DescribeRegions for the account, and one
			// GetCallerIdentity for the run (the account has no
			// assume_role: the starting credentials must belong to it).
			if got := p.Stats().Calls(); got != 2*pages+2 {
				t.Errorf("total calls = %d, want %d", got, 2*pages+2)
			}
		})
	}
}

// TestDiscoveryCallsAgainstEmulators counts the calls of one account-region
// with few and with many VPCs, each with a subnet and a flow log: the count
// must not change until a page of 1000 fills. moto ignores EC2 page sizes,
// so against it the test shows only that calls do not grow per VPC; the
// emulator paginates, and there 1001 VPCs take a second page of each
// describe. The emulator's own counters must agree with the provider's.
func TestDiscoveryCallsAgainstEmulators(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		want := map[string]int{
			"EC2:DescribeVpcs": 1, "EC2:DescribeSubnets": 1, "EC2:DescribeFlowLogs": 1,
			"CloudWatch Logs:DescribeLogGroups": 1, "CloudWatch Logs:ListTagsForResource": 1,
		}
		sizes := []int{2, 40}
		if be.paginates {
			sizes = append(sizes, 1001)
		}
		for _, n := range sizes {
			got := discoveryCalls(t, be, n)
			wantN := maps.Clone(want)
			if n > 1000 {
				wantN["EC2:DescribeVpcs"], wantN["EC2:DescribeSubnets"], wantN["EC2:DescribeFlowLogs"] = 2, 2, 2
			}
			if d := cmp.Diff(wantN, got); d != "" {
				t.Errorf("%d VPCs: calls (-want +got):\n%s", n, d)
			}
		}
	})
}

// discoveryCalls seeds n VPCs with a subnet and a flow log each, and
// returns the calls one DiscoverRegion makes.
func discoveryCalls(t *testing.T, be *backend, n int) map[string]int {
	be.reset(t)
	p := newTestProvider(t, be)
	acct := testAccount("111111111111", testRegion)
	ids := be.seed(t, p, (&seed{}).vpcs(acct.ID+"/"+testRegion, manyVPCs(n)...))
	w := newWorld(t, p, testSession(t, p, acct))
	role := w.deliveryRole()
	w.logGroup(testRegion, "/vpc-flow-logs/a", 0, map[string]string{engine.TagSpec: "test"})
	var changes []*engine.Change
	for i := range n {
		changes = append(changes, flowLogChange(acct.ID, "r", ids[fmt.Sprint("vpc", i)], engine.FlowLog{
			TrafficType: "ALL", DestinationType: "cloud-watch-logs", Destination: arn.LogGroup(acct.ID, testRegion, "/vpc-flow-logs/a"),
			DeliverLogsPermissionARN: role}))
	}
	mustApply(t, p, batch(acct, testRegion, engine.KindFlowLog, engine.OpCreate, changes...))
	p.Stats().Reset()
	if be.emu != nil {
		be.emu.ResetCounts()
	}
	st, err := p.DiscoverRegion(context.Background(), engine.RegionQuery{
		Account: acct, Region: testRegion, TargetKinds: []spec.TargetKind{spec.TargetVPC, spec.TargetSubnet},
		LogGroupNames: []string{"/vpc-flow-logs/a", "/vpc-flow-logs/b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.FlowLogs) != n || len(st.Targets) < 2*n {
		t.Fatalf("%d flow logs and %d targets, want %d and at least %d", len(st.FlowLogs), len(st.Targets), n, 2*n)
	}
	got := p.Stats().ScopeCalls(acct.ID + "/" + testRegion)
	if be.emu != nil {
		emu := map[string]int{}
		for k, v := range be.emu.Counts() {
			// The account-region's calls: DescribeRegions, once per
			// account, goes to the home region.
			if k.Account != acct.ID || k.Region != testRegion {
				continue
			}
			emu[map[string]string{"ec2": "EC2", "logs": "CloudWatch Logs"}[k.Service]+":"+k.Action] += v
		}
		if d := cmp.Diff(emu, got); d != "" {
			t.Errorf("%d VPCs: the provider's counters disagree with the emulator's (-emulator +provider):\n%s", n, d)
		}
	}
	return got
}

// manyVPCs declares n VPCs named vpc0, vpc1, ..., each with a subnet.
func manyVPCs(n int) []seedVPC {
	out := make([]seedVPC, n)
	for i := range out {
		out[i] = seedVPC{name: fmt.Sprint("vpc", i), cidr: fmt.Sprintf("10.%d.%d.0/24", i/256, i%256),
			subnets: []seedSubnet{{name: fmt.Sprint("subnet", i), cidr: fmt.Sprintf("10.%d.%d.0/25", i/256, i%256)}}}
	}
	return out
}
