package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/engine/enginetest"
	"github.com/flowplan/flowplan/spec"
)

var lockQuery = engine.LeaseQuery{Account: engine.Account{ID: acctA}, Region: "us-east-1", Spec: "org"}

func acquire(t *testing.T, p *enginetest.Provider, holder string, o engine.LockOptions) *engine.Lock {
	t.Helper()
	o.Holder = holder
	l, err := engine.AcquireLock(context.Background(), p, lockQuery, o)
	if err != nil {
		t.Fatalf("AcquireLock(%s): %v", holder, err)
	}
	t.Cleanup(func() { l.Release(context.Background()) })
	return l
}

func generations(p *enginetest.Provider) []int64 {
	var out []int64
	for _, l := range p.Leases(lockQuery) {
		out = append(out, l.Generation)
	}
	return out
}

func TestLockScope(t *testing.T) {
	_, s := fixture(false)
	q := engine.LockScope(s)
	if q.Account.ID != acctA || q.Account.ExternalID != "very-secret-external-id" || q.Region != "us-east-1" || q.Spec != "org" {
		t.Errorf("static accounts: %+v", q)
	}
	org := &spec.Spec{Name: "org", Organization: &spec.Organization{AssumeRoleName: "r", Regions: []string{"eu-west-1", "us-east-1"}}}
	if q := engine.LockScope(org); q.Account.ID != "" || q.Region != "eu-west-1" {
		t.Errorf("organization only: %+v, want the caller's account in the first region", q)
	}
}

// A second run of a spec is refused while the first holds the lock, with
// who holds it, where and since when; once the first releases it, the
// second takes it, and the released lease is cleaned up.
func TestLockExcludesASecondRun(t *testing.T) {
	p := enginetest.New()
	first := acquire(t, p, "alice@ci-1 pid 10", engine.LockOptions{})
	_, err := engine.AcquireLock(context.Background(), p, lockQuery, engine.LockOptions{Holder: "bob@laptop pid 20"})
	var le *engine.LockedError
	if !errors.As(err, &le) || le.Held.Holder != "alice@ci-1 pid 10" || le.Held.Generation != 1 {
		t.Fatalf("second run: %v, want a LockedError naming alice", err)
	}
	since := first.Lease().Started.UTC().Format(time.RFC3339)
	want := `another apply of spec "org" is running in account ` + acctA + " since " + since + " (held by alice@ci-1 pid 10; its lease, lease org/1 in us-east-1, expires at "
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q\nwant it to start %q", err, want)
	}
	if err := first.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ls := p.Leases(lockQuery); len(ls) != 1 || !ls[0].Released {
		t.Fatalf("after release: %+v, want generation 1 kept, released", ls)
	}
	second := acquire(t, p, "bob@laptop pid 20", engine.LockOptions{})
	if g := second.Lease().Generation; g != 2 || second.TookOver() != nil {
		t.Errorf("second run holds generation %d (took over %v), want 2 from a released lease", g, second.TookOver())
	}
	if got := generations(p); len(got) != 1 || got[0] != 2 {
		t.Errorf("generations = %v, want [2]: the released one is deleted", got)
	}
}

// With a timeout, the second run waits, says so once, and goes ahead when
// the first is done.
func TestLockWaitsForTheFirstRun(t *testing.T) {
	p := enginetest.New()
	first := acquire(t, p, "alice", engine.LockOptions{})
	waiting := make(chan engine.Lease, 10)
	done := make(chan error, 1)
	go func() {
		l, err := engine.AcquireLock(context.Background(), p, lockQuery, engine.LockOptions{Holder: "bob", Timeout: time.Hour, Poll: time.Millisecond,
			Waiting: func(held engine.Lease) { waiting <- held }})
		if err == nil {
			defer l.Release(context.Background())
			if l.Lease().Generation != 2 {
				err = errors.New("bob holds the wrong generation")
			}
		}
		done <- err
	}()
	if held := <-waiting; held.Holder != "alice" {
		t.Errorf("waiting for %q, want alice", held.Holder)
	}
	if err := first.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("bob: %v", err)
	}
	if len(waiting) != 0 {
		t.Errorf("Waiting called %d more times for one lease", len(waiting))
	}
}

