package aws

import (
	"sort"
	"sync"
)

// Stats counts the AWS calls a Provider made, per scope and action, and the
// throttling errors it retried. It is safe for concurrent use.
type Stats struct {
	mu        sync.Mutex
	calls     map[string]map[string]int
	throttles map[string]int
}

func newStats() *Stats {
	return &Stats{calls: map[string]map[string]int{}, throttles: map[string]int{}}
}

func (s *Stats) addCall(scope, action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.calls[scope]
	if m == nil {
		m = map[string]int{}
		s.calls[scope] = m
	}
	m[action]++
}

func (s *Stats) addThrottle(scope string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttles[scope]++
}

// Calls returns the number of operations made (each counted once, however
// many attempts its retries took).
func (s *Stats) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.calls {
		for _, c := range m {
			n += c
		}
	}
	return n
}

// Throttles returns the number of throttling errors that were retried.
func (s *Stats) Throttles() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.throttles {
		n += c
	}
	return n
}

// ScopeCalls returns the calls made in one scope ("<account>/<region>",
// "<account>/global" for IAM and STS), keyed "<service>:<action>", for
// example "EC2:DescribeVpcs".
func (s *Stats) ScopeCalls(scope string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls[scope]))
	for k, v := range s.calls[scope] {
		out[k] = v
	}
	return out
}

// Scopes returns the scopes that saw calls, sorted.
func (s *Stats) Scopes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.calls))
	for k := range s.calls {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Reset clears every counter.
func (s *Stats) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[string]map[string]int{}
	s.throttles = map[string]int{}
}
