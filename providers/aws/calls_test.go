package aws

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/flowplan/flowplan/engine"
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
			if got := p.Stats().Calls(); got != 2*pages {
				t.Errorf("total calls = %d, want %d", got, 2*pages)
			}
		})
	}
}

// TestDiscoveryCallsAgainstEmulators counts the calls of one account-region
// with few and with many VPCs, each with a flow log: the count must not
// change (moto ignores EC2 page sizes, so it shows only that calls do not
// grow per VPC; the paginating case is TestDiscoveryCallsGrowWithPagesNotVPCs).
func TestDiscoveryCallsAgainstEmulators(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		counts := map[int]map[string]int{}
		for _, n := range []int{2, 40} {
			be.reset(t)
			p := newTestProvider(t, be)
			acct := testAccount("111111111111", testRegion)
			w := newWorld(t, p, testSession(t, p, acct))
			w.logGroup(testRegion, "/vpc-flow-logs/a", 0, map[string]string{engine.TagSpec: "test"})
			for i := range n {
				vpc := w.vpc(testRegion, fmt.Sprintf("10.%d.0.0/16", i), nil)
				mustApply(t, p, batch(acct, testRegion, engine.KindFlowLog, engine.OpCreate, flowLogChange(acct.ID, "r", vpc, engine.FlowLog{
					TrafficType: "ALL", DestinationType: "cloud-watch-logs", Destination: logGroupARN(acct.ID, testRegion, "/vpc-flow-logs/a"),
					DeliverLogsPermissionARN: "arn:aws:iam::111111111111:role/r"})))
			}
			p.Stats().Reset()
			st, err := p.DiscoverRegion(context.Background(), engine.RegionQuery{
				Account: acct, Region: testRegion, TargetKinds: []spec.TargetKind{spec.TargetVPC, spec.TargetSubnet},
				LogGroupNames: []string{"/vpc-flow-logs/a", "/vpc-flow-logs/b"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(st.FlowLogs) != n {
				t.Fatalf("%d flow logs, want %d", len(st.FlowLogs), n)
			}
			counts[n] = p.Stats().ScopeCalls(acct.ID + "/" + testRegion)
		}
		if fmt.Sprint(counts[2]) != fmt.Sprint(counts[40]) {
			t.Errorf("calls grew with VPCs: 2 VPCs %v, 40 VPCs %v", counts[2], counts[40])
		}
		t.Logf("%s: calls per account-region: %v", be.name, counts[40])
	})
}
