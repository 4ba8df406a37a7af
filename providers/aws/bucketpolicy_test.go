package aws

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMergePolicy(t *testing.T) {
	other := `{"Sid":"Theirs","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}},"X-Unknown":{"kept":true}}`
	noSid := `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`
	escapable := `{"Sid":"Referer","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringLike":{"aws:Referer":"https://x.example/?a=1&b=<2>"}}}`
	ours := func(sid, res string) string {
		return `{"Sid":"` + sid + `","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"` + res + `"}`
	}
	put := func(sid, res string) statementEdit {
		return statementEdit{Sid: sid, Statement: json.RawMessage(ours(sid, res))}
	}
	del := func(sid string) statementEdit { return statementEdit{Sid: sid} }
	tests := []struct {
		name    string
		policy  string
		edits   []statementEdit
		want    string
		wantErr string
	}{
		{name: "no policy yet",
			edits: []statementEdit{put("flowplan-s-a", "r1")},
			want:  `{"Version":"2012-10-17","Statement":[` + ours("flowplan-s-a", "r1") + `]}`},
		{name: "others' statements, keys and order are kept; ours appended",
			policy: "{\n  \"Id\": \"p1\",\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [" + other + ", " + noSid + "]\n}",
			edits:  []statementEdit{put("flowplan-s-a", "r1"), put("flowplan-s-b", "r2")},
			want:   `{"Id":"p1","Version":"2012-10-17","Statement":[` + other + `,` + noSid + `,` + ours("flowplan-s-a", "r1") + `,` + ours("flowplan-s-b", "r2") + `]}`},
		{name: "characters JSON may escape are kept as written",
			policy: `{"Id":"a&b<c>","Version":"2012-10-17","Statement":[` + escapable + `]}`,
			edits:  []statementEdit{put("flowplan-s-a", "r1")},
			want:   `{"Id":"a&b<c>","Version":"2012-10-17","Statement":[` + escapable + `,` + ours("flowplan-s-a", "r1") + `]}`},
		{name: "a put replaces in place and drops repeats",
			policy: `{"Version":"2012-10-17","Statement":[` + ours("flowplan-s-a", "old") + `,` + other + `,` + ours("flowplan-s-a", "dup") + `]}`,
			edits:  []statementEdit{put("flowplan-s-a", "new")},
			want:   `{"Version":"2012-10-17","Statement":[` + ours("flowplan-s-a", "new") + `,` + other + `]}`},
		{name: "a single Statement object becomes a list",
			policy: `{"Version":"2012-10-17","Statement":` + other + `}`,
			edits:  []statementEdit{put("flowplan-s-a", "r1")},
			want:   `{"Version":"2012-10-17","Statement":[` + other + `,` + ours("flowplan-s-a", "r1") + `]}`},
		{name: "removing ours keeps theirs",
			policy: `{"Version":"2012-10-17","Statement":[` + ours("flowplan-s-a", "r1") + `,` + other + `]}`,
			edits:  []statementEdit{del("flowplan-s-a"), del("flowplan-s-gone")},
			want:   `{"Version":"2012-10-17","Statement":[` + other + `]}`},
		{name: "removing the last statement, all ours, empties the policy",
			policy: `{"Version":"2012-10-17","Statement":[` + ours("flowplan-s-a", "r1") + `]}`,
			edits:  []statementEdit{del("flowplan-s-a")},
			want:   ``},
		{name: "a statement without Sid gets it",
			edits: []statementEdit{{Sid: "flowplan-s-a", Statement: json.RawMessage(`{"Effect":"Allow"}`)}},
			want:  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Sid":"flowplan-s-a"}]}`},
		{name: "a Sid flowplan does not own is refused",
			policy:  `{"Version":"2012-10-17","Statement":[` + other + `]}`,
			edits:   []statementEdit{del("Theirs")},
			wantErr: `only manages statements whose Sid starts with "flowplan-"`},
		{name: "a statement carrying another Sid is refused",
			edits:   []statementEdit{{Sid: "flowplan-s-a", Statement: json.RawMessage(ours("flowplan-s-b", "r"))}},
			wantErr: `carries Sid "flowplan-s-b"`},
		{name: "a policy with two Statement members is left alone",
			policy:  `{"Version":"2012-10-17","Statement":[` + other + `],"Statement":[` + noSid + `]}`,
			edits:   []statementEdit{put("flowplan-s-a", "r1")},
			wantErr: "more than one Statement member"},
		{name: "a policy that is not JSON is an error",
			policy:  `{"Version":`,
			edits:   []statementEdit{put("flowplan-s-a", "r1")},
			wantErr: "bucket policy is not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mergePolicy(tt.policy, tt.edits)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestPolicySizeAdvice(t *testing.T) {
	if a := policySizeAdvice("b", 16*1024); a != "" {
		t.Errorf("at 16 KB: %q, want no warning", a)
	}
	a := policySizeAdvice("b", 16*1024+1)
	for _, want := range []string{"16385 bytes", "20480-byte limit", "arn:aws:s3:::b/*"} {
		if !strings.Contains(a, want) {
			t.Errorf("advice %q lacks %q", a, want)
		}
	}
}
