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

func TestMultivaluedKeys(t *testing.T) {
	cond := func(op string, values ...string) Condition {
		return Condition{Operator: op, Key: "aws:TagKeys", Values: values}
	}
	for _, tt := range []struct {
		name string
		c    Condition
		keys []string
		want bool
	}{
		{"ForAllValues, every key listed", cond("ForAllValues:StringEquals", "a", "b"), []string{"a", "b"}, true},
		{"ForAllValues, one key not listed", cond("ForAllValues:StringEquals", "a"), []string{"a", "b"}, false},
		{"ForAllValues, no keys", cond("ForAllValues:StringEquals", "a"), nil, true},
		{"ForAnyValue, one key listed", cond("ForAnyValue:StringLike", "flowplan:*"), []string{"owner", "flowplan:spec"}, true},
		{"ForAnyValue, none listed", cond("ForAnyValue:StringLike", "flowplan:*"), []string{"owner"}, false},
		{"ForAnyValue, no keys", cond("ForAnyValue:StringLike", "flowplan:*"), nil, false},
		{"ForAnyValue negated: one key not flowplan's", cond("ForAnyValue:StringNotLike", "flowplan:*"), []string{"owner", "flowplan:spec"}, true},
		{"ForAllValues negated: all keys not flowplan's", cond("ForAllValues:StringNotLike", "flowplan:*"), []string{"owner", "flowplan:spec"}, false},
		{"no qualifier reads as ForAnyValue", cond("StringEquals", "b"), []string{"a", "b"}, true},
		{"Null on a present set", cond("Null", "false"), []string{"a"}, true},
		{"Null on an empty set", cond("Null", "true"), []string{}, true},
	} {
		got := tt.c.holdsFor(nil, map[string][]string{"aws:tagkeys": tt.keys})
		if got != tt.want {
			t.Errorf("%s: holds = %v, want %v", tt.name, got, tt.want)
		}
	}
}
