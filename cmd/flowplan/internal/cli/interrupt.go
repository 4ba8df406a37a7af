package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Interrupt is the cause main gives the commands' context when SIGINT or
// SIGTERM arrives. A command it stops exits 128 + the signal's number
// (130, 143), as shells report a process killed by the signal; apply first
// lets the changes under way finish (engine.Apply) and says how far it got.
type Interrupt struct {
	// Signal is the signal that arrived.
	Signal os.Signal
}

func (i *Interrupt) Error() string { return "interrupted by " + signalName(i.Signal) }

// ExitCode is 128 + the signal's number; 130 for a signal without one.
func (i *Interrupt) ExitCode() int {
	if s, ok := i.Signal.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 128 + int(syscall.SIGINT)
}

// signalName is SIGINT, SIGTERM or the signal's own description.
func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// interruptOf returns the signal that ended ctx, or nil when none did.
func interruptOf(ctx context.Context) *Interrupt {
	var i *Interrupt
	if errors.As(context.Cause(ctx), &i) {
		return i
	}
	return nil
}

// interruptCode is the exit code of a command ctx's end stopped: the
// signal's, or ExitError for another cause (a lost apply lock, say).
func interruptCode(ctx context.Context) int {
	if i := interruptOf(ctx); i != nil {
		return i.ExitCode()
	}
	return ExitError
}

// interruptedBy says, in a message, what stopped a command when it was not
// a signal: " (the apply lock was lost: ...)", or "" for a signal, whose
// exit code tells.
func interruptedBy(ctx context.Context) string {
	if interruptOf(ctx) != nil || context.Cause(ctx) == nil || errors.Is(context.Cause(ctx), context.Canceled) && context.Cause(ctx) == context.Canceled {
		return ""
	}
	return fmt.Sprintf(" (%v)", context.Cause(ctx))
}
