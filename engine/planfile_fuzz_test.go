package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/engine/enginetest"
	"github.com/flowplan/flowplan/spec"
)

// fuzzPlanSeeds are small real plans: a create with a discovery error, a
// replace and a prune's deletes, each narrowed to a few addresses and
// written compactly. Seeds are kept small because the fuzzer minimises
// every input that finds new coverage, at a cost that grows with its size:
// with 19 KB seeds it spent its whole time minimising.
func fuzzPlanSeeds(f *testing.F) [][]byte {
	var out [][]byte
	add := func(plan *engine.Plan) {
		b, err := json.Marshal(plan)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	mk := func(p engine.Provider, s *spec.Spec, targets ...string) *engine.Plan {
		plan, err := engine.MakePlan(context.Background(), p, s, engine.Options{Targets: targets})
		if err != nil {
			f.Fatal(err)
		}
		return plan
	}
	apply := func(p engine.Provider, plan *engine.Plan) {
		if _, err := engine.Apply(context.Background(), p, plan, engine.Options{}); err != nil {
			f.Fatal(err)
		}
	}

	p, s := fixture(false)
	p.DiscoverErrors = map[string]error{acctB + "/us-east-1": context.DeadlineExceeded}
	add(mk(p, s, acctA+"/us-east-1/flow_log/prod-vpcs/vpc-a1"))

	p, s = fixture(false)
	apply(p, mk(p, s))
	s.Rules[0].TrafficType = "REJECT"
	add(mk(p, s, acctA+"/us-east-1/flow_log/prod-vpcs/vpc-a1"))

	p, s = fixture(true)
	apply(p, mk(p, s))
	p.World.SetTargetTags(acctB, "us-east-1", "vpc-b1", map[string]string{"env": "dev"})
	add(mk(p, s, acctB+"/us-east-1"))
	return out
}

// FuzzReadPlan feeds ReadPlan what a plan file on disk may hold, and
// everything that reads a saved plan after it: none may panic or hang. A
// plan that reads back must also survive a write and a second read
// unchanged. The seeds are small real plans (fuzzPlanSeeds) and a few
// broken ones; plain `go test` runs them. Nothing in the body touches a
// file or the network, so the fuzzer runs thousands of inputs a second.
func FuzzReadPlan(f *testing.F) {
	for _, seed := range fuzzPlanSeeds(f) {
		f.Add(seed)
	}
	for _, seed := range []string{
		`{"format_version":"1.0","id":"x","changes":[{"address":{"account":"1","region":"r","kind":"flow_log","name":"a/b"},"action":"create"}]}`,
		`{"format_version":"1.0","id":"x","changes":[{"address":{"account":"1","region":"global","kind":"s3_bucket_policy_statement","name":"b/s"},"action":"delete"}]}`,
		`{"format_version":"1.0","id":"x","changes":[{"address":{"account":"1","region":"r","kind":"flow_log","name":"a"},"action":"replace","before":{"address":{"account":"1","region":"r","kind":"flow_log","name":"a"},"flow_log":{}},"depends_on":[{"account":"1","region":"r","kind":"flow_log","name":"a"}]}]}`,
		`{"format_version":"1.0","changes":[null]}`,
		`{"format_version":1}`,
		`[]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		plan, err := engine.ReadPlan(bytes.NewReader(data))
		if err != nil {
			return
		}
		var first, second bytes.Buffer
		if err := engine.WritePlan(&first, plan); err != nil {
			t.Fatalf("a plan that was read cannot be written: %v", err)
		}
		again, err := engine.ReadPlan(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("a plan written from a read one cannot be read: %v\n%s", err, first.String())
		}
		if err := engine.WritePlan(&second, again); err != nil {
			t.Fatalf("a plan read back cannot be written: %v", err)
		}
		// Comparing the serialisations is cheap; cmp.Diff, run on every
		// input, was most of the fuzzer's time. It explains a failure.
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("write and read changed the plan (-first +second):\n%s", cmp.Diff(plan, again))
		}
		_ = plan.Counts()
		_, _ = engine.FilterTargets(plan, []string{acctA, acctB + "/us-east-1/flow_log"})
		_ = engine.CheckSpec(plan, &spec.Spec{Name: "org"})
		_ = engine.CheckStale(plan, engine.NewState())
		if plan.ID == "" {
			plan.ID = "fuzz"
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = engine.Apply(context.Background(), enginetest.New(), plan, engine.Options{})
		}()
		timer := time.NewTimer(10 * time.Second)
		defer timer.Stop()
		select {
		case <-done:
		case <-timer.C:
			t.Fatal("Apply hangs")
		}
	})
}
