package engine

import "testing"

func TestScopeErrorWhere(t *testing.T) {
	for _, tt := range []struct {
		err                     ScopeError
		account, region, bucket string
		// unknown is whether 111111111111/us-east-1 is left unread.
		unknown bool
	}{
		{ScopeError{Scope: "111111111111/us-east-1"}, "111111111111", "us-east-1", "", true},
		{ScopeError{Scope: "111111111111/eu-west-1"}, "111111111111", "eu-west-1", "", false},
		{ScopeError{Scope: "111111111111"}, "111111111111", "", "", true},
		{ScopeError{Scope: "222222222222"}, "222222222222", "", "", false},
		{ScopeError{Scope: BucketScope("111111111111", "logs")}, "111111111111", "", "logs", false},
		{ScopeError{Scope: "111111111111/us-east-1", Stage: StagePlan}, "111111111111", "us-east-1", "", false},
		{ScopeError{Scope: "111111111111/us-east-1", Stage: StageDiscover}, "111111111111", "us-east-1", "", true},
	} {
		a, r, b := tt.err.Where()
		if a != tt.account || r != tt.region || b != tt.bucket {
			t.Errorf("%q.Where() = %q, %q, %q; want %q, %q, %q", tt.err.Scope, a, r, b, tt.account, tt.region, tt.bucket)
		}
		if got := tt.err.LeavesUnknown("111111111111", "us-east-1"); got != tt.unknown {
			t.Errorf("%q (stage %q).LeavesUnknown(111111111111, us-east-1) = %v, want %v", tt.err.Scope, tt.err.Stage, got, tt.unknown)
		}
	}
}
