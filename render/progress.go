package render

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/flowplan/flowplan/engine"
)

// Phase is a stage of work a Progress counts, such as discovery or apply.
type Phase struct {
	// Name leads the status line: "discovering", "applying".
	Name string
	// Total is how many units the phase will complete; 0 when unknown.
	Total int
	// Unit names the units: "account-regions", "changes".
	Unit string
	// Done is the event type that completes one unit, such as
	// engine.EventScopeDone or engine.EventChangeDone.
	Done engine.EventType
}

// ProgressOptions configure a Progress.
type ProgressOptions struct {
	// Terminal redraws one status line in place. Otherwise a plain line is
	// printed every Every, for CI logs.
	Terminal bool
	// Width is the terminal's width; longer status lines are cut. 0 means
	// no limit.
	Width int
	// Every is how often plain output prints a status line; 0 means 10s.
	Every time.Duration
	// Tick, when set, refreshes the status on each tick, so that timers
	// move while no event arrives (time.NewTicker(time.Second).C).
	Tick <-chan time.Time
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// redrawEvery is the least time between two terminal redraws caused by
// events; ticks always redraw.
const redrawEvery = 100 * time.Millisecond

// Progress shows engine progress on stderr: one updating status line on a
// terminal, occasional plain lines otherwise. It implements
// engine.Reporter and is safe for concurrent use.
type Progress struct {
	mu    sync.Mutex
	out   out
	opts  ProgressOptions
	phase *Phase
	// started is when the phase started; drawn is when the status was
	// last written.
	started, drawn         time.Time
	done, calls, throttles int
	// waits are the scopes waiting for IAM, with when they started.
	waits  map[string]iamWait
	closed bool
	// stop ends the tick loop; stopped closes when it has.
	stop, stopped chan struct{}
}

type iamWait struct {
	since   time.Time
	message string
}

var _ engine.Reporter = (*Progress)(nil)

// NewProgress returns a Progress writing to w. Call Start for each phase
// and Close at the end.
func NewProgress(w io.Writer, opts ProgressOptions) *Progress {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Every <= 0 {
		opts.Every = 10 * time.Second
	}
	p := &Progress{out: out{w: w}, opts: opts, waits: map[string]iamWait{}}
	if opts.Tick != nil {
		p.stop, p.stopped = make(chan struct{}), make(chan struct{})
		go p.tickLoop()
	}
	return p
}

func (p *Progress) tickLoop() {
	defer close(p.stopped)
	for {
		select {
		case <-p.stop:
			return
		case <-p.opts.Tick:
			p.tick()
		}
	}
}

// tick refreshes the status, timers included.
func (p *Progress) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refresh(true)
}

// Start ends the current phase, if any, with its final line and starts
// counting a new one.
func (p *Progress) Start(ph Phase) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.finish()
	p.phase = &ph
	p.started, p.drawn = p.opts.Now(), time.Time{}
	p.done, p.calls, p.throttles = 0, 0, 0
	p.waits = map[string]iamWait{}
	if p.opts.Terminal {
		p.draw()
	}
}

// End ends the current phase with its final line, so that output written
// next is not mixed with the status line. A later Start begins a new phase.
func (p *Progress) End() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.finish()
	}
}

// Report counts one event and refreshes the status when it is due.
func (p *Progress) Report(e engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.phase == nil {
		return
	}
	switch e.Type {
	case engine.EventCall:
		p.calls++
	case engine.EventThrottled:
		p.throttles++
	case engine.EventIAMWait:
		w, waiting := p.waits[e.Scope]
		if !waiting {
			w.since = p.opts.Now()
		}
		w.message = e.Message
		p.waits[e.Scope] = w
		if !waiting && !p.opts.Terminal {
			p.out.printf("%s: waiting for IAM in %s (%s)\n", p.phase.Name, e.Scope, oneLine(e.Message))
		}
	case engine.EventScopeDone, engine.EventChangeDone:
		delete(p.waits, e.Scope)
	}
	if e.Type == p.phase.Done {
		p.done++
	}
	p.refresh(false)
}

// Close ends the current phase with its final line and stops the ticks. It
// returns the first write error.
func (p *Progress) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return p.out.err
	}
	p.closed = true
	p.mu.Unlock()
	if p.stop != nil {
		close(p.stop)
		<-p.stopped
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finish()
	return p.out.err
}