// A lease whose run crashed expires, and the next run takes it over,
// saying from whom, and deletes it.
func TestLockTakesOverAnExpiredLease(t *testing.T) {
	p := enginetest.New()
	crashed := engine.Lease{Generation: 41, Holder: "ci@runner pid 7", Started: time.Now().Add(-time.Hour), Expires: time.Now().Add(-time.Minute)}
	p.SetLease(lockQuery, crashed)
	l := acquire(t, p, "bob", engine.LockOptions{})
	if l.Lease().Generation != 42 || l.TookOver() == nil || l.TookOver().Holder != "ci@runner pid 7" {
		t.Fatalf("lease %d, took over %+v", l.Lease().Generation, l.TookOver())
	}
	if got := generations(p); len(got) != 1 || got[0] != 42 {
		t.Errorf("generations = %v, want [42]", got)
	}
}

// Two runs that read the same newest lease race to create the next one;
// AWS lets one create it, and the other finds the lock held.
func TestLockRaceForOneGeneration(t *testing.T) {
	p := enginetest.New()
	p.BeforeCreateLease = func(q engine.LeaseQuery, l engine.Lease) {
		p.BeforeCreateLease = nil
		p.SetLease(q, engine.Lease{Generation: l.Generation, Holder: "alice", Started: time.Now(), Expires: time.Now().Add(time.Minute)})
	}
	_, err := engine.AcquireLock(context.Background(), p, lockQuery, engine.LockOptions{Holder: "bob"})
	var le *engine.LockedError
	if !errors.As(err, &le) || le.Held.Holder != "alice" {
		t.Fatalf("bob: %v, want the lock held by alice", err)
	}
}

// A run that read an old newest lease creates a generation that turns out
// not to be the newest: it drops it and finds the lock held.
func TestLockRunBehindDropsItsLease(t *testing.T) {
	p := enginetest.New()
	p.BeforeCreateLease = func(q engine.LeaseQuery, l engine.Lease) {
		p.BeforeCreateLease = nil
		p.SetLease(q, engine.Lease{Generation: l.Generation + 1, Holder: "alice", Started: time.Now(), Expires: time.Now().Add(time.Minute)})
	}
	_, err := engine.AcquireLock(context.Background(), p, lockQuery, engine.LockOptions{Holder: "bob"})
	var le *engine.LockedError
	if !errors.As(err, &le) || le.Held.Holder != "alice" {
		t.Fatalf("bob: %v, want the lock held by alice", err)
	}
	if got := generations(p); len(got) != 1 || got[0] != 2 {
		t.Errorf("generations = %v, want [2]: bob's generation 1 deleted", got)
	}
}

func waitLost(t *testing.T, l *engine.Lock) error {
	t.Helper()
	select {
	case <-l.Lost():
		return l.Err()
	case <-time.After(30 * time.Second):
		t.Fatal("the lock was never reported lost")
		return nil
	}
}

// The holder renews its lease; when another run takes the lock over, the
// holder learns it at its next renewal, and Release leaves the other's
// lease alone.
func TestLockRenewsAndNoticesATakeover(t *testing.T) {
	p := enginetest.New()
	l := acquire(t, p, "alice", engine.LockOptions{TTL: 40 * time.Millisecond})
	first := l.Lease().Expires
	deadline := time.Now().Add(30 * time.Second)
	for p.Leases(lockQuery)[0].Expires.Equal(first) {
		if time.Now().After(deadline) {
			t.Fatal("the lease was never renewed")
		}
		time.Sleep(time.Millisecond)
	}
	p.SetLease(lockQuery, engine.Lease{Generation: 2, Holder: "bob", Started: time.Now(), Expires: time.Now().Add(time.Hour)})
	if err := waitLost(t, l); err == nil || !strings.Contains(err.Error(), "another apply (bob) took it over") {
		t.Fatalf("lost: %v", err)
	}
	if err := l.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ls := p.Leases(lockQuery); ls[1].Released || ls[1].Holder != "bob" {
		t.Errorf("bob's lease after alice's release: %+v", ls[1])
	}
}

// A lease that cannot be renewed is lost before it expires, so that its
// run stops before another may take the lock.
func TestLockLostWhenRenewalsFail(t *testing.T) {
	p := enginetest.New()
	l := acquire(t, p, "alice", engine.LockOptions{TTL: 40 * time.Millisecond})
	p.SetLeaseError("UpdateLease", errors.New("ThrottlingException: Rate exceeded"))
	err := waitLost(t, l)
	if err == nil || !strings.Contains(err.Error(), "could not be renewed before it expires") || !strings.Contains(err.Error(), "Rate exceeded") {
		t.Fatalf("lost: %v", err)
	}
	p.SetLeaseError("UpdateLease", nil)
	if err := l.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ls := p.Leases(lockQuery); len(ls) != 1 || ls[0].Released {
		t.Errorf("leases = %+v: a lost lock is not released, it expires", ls)
	}
}
