package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadAuditRoundTrip: a JSON audit read back renders to the same
// document, counts and all, so that audit --merge loses nothing of a
// shard's units.
func TestReadAuditRoundTrip(t *testing.T) {
	a, h := docAudit(t)
	var first bytes.Buffer
	if err := Audit(&first, a, h, AuditJSONFmt, Options{}); err != nil {
		t.Fatal(err)
	}
	back, hdr, err := ReadAudit(bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var second bytes.Buffer
	if err := Audit(&second, back, hdr, AuditJSONFmt, Options{}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(first.String(), second.String()); d != "" {
		t.Errorf("the audit read back renders differently (-written +read):\n%s", d)
	}
}

func TestReadAuditRefuses(t *testing.T) {
	for in, msg := range map[string]string{
		`{}`:                       "no format_version",
		`{"format_version":"2.0"}`: "is not supported",
		`not json`:                 "not a flowplan audit JSON document",
		`{"format_version":"1.1","targets":[{"address":"x","status":"compliant"}]}`:                                 "targets[0]: address",
		`{"format_version":"1.1","targets":[{"address":"111111111111/us-east-1/flow_log/r/vpc-1","status":"meh"}]}`: `status "meh"`,
		`{"format_version":"1.1","generated_at":"yesterday"}`:                                                       "not an RFC 3339 time",
	} {
		if _, _, err := ReadAudit(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ReadAudit(%s) = %v, want an error saying %q", in, err, msg)
		}
	}
}
