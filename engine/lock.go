package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/flowplan/flowplan/spec"
)

// The apply lock keeps two applies of one spec from running at once. There
// is no server, so it is a lease kept in AWS (docs/design.md, "The apply
// lock"): generation N of a spec's lease is a record the provider creates
// with a create-if-absent AWS makes atomic, so that of two runs creating
// the same generation exactly one succeeds. The newest generation is the
// lock: held while it is neither released nor expired. To take the lock a
// run creates the generation after the newest one, checks that no newer
// one appeared meanwhile, and deletes the older ones; the newest is never
// deleted, so generations only grow and a run working from an old reading
// can only create a generation that is not the newest, which it then
// drops. While it holds the lock a run renews its lease; a run that crashed
// stops renewing, and its lease is taken over once it expires.

// Lease timing defaults.
const (
	// DefaultLeaseTTL is how long a lease lasts unless renewed. A run that
	// crashes blocks others at most this long.
	DefaultLeaseTTL = 2 * time.Minute
	// DefaultLockPoll is how often a run waiting for the lock looks again.
	DefaultLockPoll = 5 * time.Second
)

// maxLockRaces bounds how often in a row AcquireLock may lose a race for a
// free generation before it gives up: each loss means another run took the
// lock, which it then finds held.
const maxLockRaces = 10

// LeasePrefix is the name prefix of spec's lease log groups in CloudWatch
// Logs: a lease is the group LeasePrefix(spec) followed by its generation
// in ten digits. Providers name leases with it, and the runner policy
// grants the lock's actions on it.
func LeasePrefix(spec string) string { return "/flowplan/locks/" + spec + "/" }

// LockScope returns where the apply leases of spec s live: in the first
// account the spec lists, in that account's first region; for a spec with
// only an organization block, in the account of the current credentials
// (the management or delegated administrator account that lists the
// organization), in the organization's first region. Every run of a spec
// must find the same place, so moving the first account or region while an
// apply runs lets a second one in.
func LockScope(s *spec.Spec) LeaseQuery {
	q := LeaseQuery{Spec: s.Name}
	switch {
	case len(s.Accounts) > 0:
		a := s.Accounts[0]
		q.Account = Account{ID: a.ID, Alias: a.Alias, AssumeRole: a.AssumeRole, ExternalID: a.ExternalID, Regions: a.Regions}
		if len(a.Regions) > 0 {
			q.Region = a.Regions[0]
		}
	case s.Organization != nil && len(s.Organization.Regions) > 0:
		q.Region = s.Organization.Regions[0]
	}
	return q
}

// LockOptions configure AcquireLock.
type LockOptions struct {
	// Holder names this run in the lease: user, host and process.
	Holder string
	// Timeout is how long to wait while another run holds the lock; 0
	// fails at once.
	Timeout time.Duration
	// TTL is how long the lease lasts unless renewed; 0 means
	// DefaultLeaseTTL. It is renewed every TTL/4.
	TTL time.Duration
	// Poll is how often a waiting run looks again; 0 means DefaultLockPoll.
	Poll time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Waiting, when set, is called when AcquireLock starts waiting for a
	// lease another run holds, once per lease.
	Waiting func(held Lease)
}

