package render

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/engine"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lockedBuffer is a bytes.Buffer safe for the race detector when the tick
// loop writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

var discovering = Phase{Name: "discovering", Total: 3, Unit: "account-regions", Done: engine.EventScopeDone}

// frames splits terminal output into the status lines drawn, without the
// carriage returns and clear-line codes.
func frames(s string) []string {
	var out []string
	for _, f := range strings.Split(s, "\r") {
		if f != "" {
			out = append(out, strings.ReplaceAll(f, "\x1b[K", ""))
		}
	}
	return out
}

func TestProgressTerminal(t *testing.T) {
	clock := newFakeClock()
	var w lockedBuffer
	p := NewProgress(&w, ProgressOptions{Terminal: true, Now: clock.Now})

	p.Start(discovering)
	p.Report(engine.Event{Type: engine.EventCall, Scope: "111111111111/us-east-1"}) // too soon to redraw
	clock.advance(200 * time.Millisecond)
	p.Report(engine.Event{Type: engine.EventThrottled, Scope: "111111111111/us-east-1"})
	p.Report(engine.Event{Type: engine.EventScopeDone, Scope: "111111111111/us-east-1"}) // too soon
	clock.advance(time.Second)
	p.Report(engine.Event{Type: engine.EventIAMWait, Scope: "111111111111/global", Message: "role flowplan-flow-logs"})
	clock.advance(3 * time.Second)
	p.Report(engine.Event{Type: engine.EventIAMWait, Scope: "222222222222/global", Message: "role other"})
	clock.advance(11 * time.Second)
	p.tick() // no event for 11s: the tick moves the timer
	p.Report(engine.Event{Type: engine.EventChangeDone, Scope: "111111111111/global"})
	p.Report(engine.Event{Type: engine.EventScopeDone, Scope: "111111111111/eu-west-1"}) // too soon
	clock.advance(time.Second)
	p.Start(Phase{Name: "applying", Total: 2, Unit: "changes", Done: engine.EventChangeDone})
	clock.advance(time.Second)
	p.Report(engine.Event{Type: engine.EventChangeDone, Scope: "111111111111/us-east-1"})
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	p.Report(engine.Event{Type: engine.EventCall}) // ignored after Close

	want := []string{
		"discovering: 0/3 account-regions, 0 calls",
		"discovering: 0/3 account-regions, 1 call, 1 throttle retried",
		"discovering: 1/3 account-regions, 1 call, 1 throttle retried, waiting for IAM (role flowplan-flow-logs) 0s",
		"discovering: 1/3 account-regions, 1 call, 1 throttle retried, waiting for IAM (role flowplan-flow-logs) 3s, 1 more",
		"discovering: 1/3 account-regions, 1 call, 1 throttle retried, waiting for IAM (role flowplan-flow-logs) 14s, 1 more",
		"discovering: 2/3 account-regions, 1 call, 1 throttle retried; finished in 16s\n",
		"applying: 0/2 changes, 0 calls",
		"applying: 1/2 changes, 0 calls",
		"applying: 1/2 changes, 0 calls; finished in 1s\n",
	}
	if diff := cmp.Diff(want, frames(w.String())); diff != "" {
		t.Errorf("frames (-want +got):\n%s", diff)
	}
}

func TestProgressTickLoop(t *testing.T) {
	clock := newFakeClock()
	var w lockedBuffer
	ticks := make(chan time.Time)
	p := NewProgress(&w, ProgressOptions{Terminal: true, Now: clock.Now, Tick: ticks})
	p.Start(discovering)
	p.Report(engine.Event{Type: engine.EventIAMWait, Scope: "111111111111/global", Message: "role r"})
	clock.advance(5 * time.Second)
	ticks <- clock.Now()
	// Close stops the loop after the tick's redraw, then writes the last line.
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"discovering: 0/3 account-regions, 0 calls",
		"discovering: 0/3 account-regions, 0 calls, waiting for IAM (role r) 5s",
		"discovering: 0/3 account-regions, 0 calls; finished in 5s\n",
	}
	if diff := cmp.Diff(want, frames(w.String())); diff != "" {
		t.Errorf("frames (-want +got):\n%s", diff)
	}
}

