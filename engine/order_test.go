package engine

import "testing"

// Every step a part can run at has its own label, and steps follow the
// phases: early deletes, then writes in kind order, then deletes in reverse.
func TestSteps(t *testing.T) {
	labels := map[string]int{}
	prev := -1
	for _, ph := range []phase{phaseEarlyDelete, phaseWrite, phaseDelete} {
		kinds := Kinds
		if ph != phaseWrite {
			kinds = []Kind{KindFlowLog, KindBucketPolicyStatement, KindLogGroup, KindRolePolicy, KindRole}
		}
		ops := []Op{OpDelete}
		if ph == phaseWrite {
			ops = writeOps
		}
		for _, k := range kinds {
			for _, op := range ops {
				s := part{ph, op}.step(k)
				if s <= prev {
					t.Errorf("step of %v %s %s = %d, not after %d", ph, op, k, s, prev)
				}
				prev = s
				l := StepLabel(s)
				if l == "" {
					t.Errorf("step %d (%v %s %s) has no label", s, ph, op, k)
				}
				if other, ok := labels[l]; ok && other != s && op != OpDelete {
					t.Errorf("steps %d and %d share the label %q", other, s, l)
				}
				labels[l] = s
			}
		}
	}
	if got := StepLabel(part{phaseWrite, OpCreate}.step(KindRole)); got != "create IAM roles" {
		t.Errorf("label = %q", got)
	}
	if got := StepLabel(part{phaseWrite, OpDelete}.step(KindFlowLog)); got != "delete flow logs being replaced" {
		t.Errorf("label = %q", got)
	}
}
