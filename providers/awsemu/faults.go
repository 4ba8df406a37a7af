package awsemu

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Failure scripts the failure of matching calls. Tests use it to say, for
// example, "fail the next 2 CreateFlowLogs in 111111111111/us-east-1 with
// InternalError".
type Failure struct {
	// Service is the signing name (ec2, iam, sts, logs, s3, firehose,
	// organizations); Action the API operation ("*" matches any).
	Service, Action string
	// Account and Region narrow the match; empty matches any. IAM,
	// Organizations and S3 calls have region "global".
	Account, Region string
	// Times is how many matching calls fail; 0 means 1.
	Times int
	// Status, Code and Message make the error; the default is the
	// service's internal error with status 500.
	Status        int
	Code, Message string
	// Reset drops the connection without a response instead.
	Reset bool
	// Ghost lets the call succeed, then drops the connection instead of
	// answering: the change is made but the client never hears of it.
	Ghost bool
}

func (f *Failure) matches(c *call) bool {
	return f.Service == c.svc.name &&
		(f.Action == "*" || f.Action == c.action) &&
		(f.Account == "" || f.Account == c.key.Account) &&
		(f.Region == "" || f.Region == c.scope)
}

func (f *Failure) apiError(svc *service) *apiError {
	if f.Code == "" {
		return internalError(svc, false)
	}
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	msg := f.Message
	if msg == "" {
		msg = "scripted failure"
	}
	return newError(status, f.Code, "%s", msg)
}

// internalError is each service's server-side error: 500 InternalError, or
// 503 when unavailable is set.
func internalError(svc *service, unavailable bool) *apiError {
	if unavailable {
		code := map[string]string{"ec2": "Unavailable", "logs": "ServiceUnavailableException",
			"firehose": "ServiceUnavailableException", "organizations": "ServiceException"}[svc.name]
		if code == "" {
			code = "ServiceUnavailable"
		}
		return newError(http.StatusServiceUnavailable, code, "The service is unavailable. Please try again shortly.")
	}
	code := map[string]string{"iam": "ServiceFailure", "sts": "InternalFailure", "logs": "ServiceUnavailableException",
		"firehose": "ServiceUnavailableException", "organizations": "ServiceException"}[svc.name]
	if code == "" {
		code = "InternalError"
	}
	return newError(http.StatusInternalServerError, code, "An internal error has occurred")
}

// RandomFaults injects failures at random, from a seed, so that a failing
// run can be repeated. The rates are probabilities (0..1) per call; their
// sum must not exceed 1.
type RandomFaults struct {
	Seed int64
	// ErrorRate is the probability that a call gets a 500 or 503.
	ErrorRate float64
	// ResetRate is the probability that a call's connection is dropped
	// before it is served.
	ResetRate float64
	// ThrottleRate is the probability that a call gets the service's
	// throttling error (as from an empty token bucket, see throttle.go).
	ThrottleRate float64
	// GhostRate is the probability that a write (an action that changes
	// state) succeeds and its response is lost: the connection is dropped
	// after the change is made, as when a response times out on its way
	// back. Reads are never ghosted.
	GhostRate float64
}

// active reports whether any rate is set.
func (r RandomFaults) active() bool {
	return r.ErrorRate > 0 || r.ResetRate > 0 || r.ThrottleRate > 0 || r.GhostRate > 0
}

type faultInjector struct {
	mu       sync.Mutex
	scripted []*Failure
	random   RandomFaults
	rng      *rand.Rand
	delay    time.Duration
}

func newFaultInjector(r RandomFaults, latency time.Duration) *faultInjector {
	f := &faultInjector{delay: latency}
	f.setRandom(r)
	return f
}

func (f *faultInjector) setRandom(r RandomFaults) {
	f.random = r
	f.rng = rand.New(rand.NewPCG(uint64(r.Seed), 0x666c6f77706c616e))
}

