package engine_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/engine/enginetest"
	"github.com/flowplan/flowplan/spec"
)

// FuzzReadPlan feeds ReadPlan what a plan file on disk may hold, and
// everything that reads a saved plan after it: none may panic or hang. A
// plan that reads back must also survive a write and a second read
// unchanged. The seeds are real plans (with creates, replaces, deletes and
// a discovery error) and a few broken ones; plain `go test` runs them.
func FuzzReadPlan(f *testing.F) {
	for _, prune := range []bool{false, true} {
		p, s := fixture(prune)
		p.DiscoverErrors = map[string]error{acctB + "/us-east-1": context.DeadlineExceeded}
		plan, err := engine.MakePlan(context.Background(), p, s, engine.Options{})
		if err != nil {
			f.Fatal(err)
		}
		var b bytes.Buffer
		if err := engine.WritePlan(&b, plan); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
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
		var b bytes.Buffer
		if err := engine.WritePlan(&b, plan); err != nil {
			t.Fatalf("a plan that was read cannot be written: %v", err)
		}
		again, err := engine.ReadPlan(&b)
		if err != nil {
			t.Fatalf("a plan written from a read one cannot be read: %v\n%s", err, b.String())
		}
		if d := cmp.Diff(plan, again); d != "" {
			t.Fatalf("write and read changed the plan (-first +second):\n%s", d)
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
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Apply hangs")
		}
	})
}
