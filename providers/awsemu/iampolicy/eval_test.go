package iampolicy

import "testing"

func TestPrincipalConditionKeys(t *testing.T) {
	p, err := Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole",
		"Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/source"},"StringEquals":{"aws:PrincipalAccount":"111111111111"}}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	session := Caller{Account: "111111111111", ARNs: []string{"arn:aws:sts::111111111111:assumed-role/source/s", "arn:aws:iam::111111111111:role/source"}}
	if d := p.Evaluate(Request{Caller: session, Action: "sts:AssumeRole"}); d != Allowed {
		t.Errorf("role session of source: %v, want Allow", d)
	}
	other := Caller{Account: "111111111111", ARNs: []string{"arn:aws:iam::111111111111:role/other"}}
	if d := p.Evaluate(Request{Caller: other, Action: "sts:AssumeRole"}); d != NotApplicable {
		t.Errorf("another role: %v, want NotApplicable", d)
	}
}