func (o LockOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// LockedError says that another run holds the lock.
type LockedError struct {
	// Spec is the spec's name.
	Spec string
	// Held is the lease in the way.
	Held Lease
	// Waited is how long AcquireLock waited (LockOptions.Timeout).
	Waited time.Duration
}

func (e *LockedError) Error() string {
	s := fmt.Sprintf("another apply of spec %q is running in account %s since %s (held by %s; its lease, %s, expires at %s unless renewed)",
		e.Spec, display(e.Held.Account), e.Held.Started.UTC().Format(time.RFC3339), display(e.Held.Holder), display(e.Held.Location),
		e.Held.Expires.UTC().Format(time.RFC3339))
	if e.Waited > 0 {
		s += fmt.Sprintf("; gave up after waiting %s", e.Waited)
	}
	return s
}

// Lock is an apply lock this run holds. It renews its lease until Release,
// and closes Lost when it can no longer show that it holds it.
type Lock struct {
	p    Provider
	q    LeaseQuery
	o    LockOptions
	ttl  time.Duration
	took *Lease

	mu    sync.Mutex
	lease Lease
	err   error

	lost    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
}

// AcquireLock takes the apply lock of q.Spec, waiting up to o.Timeout
// while another run holds it, and then a *LockedError. It takes over a
// lease that expired unreleased (see TookOver). The lock renews itself in
// the background until Release.
func AcquireLock(ctx context.Context, p Provider, q LeaseQuery, o LockOptions) (*Lock, error) {
	ttl := o.TTL
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	poll := o.Poll
	if poll <= 0 {
		poll = DefaultLockPoll
	}
	start := o.now()
	var waitedFor int64
	races := 0
	for {
		leases, err := p.ListLeases(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("read the apply lock of spec %q: %w", q.Spec, err)
		}
		var top *Lease
		if len(leases) > 0 {
			top = &leases[len(leases)-1]
		}
		now := o.now()
		if top != nil && live(*top, now) {
			waited := now.Sub(start)
			if waited >= o.Timeout {
				return nil, &LockedError{Spec: q.Spec, Held: *top, Waited: o.Timeout}
			}
			if o.Waiting != nil && waitedFor != top.Generation {
				o.Waiting(*top)
			}
			waitedFor = top.Generation
			t := time.NewTimer(min(poll, o.Timeout-waited))
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("waiting for the apply lock of spec %q: %w", q.Spec, context.Cause(ctx))
			case <-t.C:
			}
			continue
		}
		gen := int64(1)
		if top != nil {
			gen = top.Generation + 1
		}
		mine := Lease{Generation: gen, Holder: o.Holder, Started: now, Expires: now.Add(ttl)}
		err = p.CreateLease(ctx, q, mine)
		if errors.Is(err, ErrAlreadyExists) {
			// Another run created this generation first: look again.
			if races++; races > maxLockRaces {
				return nil, fmt.Errorf("take the apply lock of spec %q: lost the race for a free lease %d times in a row", q.Spec, races)
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("take the apply lock of spec %q: %w", q.Spec, err)
		}
		after, err := p.ListLeases(ctx, q)
		if err != nil {
			// Unsure whether it holds the lock, the run gives it up.
			_ = p.DeleteLease(context.WithoutCancel(ctx), q, gen)
			return nil, fmt.Errorf("take the apply lock of spec %q: check the lease: %w", q.Spec, err)
		}
		if newest(after) > gen {
			// A run working from a newer reading got ahead: this
			// generation is not the lock.
			_ = p.DeleteLease(ctx, q, gen)
			continue
		}
		for _, l := range after {
			switch {
			case l.Generation == gen:
				mine.Account, mine.Location = l.Account, l.Location
			case l.Generation < gen:
				// Best effort: a lease left over is deleted by the next run.
				_ = p.DeleteLease(ctx, q, l.Generation)
			}
		}
		lock := &Lock{p: p, q: q, o: o, ttl: ttl, lease: mine, lost: make(chan struct{}), stop: make(chan struct{}), stopped: make(chan struct{})}
		if top != nil && !top.Released {
			took := *top
			lock.took = &took
		}
		go lock.renew()
		return lock, nil
	}
}

// live reports whether l holds the lock at now.
func live(l Lease, now time.Time) bool { return !l.Released && now.Before(l.Expires) }

func newest(leases []Lease) int64 {
	var n int64
	for _, l := range leases {
		n = max(n, l.Generation)
	}
	return n
}

// Lease returns the lease this run holds.
func (l *Lock) Lease() Lease {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lease
}

// TookOver returns the lease this run took the lock over from, one that
// expired without being released (its run crashed, or lost its
// connection), or nil.
func (l *Lock) TookOver() *Lease { return l.took }

// Lost is closed when the run can no longer show that it holds the lock:
// another run took it over, or the lease could not be renewed before it
// was about to expire. Err says why. An apply should then stop.
func (l *Lock) Lost() <-chan struct{} { return l.lost }

// Err says why the lock was lost, or nil.
func (l *Lock) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// renew renews the lease every TTL/4, and after each renewal checks that
// no newer generation exists.
func (l *Lock) renew() {
	defer close(l.stopped)
	t := time.NewTicker(l.ttl / 4)
	defer t.Stop()
	ctx := context.Background()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		if err := l.renewOnce(ctx); err != nil {
			l.mu.Lock()
			l.err = err
			l.mu.Unlock()
			close(l.lost)
			return
		}
	}
}

// renewOnce extends the lease, and returns why the lock is lost, if it is.
func (l *Lock) renewOnce(ctx context.Context) error {
	mine := l.Lease()
	next := mine
	next.Expires = l.o.now().Add(l.ttl)
	err := l.p.UpdateLease(ctx, l.q, next)
	switch {
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("the apply lock of spec %q was lost: its lease, %s, is gone (another apply took it over)", l.q.Spec, display(mine.Location))
	case err != nil:
		// Try again at the next tick, unless the lease is about to end:
		// others may take it over once it has.
		if !l.o.now().Before(mine.Expires.Add(-l.ttl / 4)) {
			return fmt.Errorf("the apply lock of spec %q was lost: its lease, %s, could not be renewed before it expires at %s: %w",
				l.q.Spec, display(mine.Location), mine.Expires.UTC().Format(time.RFC3339), err)
		}
		return nil
	}
	l.mu.Lock()
	l.lease = next
	l.mu.Unlock()
	leases, err := l.p.ListLeases(ctx, l.q)
	if err != nil {
		return nil
	}
	for _, other := range leases {
		if other.Generation > mine.Generation {
			return fmt.Errorf("the apply lock of spec %q was lost: another apply (%s) took it over at %s",
				l.q.Spec, display(other.Holder), other.Started.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// Release stops renewing the lease and gives the lock back: the lease is
// marked released (it stays, as the newest generation, until the next run
// deletes it). A lost lock is left alone: it is no longer this run's.
func (l *Lock) Release(ctx context.Context) error {
	select {
	case <-l.stop:
		return nil
	default:
	}
	close(l.stop)
	<-l.stopped
	if l.Err() != nil {
		return nil
	}
	done := l.Lease()
	done.Expires, done.Released = l.o.now(), true
	if err := l.p.UpdateLease(ctx, l.q, done); err != nil {
		return fmt.Errorf("release the apply lock of spec %q (it expires by itself at %s): %w", l.q.Spec, l.Lease().Expires.UTC().Format(time.RFC3339), err)
	}
	return nil
}
