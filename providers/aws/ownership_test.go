package aws

import (
	"strings"
	"testing"

	"github.com/flowplan/flowplan/engine"
)

// TestCheckManaged is the provider's last defence: whatever a plan says, it
// updates and deletes only what the applying spec owns.
func TestCheckManaged(t *testing.T) {
	owned := func(spec string) *engine.Resource {
		r := &engine.Resource{ID: "fl-1", Tags: map[string]string{"Name": "x"}}
		if spec != "" {
			r.Tags[engine.TagSpec] = spec
		}
		return r
	}
	tests := []struct {
		name      string
		batchSpec string
		before    *engine.Resource
		after     *engine.Resource
		wantErr   string
	}{
		{"own resource", "org", owned("org"), owned("org"), ""},
		{"own resource, delete", "org", owned("org"), nil, ""},
		{"unmanaged", "org", owned(""), nil, "does not manage"},
		{"another spec's, delete", "org", owned("other"), nil, `spec "other" for spec "org"`},
		{"another spec's, update", "org", owned("other"), owned("other"), `spec "other" for spec "org"`},
		{"no live resource", "org", nil, owned("org"), "no resource to act on"},
	}
	for _, tt := range tests {
		a := &applier{b: &engine.Batch{Spec: tt.batchSpec}}
		err := a.checkManaged(&engine.Change{After: tt.after}, tt.before)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}
