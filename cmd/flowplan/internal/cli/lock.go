package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"
	"unicode"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/spec"
)

// takeLock takes the apply lock of spec s (engine.AcquireLock; where it
// lives: engine.LockScope), waiting up to timeout while another apply
// holds it. It returns a context that ends when the lock is lost, so that
// the apply stops as it would on a signal, and the function that releases
// the lock, which the caller defers.
func takeLock(ctx context.Context, e *env, b *backend, s *spec.Spec, timeout time.Duration) (context.Context, func(), error) {
	opts := engine.LockOptions{Holder: holderName(), Timeout: timeout, Waiting: func(held engine.Lease) {
		fmt.Fprintf(e.Stderr, "waiting up to %s (--lock-timeout) for the apply lock: %v\n", timeout, &engine.LockedError{Spec: s.Name, Held: held})
	}}
	lock, err := engine.AcquireLock(ctx, b.provider, engine.LockScope(s), opts)
	var le *engine.LockedError
	switch {
	case errors.As(err, &le):
		hint := "wait for it to finish, or give --lock-timeout DURATION to wait for it"
		if timeout > 0 {
			hint = "wait for it to finish, or give a longer --lock-timeout"
		}
		return nil, nil, &exitError{code: ExitError, err: fmt.Errorf("%w\n%s; a run that crashed holds the lock until its lease expires", err, hint)}
	case err != nil:
		return nil, nil, err
	}
	if t := lock.TookOver(); t != nil {
		fmt.Fprintf(e.Stderr, "took over the apply lock of spec %q from %s (since %s), whose lease expired at %s without being released: that apply stopped without finishing\n",
			s.Name, plainText(t.Holder), t.Started.UTC().Format(time.RFC3339), t.Expires.UTC().Format(time.RFC3339))
	}
	ctx, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-lock.Lost():
			cancel(lock.Err())
		case <-ctx.Done():
		}
	}()
	release := func() {
		// Released even when a signal ended ctx.
		if err := lock.Release(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintf(e.Stderr, "Warning: %v\n", err)
		}
		cancel(nil)
	}
	return ctx, release, nil
}

// holderName names this run in its lease: user@host pid N.
func holderName() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, _ := os.Hostname()
	if name == "" {
		name = "unknown"
	}
	if host == "" {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s@%s pid %d", name, host, os.Getpid())
}

// plainText shows a value read from AWS as it is when it is printable,
// quoted otherwise, and cut to 120 bytes.
func plainText(s string) string {
	if s == "" {
		return "(unknown)"
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// lockLost returns err, or when the loss of the apply lock stopped the
// command (ctx ended, not by a signal) an error that says so.
func lockLost(ctx context.Context, err error) error {
	if ctx.Err() == nil || interruptOf(ctx) != nil || context.Cause(ctx) == nil {
		return err
	}
	return fmt.Errorf("stopped before applying anything: %w", context.Cause(ctx))
}
