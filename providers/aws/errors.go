package aws

import (
	"errors"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/flowplan/flowplan/engine"
)

// Error is a failed operation on one address:
// "create flow log 111111111111/us-east-1/flow_log/prod/vpc-0abc: InvalidParameter: ...".
// It keeps the SDK error in its chain, so errors.As finds the
// smithy.APIError, and exposes the AWS code through ErrorCode.
type Error struct {
	// Op is what was being done: "create flow log", "read region", ...
	Op string
	// Addr is the address or scope it was done to.
	Addr string
	Err  error
}

func (e *Error) Error() string { return e.Op + " " + e.Addr + ": " + short(e.Err) }

// short describes an error for people: the context flowplan added, then
// the AWS error as "Code: message" without the SDK's operation, status
// and request ID wrapping.
func short(err error) string {
	var c *contextError
	var ae smithy.APIError
	switch {
	case errors.As(err, &c) && c != err:
		return short(c)
	case c != nil:
		return c.msg + ": " + short(c.err)
	case errors.As(err, &ae):
		if ae.ErrorMessage() == "" {
			return ae.ErrorCode()
		}
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

// shortError shows an error as short does, keeping it in the chain.
type shortError struct{ err error }

func (e *shortError) Error() string { return short(e.err) }
func (e *shortError) Unwrap() error { return e.err }

// contextError adds what flowplan was doing to an error, keeping it in
// the chain.
type contextError struct {
	msg string
	err error
}

func (e *contextError) Error() string { return e.msg + ": " + short(e.err) }
func (e *contextError) Unwrap() error { return e.err }

// annotate prefixes err with a description of what flowplan was doing.
func annotate(msg string, err error) error { return &contextError{msg: msg, err: err} }

func (e *Error) Unwrap() error { return e.Err }

// ErrorCode is the AWS error code in the chain, or "".
func (e *Error) ErrorCode() string { return ErrorCode(e.Err) }

// As lets errors.As read an Error carrying an AWS code as an
// engine.ScopeError, which is how the engine reports a failed scope with
// its code: Code is the AWS code, Message the rest of Error().
func (e *Error) As(target any) bool {
	se, ok := target.(*engine.ScopeError)
	if !ok || e.ErrorCode() == "" {
		return false
	}
	*se = scopeError(e.Addr, e)
	return true
}

func wrap(op, addr string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, Addr: addr, Err: err}
}

// itemError is a per-resource failure AWS reported inside a successful
// response (CreateFlowLogs and DeleteFlowLogs Unsuccessful[]). It is a
// smithy.APIError, and wraps engine.ErrAlreadyExists or engine.ErrNotFound
// when its code means that.
type itemError struct {
	code    string
	message string
}

func (e *itemError) Error() string                 { return "api error " + e.code + ": " + e.message }
func (e *itemError) ErrorCode() string             { return e.code }
func (e *itemError) ErrorMessage() string          { return e.message }
func (e *itemError) ErrorFault() smithy.ErrorFault { return smithy.FaultUnknown }

func (e *itemError) Unwrap() error {
	switch e.code {
	case "FlowLogAlreadyExists":
		return engine.ErrAlreadyExists
	case "InvalidFlowLogId.NotFound":
		return engine.ErrNotFound
	}
	return nil
}

// sentinel marks an SDK error with an engine sentinel while keeping it in
// the chain: errors.Is finds the sentinel, errors.As the APIError.
type sentinel struct {
	err  error
	mark error
}

func (e *sentinel) Error() string { return e.err.Error() }

func (e *sentinel) Unwrap() []error { return []error{e.err, e.mark} }

func markNotFound(err error) error { return &sentinel{err: err, mark: engine.ErrNotFound} }

func markAlreadyExists(err error) error { return &sentinel{err: err, mark: engine.ErrAlreadyExists} }

// scopeError describes err as a failure of one scope, with the AWS code in
// Code rather than repeated in Message.
func scopeError(scope string, err error) engine.ScopeError {
	se := engine.ScopeError{Scope: scope, Code: ErrorCode(err), Message: err.Error()}
	var e *Error
	if errors.As(err, &e) && se.Code != "" {
		se.Message = strings.Replace(e.Error(), ": "+se.Code+": ", ": ", 1)
	}
	return se
}
