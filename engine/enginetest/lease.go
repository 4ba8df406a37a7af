package enginetest

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/flowplan/flowplan/engine"
)

// leaseKey is where a spec's leases live in the fake: account, region and
// spec. An empty account is the caller's, "caller" here.
func leaseKey(q engine.LeaseQuery) string {
	account := q.Account.ID
	if account == "" {
		account = "caller"
	}
	return account + "/" + q.Region + "/" + q.Spec
}

func (p *Provider) leaseMap(q engine.LeaseQuery) map[int64]engine.Lease {
	if p.leases == nil {
		p.leases = map[string]map[int64]engine.Lease{}
	}
	k := leaseKey(q)
	if p.leases[k] == nil {
		p.leases[k] = map[int64]engine.Lease{}
	}
	return p.leases[k]
}

// SetLease stores a lease as another run would have made it (a stale one,
// say), without the checks CreateLease makes.
func (p *Provider) SetLease(q engine.LeaseQuery, l engine.Lease) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.leaseMap(q)[l.Generation] = p.located(q, l)
}

// Leases returns the leases stored for q, by generation.
func (p *Provider) Leases(q engine.LeaseQuery) []engine.Lease {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.leaseMap(q)
	out := make([]engine.Lease, 0, len(m))
	for _, g := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[g])
	}
	return out
}

func (p *Provider) located(q engine.LeaseQuery, l engine.Lease) engine.Lease {
	l.Account = q.Account.ID
	if l.Account == "" {
		l.Account = "caller"
	}
	l.Location = fmt.Sprintf("lease %s/%d in %s", q.Spec, l.Generation, q.Region)
	return l
}

// ListLeases returns the stored leases of q, by generation.
func (p *Provider) ListLeases(ctx context.Context, q engine.LeaseQuery) ([]engine.Lease, error) {
	defer p.start(Call{Method: "ListLeases", Scope: leaseKey(q)})()
	if err := p.leaseErr("ListLeases"); err != nil {
		return nil, err
	}
	return p.Leases(q), nil
}

// CreateLease stores l unless its generation exists: atomic, as the
// provider's AWS primitive is. BeforeCreateLease runs first.
func (p *Provider) CreateLease(ctx context.Context, q engine.LeaseQuery, l engine.Lease) error {
	defer p.start(Call{Method: "CreateLease", Scope: leaseKey(q)})()
	if p.BeforeCreateLease != nil {
		p.BeforeCreateLease(q, l)
	}
	if err := p.leaseErr("CreateLease"); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.leaseMap(q)
	if _, ok := m[l.Generation]; ok {
		return fmt.Errorf("lease %s/%d: %w", q.Spec, l.Generation, engine.ErrAlreadyExists)
	}
	m[l.Generation] = p.located(q, l)
	return nil
}

// UpdateLease rewrites a stored lease's Expires and Released.
func (p *Provider) UpdateLease(ctx context.Context, q engine.LeaseQuery, l engine.Lease) error {
	defer p.start(Call{Method: "UpdateLease", Scope: leaseKey(q)})()
	if err := p.leaseErr("UpdateLease"); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.leaseMap(q)
	have, ok := m[l.Generation]
	if !ok {
		return fmt.Errorf("lease %s/%d: %w", q.Spec, l.Generation, engine.ErrNotFound)
	}
	have.Expires, have.Released = l.Expires, l.Released
	m[l.Generation] = have
	return nil
}

// DeleteLease deletes a stored lease.
func (p *Provider) DeleteLease(ctx context.Context, q engine.LeaseQuery, gen int64) error {
	defer p.start(Call{Method: "DeleteLease", Scope: leaseKey(q)})()
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.leaseMap(q)
	if _, ok := m[gen]; !ok {
		return fmt.Errorf("lease %s/%d: %w", q.Spec, gen, engine.ErrNotFound)
	}
	delete(m, gen)
	return nil
}

// SetLeaseError makes the lease method named fail with err (nil: succeed
// again). It is safe while a lock renews itself.
func (p *Provider) SetLeaseError(method string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.LeaseErrors == nil {
		p.LeaseErrors = map[string]error{}
	}
	p.LeaseErrors[method] = err
}

func (p *Provider) leaseErr(method string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.LeaseErrors[method]
}
