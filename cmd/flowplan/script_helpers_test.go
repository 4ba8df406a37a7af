package main

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpandVars(t *testing.T) {
	env := map[string]string{"VPC_a": "vpc-0a", "REGION": "us-east-1"}
	tests := []struct {
		in, want  string
		undefined []string
	}{
		{"ids: [$VPC_a, ${VPC_a}]", "ids: [vpc-0a, vpc-0a]", nil},
		{"log_format: ${version} ${srcaddr} ${account-id}", "log_format: ${version} ${srcaddr} ${account-id}", nil},
		{"$REGION/$VPC_typo/${Nope}", "us-east-1/$VPC_typo/${Nope}", []string{"VPC_typo", "Nope"}},
		{"cost: $5", "cost: $5", nil},
	}
	for _, tt := range tests {
		got, undefined := expandVars(tt.in, func(k string) string { return env[k] })
		if got != tt.want || !cmp.Equal(undefined, tt.undefined) {
			t.Errorf("expandVars(%q) = %q, %q; want %q, %q", tt.in, got, undefined, tt.want, tt.undefined)
		}
	}
}

func TestJSONPath(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"FlowLogs":[{"FlowLogId":"fl-1","Tags":[]}],"N":3}`), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, want string
		length     bool
		wantErr    bool
	}{
		{path: "FlowLogs.0.FlowLogId", want: "fl-1"},
		{path: "N", want: "3"},
		{path: "FlowLogs.0.Tags", want: "[]"},
		{path: "FlowLogs", length: true, want: "1"},
		{path: ".", length: true, want: "2"},
		{path: "FlowLogs.0.FlowLogId", length: true, want: "4"},
		{path: "FlowLogs.1", wantErr: true},
		{path: "Missing", wantErr: true},
		{path: "N", length: true, wantErr: true},
	}
	for _, tt := range tests {
		v, err := jsonPath(doc, tt.path)
		if err == nil && tt.length {
			v, err = jsonLen(v)
		}
		if (err != nil) != tt.wantErr {
			t.Errorf("%s (len %t): err = %v, want error %t", tt.path, tt.length, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got, _ := jsonText(v); got != tt.want {
			t.Errorf("%s (len %t) = %q, want %q", tt.path, tt.length, got, tt.want)
		}
	}
}
