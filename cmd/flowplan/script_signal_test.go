package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/flowplan/flowplan/engine"
)

// This file holds the script commands that interrupt a background flowplan
// and check what it reported.

// cmdSignal sends SIGNAL (INT or TERM) to the script's one background
// command, once the emulator has received N calls of SERVICE ACTION since
// the world was seeded or the counters reset (emulator only): with latency,
// the call is then in flight. signalexit reads its exit code after wait.
//
//	signal [-after SERVICE:ACTION[:N]] INT|TERM
func cmdSignal(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("signal", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	after := fs.String("after", "", "")
	if err := fs.Parse(args); err != nil || neg || fs.NArg() != 1 {
		ts.Fatalf("usage: signal [-after SERVICE:ACTION[:N]] INT|TERM")
	}
	sig := map[string]os.Signal{"INT": os.Interrupt, "TERM": syscall.SIGTERM}[fs.Arg(0)]
	if sig == nil {
		ts.Fatalf("signal: unknown signal %q: use INT or TERM", fs.Arg(0))
	}
	bg := ts.BackgroundCmds()
	if len(bg) != 1 {
		ts.Fatalf("signal: %d background commands, want exactly one", len(bg))
	}
	if *after != "" {
		parts := strings.Split(*after, ":")
		n := 1
		if len(parts) == 3 {
			var err error
			if n, err = strconv.Atoi(parts[2]); err != nil {
				ts.Fatalf("signal -after %s: %q is not a number", *after, parts[2])
			}
		} else if len(parts) != 2 {
			ts.Fatalf("signal -after %s: want SERVICE:ACTION[:N]", *after)
		}
		e := emulator(ts, "signal -after")
		deadline := time.Now().Add(time.Minute)
		for e.Count(parts[0], parts[1]) < n {
			if time.Now().After(deadline) {
				ts.Fatalf("signal: the emulator received %d %s %s calls in a minute, want %d", e.Count(parts[0], parts[1]), parts[0], parts[1], n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	ts.Check(bg[0].Process.Signal(sig))
	state(ts).signalled = bg[0]
}

// cmdSignalExit checks the exit code of the command signal signalled,
// after 'wait' collected it.
//
//	signalexit N
func cmdSignalExit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: signalexit N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	cmd := state(ts).signalled
	if cmd == nil || cmd.ProcessState == nil {
		ts.Fatalf("signalexit: no signalled command has exited; run signal, then wait")
	}
	if got := cmd.ProcessState.ExitCode(); got != want {
		ts.Fatalf("the signalled command exited with %d (%s), want %d", got, cmd.ProcessState, want)
	}
	state(ts).signalled = nil
}

// cmdResultCheck checks an interrupted apply's JSON result (the last
// document of RESULT: apply --format json prints its plan first) against
// the JSON plan made after it: every change reported applied is no longer in
// the plan, and every change reported interrupted still is; none failed
// or was skipped. It prints "applied N, interrupted M".
//
//	resultcheck RESULT PLAN
func cmdResultCheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: resultcheck RESULT PLAN")
	}
	var result struct {
		Changes []engine.ChangeResult `json:"changes"`
	}
	var plan struct {
		Changes []engine.Change `json:"changes"`
	}
	dec := json.NewDecoder(strings.NewReader(ts.ReadFile(args[0])))
	for dec.More() {
		if err := dec.Decode(&result); err != nil {
			ts.Fatalf("resultcheck: %s: %v", args[0], err)
		}
	}
	if err := json.Unmarshal([]byte(ts.ReadFile(args[1])), &plan); err != nil {
		ts.Fatalf("resultcheck: %s: %v", args[1], err)
	}
	pending := map[string]bool{}
	for _, c := range plan.Changes {
		if c.Action != engine.NoOp {
			pending[c.Addr.String()] = true
		}
	}
	n := map[engine.ChangeStatus]int{}
	var bad []string
	for _, c := range result.Changes {
		if c.Action == engine.NoOp {
			continue
		}
		n[c.Status]++
		a := c.Addr.String()
		switch {
		case c.Status == engine.StatusApplied && pending[a]:
			bad = append(bad, a+" was reported applied, but the plan after it still has it")
		case c.Status == engine.StatusInterrupted && !pending[a]:
			bad = append(bad, a+" was reported interrupted, but the plan after it has nothing to do there")
		case c.Status != engine.StatusApplied && c.Status != engine.StatusInterrupted:
			bad = append(bad, fmt.Sprintf("%s: %s: %s", a, c.Status, c.Error))
		}
	}
	if len(bad) > 0 {
		ts.Fatalf("resultcheck:\n%s", strings.Join(bad, "\n"))
	}
	fmt.Fprintf(ts.Stdout(), "applied %d, interrupted %d\n", n[engine.StatusApplied], n[engine.StatusInterrupted])
}