// next returns the failure to inject into c, if any; mutating says
// whether the call changes state (only writes are ghosted at random).
func (f *faultInjector) next(c *call, mutating bool) *Failure {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, s := range f.scripted {
		if !s.matches(c) {
			continue
		}
		out := *s
		s.Times--
		if s.Times <= 0 {
			f.scripted = append(f.scripted[:i], f.scripted[i+1:]...)
		}
		return &out
	}
	r := f.random
	if !r.active() {
		return nil
	}
	x := f.rng.Float64()
	switch {
	case x < r.ResetRate:
		return &Failure{Reset: true}
	case x < r.ResetRate+r.ErrorRate:
		if f.rng.IntN(2) == 0 {
			return &Failure{}
		}
		e := internalError(c.svc, true)
		return &Failure{Status: e.Status, Code: e.Code, Message: e.Message}
	case x < r.ResetRate+r.ErrorRate+r.ThrottleRate:
		e := throttlingError(c.svc.name)
		return &Failure{Status: e.Status, Code: e.Code, Message: e.Message}
	case mutating && x < r.ResetRate+r.ErrorRate+r.ThrottleRate+r.GhostRate:
		return &Failure{Ghost: true}
	}
	return nil
}

func (f *faultInjector) latency() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.delay
}

// FailNext scripts failures: the next f.Times calls matching f fail.
// Scripts are matched in the order they were added.
func (e *Emulator) FailNext(f Failure) {
	if f.Times <= 0 {
		f.Times = 1
	}
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	e.faults.scripted = append(e.faults.scripted, &f)
}

// ClearFailures removes scripted failures that have not fired yet.
func (e *Emulator) ClearFailures() {
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	e.faults.scripted = nil
}

// SetRandomFaults replaces the random fault settings and reseeds them.
func (e *Emulator) SetRandomFaults(r RandomFaults) {
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	e.faults.setRandom(r)
}

// SetLatency sets the delay added to every call.
func (e *Emulator) SetLatency(d time.Duration) {
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	e.faults.delay = d
}

// CallKey identifies a counter: one service action in one account-region.
type CallKey struct {
	Service, Action, Account, Region string
}

func (k CallKey) String() string {
	return fmt.Sprintf("%s %s %s/%s", k.Service, k.Action, k.Account, k.Region)
}

type counter struct {
	mu sync.Mutex
	m  map[CallKey]int
	// writes counts the calls of m that are writes (see Writes).
	writes map[CallKey]int
}

func newCounter() *counter { return &counter{m: map[CallKey]int{}, writes: map[CallKey]int{}} }

func (c *counter) add(k CallKey, write bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k]++
	if write {
		c.writes[k]++
	}
}

// isWrite reports whether a call of act on svc is a write: an action that
// changes the state of an account (creates, deletes, puts, tags). STS's
// actions change state only in that the emulator remembers the session
// credentials it issued; they change no resource of any account, so they
// are not writes.
func isWrite(svc *service, act *action) bool { return act.mutating && svc.name != "sts" }

// Counts returns how many calls reached each action, including calls that
// failed (injected faults and throttling included), since the emulator
// started or ResetCounts. Calls refused before routing (bad signature,
// unknown key, unknown action) are not counted.
func (e *Emulator) Counts() map[CallKey]int {
	e.counts.mu.Lock()
	defer e.counts.mu.Unlock()
	return maps.Clone(e.counts.m)
}

// Writes returns how many calls reached each action that changes an
// account's resources (see isWrite), counted as Counts counts them: the
// call log a test reads to prove a command read-only. ResetCounts zeroes
// it too.
func (e *Emulator) Writes() map[CallKey]int {
	e.counts.mu.Lock()
	defer e.counts.mu.Unlock()
	return maps.Clone(e.counts.writes)
}

// Count sums the counters of one service action over every account-region.
func (e *Emulator) Count(service, action string) int {
	n := 0
	for k, v := range e.Counts() {
		if k.Service == service && k.Action == action {
			n += v
		}
	}
	return n
}

// CountsReport lists the counters, one "service action account/region: n"
// per line, sorted, for test failure messages.
func (e *Emulator) CountsReport() string {
	counts := e.Counts()
	lines := make([]string, 0, len(counts))
	for k, v := range counts {
		lines = append(lines, fmt.Sprintf("%s: %d", k, v))
	}
	sort.Strings(lines)
	out := ""
	for _, l := range lines {
		out += l + "\n"
	}
	return out
}

// ResetCounts sets every counter back to zero.
func (e *Emulator) ResetCounts() {
	e.counts.mu.Lock()
	defer e.counts.mu.Unlock()
	e.counts.m = map[CallKey]int{}
	e.counts.writes = map[CallKey]int{}
}