// LogWriter returns a writer for log lines (a slog handler's output) that
// never share a line with the status: on a terminal, while a phase runs,
// each write first clears the status line, and the status is drawn again
// after it. Elsewhere it writes the lines as they are, between whole
// status lines. Each Write must be whole lines, as slog's handlers write.
func (p *Progress) LogWriter() io.Writer { return progressLog{p} }

type progressLog struct{ p *Progress }

func (l progressLog) Write(b []byte) (int, error) {
	p := l.p
	p.mu.Lock()
	defer p.mu.Unlock()
	live := p.opts.Terminal && p.phase != nil && !p.closed
	if live {
		p.out.print("\r\x1b[K")
	}
	n, err := p.out.w.Write(b)
	if live {
		p.draw()
	}
	return n, err
}

// refresh writes the status if it is due: on a terminal at most every
// redrawEvery (ticks always), plainly every opts.Every.
func (p *Progress) refresh(tick bool) {
	if p.phase == nil {
		return
	}
	since := p.opts.Now().Sub(p.drawn)
	switch {
	case p.opts.Terminal && (tick || since >= redrawEvery):
		p.draw()
	case !p.opts.Terminal && since >= p.opts.Every && p.opts.Now().Sub(p.started) >= p.opts.Every:
		p.out.print(p.status() + "\n")
		p.drawn = p.opts.Now()
	}
}

// draw rewrites the terminal status line.
func (p *Progress) draw() {
	p.out.print("\r" + p.fit(p.status()) + "\x1b[K")
	p.drawn = p.opts.Now()
}

// finish writes the phase's final line, replacing the status line on a
// terminal.
func (p *Progress) finish() {
	if p.phase == nil {
		return
	}
	final := p.counts() + "; finished in " + elapsed(p.opts.Now().Sub(p.started))
	if p.opts.Terminal {
		p.out.print("\r" + p.fit(final) + "\x1b[K\n")
	} else {
		p.out.print(final + "\n")
	}
	p.phase = nil
}

// fit cuts a line to the terminal width.
func (p *Progress) fit(s string) string {
	if p.opts.Width <= 1 || utf8.RuneCountInString(s) < p.opts.Width {
		return s
	}
	r := []rune(s)
	return string(r[:p.opts.Width-2]) + "…"
}

// counts is "discovering: 12/40 account-regions, 87 calls, 3 throttles
// retried".
func (p *Progress) counts() string {
	var b strings.Builder
	b.WriteString(p.phase.Name + ": ")
	if p.phase.Total > 0 {
		fmt.Fprintf(&b, "%d/%d %s", p.done, p.phase.Total, p.phase.Unit)
	} else {
		fmt.Fprintf(&b, "%d %s", p.done, p.phase.Unit)
	}
	b.WriteString(", " + plural(p.calls, "call", "calls"))
	if p.throttles > 0 {
		b.WriteString(", " + plural(p.throttles, "throttle", "throttles") + " retried")
	}
	return b.String()
}

// status is the counts and the longest IAM wait: "..., waiting for IAM
// (role flowplan-flow-logs) 14s, 2 more".
func (p *Progress) status() string {
	s := p.counts()
	if len(p.waits) == 0 {
		return s
	}
	scopes := make([]string, 0, len(p.waits))
	for sc := range p.waits {
		scopes = append(scopes, sc)
	}
	sort.Slice(scopes, func(i, j int) bool {
		a, b := p.waits[scopes[i]], p.waits[scopes[j]]
		if !a.since.Equal(b.since) {
			return a.since.Before(b.since)
		}
		return scopes[i] < scopes[j]
	})
	w := p.waits[scopes[0]]
	s += ", waiting for IAM"
	if w.message != "" {
		s += " (" + oneLine(w.message) + ")"
	}
	s += " " + elapsed(p.opts.Now().Sub(w.since))
	if len(scopes) > 1 {
		s += fmt.Sprintf(", %d more", len(scopes)-1)
	}
	return s
}

// elapsed is a duration in whole seconds: "14s", "1m5s".
func elapsed(d time.Duration) string {
	return d.Round(time.Second).String()
}
