package engine

import (
	"errors"
	"fmt"
)

// ChangeError is a change that failed or was not attempted: what was being
// done, to which address, and why. Every error in an apply Result is one,
// so callers branch on its address or unwrap the cause, never on text.
type ChangeError struct {
	// Op names the operation: "create flow log", "replace iam role", ...
	Op string
	// Addr is the change's address.
	Addr Addr
	// Err is the cause; providers keep the AWS error in its chain.
	Err error
}

// Error reads "create flow log 111111111111/us-east-1/flow_log/prod/vpc-0abc: <cause>".
func (e *ChangeError) Error() string { return e.Op + " " + e.Addr.String() + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ChangeError) Unwrap() error { return e.Err }

// changeError names the change's operation and address on err, unless err
// already is a ChangeError of that address (providers make their own,
// naming the operation they ran), so that a message names the address once.
func changeError(c *Change, err error) error {
	var ce *ChangeError
	if errors.As(err, &ce) && ce.Addr == c.Addr {
		return err
	}
	return &ChangeError{Op: string(c.Action) + " " + KindWords(c.Addr.Kind), Addr: c.Addr, Err: err}
}

// changeErrorf is changeError of a formatted cause.
func changeErrorf(c *Change, format string, args ...any) error {
	return changeError(c, fmt.Errorf(format, args...))
}

// KindWords is how messages name a kind: "flow log", "iam role", ...
func KindWords(k Kind) string {
	switch k {
	case KindRole:
		return "iam role"
	case KindRolePolicy:
		return "iam role policy"
	case KindLogGroup:
		return "log group"
	case KindBucketPolicyStatement:
		return "bucket policy statement"
	case KindFlowLog:
		return "flow log"
	}
	return string(k)
}

// KindPlural names several resources of a kind in headings: "IAM roles",
// "IAM role policies", "log groups", "bucket policy statements", "flow logs".
func KindPlural(k Kind) string {
	switch k {
	case KindRole:
		return "IAM roles"
	case KindRolePolicy:
		return "IAM role policies"
	case KindLogGroup:
		return "log groups"
	case KindBucketPolicyStatement:
		return "bucket policy statements"
	case KindFlowLog:
		return "flow logs"
	}
	return string(k)
}