func TestProgressPlain(t *testing.T) {
	clock := newFakeClock()
	var w lockedBuffer
	p := NewProgress(&w, ProgressOptions{Now: clock.Now, Every: 10 * time.Second})
	p.Report(engine.Event{Type: engine.EventCall}) // before any phase: ignored
	p.Start(discovering)
	for i := 0; i < 30; i++ {
		p.Report(engine.Event{Type: engine.EventCall, Scope: "111111111111/us-east-1"})
		clock.advance(time.Second)
	}
	p.Report(engine.Event{Type: engine.EventIAMWait, Scope: "111111111111/global", Message: "role r\nwith newline"})
	p.Report(engine.Event{Type: engine.EventIAMWait, Scope: "111111111111/global", Message: "role r"}) // same wait
	p.Report(engine.Event{Type: engine.EventScopeDone, Scope: "111111111111/us-east-1"})
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	want := "discovering: 0/3 account-regions, 11 calls\n" +
		"discovering: 0/3 account-regions, 21 calls\n" +
		"discovering: waiting for IAM in 111111111111/global (role r with newline)\n" +
		"discovering: 0/3 account-regions, 30 calls, waiting for IAM (role r with newline) 0s\n" +
		"discovering: 1/3 account-regions, 30 calls; finished in 30s\n"
	if diff := cmp.Diff(want, w.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestProgressWidth(t *testing.T) {
	clock := newFakeClock()
	var w lockedBuffer
	p := NewProgress(&w, ProgressOptions{Terminal: true, Width: 20, Now: clock.Now})
	p.Start(discovering)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames(w.String()) {
		if n := len([]rune(strings.TrimSuffix(f, "\n"))); n >= 20 {
			t.Errorf("frame %q is %d columns, terminal is 20", f, n)
		}
	}
}

func TestProgressConcurrent(t *testing.T) {
	var w lockedBuffer
	p := NewProgress(&w, ProgressOptions{Terminal: true})
	p.Start(Phase{Name: "discovering", Total: 40, Unit: "account-regions", Done: engine.EventScopeDone})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 250; i++ {
				scope := fmt.Sprintf("%012d/us-east-%d", g, i%5)
				p.Report(engine.Event{Type: engine.EventCall, Scope: scope})
				if i%50 == 0 {
					p.Report(engine.Event{Type: engine.EventScopeDone, Scope: scope})
				}
			}
		}()
	}
	wg.Wait()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	fs := frames(w.String())
	if last := fs[len(fs)-1]; !strings.HasPrefix(last, "discovering: 40/40 account-regions, 2000 calls; finished in ") {
		t.Errorf("final line %q", last)
	}
}

func TestProgressWriteError(t *testing.T) {
	p := NewProgress(&failWriter{}, ProgressOptions{Terminal: true})
	p.Start(discovering)
	if err := p.Close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Close() = %v, want the write error", err)
	}
}

// A log line on a terminal clears the status line first and has it drawn
// again after, so that the two never share a line.
func TestProgressLogLines(t *testing.T) {
	clock := newFakeClock()
	var w lockedBuffer
	p := NewProgress(&w, ProgressOptions{Terminal: true, Width: 30, Now: clock.Now})
	log := p.LogWriter()
	fmt.Fprint(log, "before any phase\n")
	p.Start(discovering)
	fmt.Fprint(log, "level=DEBUG msg=\"aws call\"\n")
	p.End()
	fmt.Fprint(log, "after\n")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	want := "before any phase\n" +
		"\rdiscovering: 0/3 account-reg…\x1b[K" +
		"\r\x1b[Klevel=DEBUG msg=\"aws call\"\n" +
		"\rdiscovering: 0/3 account-reg…\x1b[K" +
		"\rdiscovering: 0/3 account-reg…\x1b[K\n" +
		"after\n"
	if got := w.String(); got != want {
		t.Errorf("output:\n%q\nwant\n%q", got, want)
	}
	// Every line the terminal shows is a log line or a status line, whole.
	for _, line := range strings.Split(w.String(), "\n") {
		shown := line[strings.LastIndex(line, "\r")+1:]
		if strings.Contains(shown, "discovering") && strings.Contains(shown, "level=") {
			t.Errorf("a log line shares a line with the status: %q", shown)
		}
	}
}
