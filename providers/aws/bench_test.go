package aws

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/spec"
)

// BenchmarkDiscoverRegion measures the discovery of one account-region,
// reporting AWS calls per discovery (calls/op) beside time.
//
//   - moto, awsemu: the real SDK over HTTP against moto (Python) and our
//     emulator (in process), V VPCs each with a subnet and a flow log, one
//     log group asked for.
//   - paged: a paginating fake EC2 answering at once, for the SDK's own
//     cost (signing, XML parsing) at large V.
//   - latency: the paginating fake with 20 ms per call, showing that the
//     per-kind describes run concurrently (wall time ≈ one round trip).
//
// Run: go test ./providers/aws -run '^$' -bench DiscoverRegion -benchtime 20x
func BenchmarkDiscoverRegion(b *testing.B) {
	for _, v := range []int{10, 200} {
		for _, name := range []string{"moto", "awsemu"} {
			b.Run(fmt.Sprintf("%s/vpcs=%d", name, v), func(b *testing.B) {
				var be *backend
				if name == "moto" {
					be = motoBackend(b)
					be.reset(b)
				} else {
					be = emuBackend(b, awsemu.Options{})
				}
				p := newTestProvider(b, be)
				acct := testAccount("111111111111", testRegion)
				ids := be.seed(b, p, (&seed{}).vpcs(acct.ID+"/"+testRegion, manyVPCs(v)...))
				w := newWorld(b, p, testSession(b, p, acct))
				role := w.deliveryRole()
				group := "/vpc-flow-logs/111111111111/eu-west-1"
				w.logGroup(testRegion, group, 30, map[string]string{engine.TagSpec: "bench"})
				var changes []*engine.Change
				for i := range v {
					changes = append(changes, flowLogChange(acct.ID, "bench", ids[fmt.Sprint("vpc", i)], engine.FlowLog{TrafficType: "ALL", DestinationType: "cloud-watch-logs",
						Destination: arn.LogGroup(acct.ID, testRegion, group), DeliverLogsPermissionARN: role}))
				}
				mustApply(b, p, batch(acct, testRegion, engine.KindFlowLog, engine.OpCreate, changes...))
				q := engine.RegionQuery{Account: acct, Region: testRegion, TargetKinds: []spec.TargetKind{spec.TargetVPC, spec.TargetSubnet}, LogGroupNames: []string{group}}
				benchDiscover(b, p, q)
			})
		}
	}
	for _, c := range []struct {
		vpcs  int
		delay time.Duration
	}{{100, 0}, {5000, 0}, {100, 20 * time.Millisecond}} {
		name := fmt.Sprintf("paged/vpcs=%d", c.vpcs)
		if c.delay > 0 {
			name = fmt.Sprintf("latency=%s/vpcs=%d", c.delay, c.vpcs)
		}
		b.Run(name, func(b *testing.B) {
			f, endpoint := newFakeEC2(b, pagedEC2(b, c.vpcs))
			f.delay = c.delay
			p, _ := newFakeProvider(b, endpoint)
			benchDiscover(b, p, engine.RegionQuery{Account: fakeAccount, Region: "us-east-1", TargetKinds: []spec.TargetKind{spec.TargetVPC}})
		})
	}
}

func benchDiscover(b *testing.B, p *Provider, q engine.RegionQuery) {
	ctx := context.Background()
	p.Stats().Reset()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if _, err := p.DiscoverRegion(ctx, q); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(p.Stats().Calls())/float64(n), "calls/op")
}
