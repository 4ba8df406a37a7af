package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/flowplan/flowplan/providers/awsemu"
)

// faultsFlag is 'sandbox serve --faults', a comma-separated list of
// NAME=VALUE items, each mapped onto the emulator's fault injection:
//
//	throttle=P   a call gets its service's throttling error with probability P
//	             (throttle=aws turns on AWS's token buckets instead)
//	error=P      a call gets a 500 or 503
//	reset=P      a call's connection is dropped before it is served
//	ghost=P      a write is made but its response is lost (connection dropped)
//	latency=D    every call waits D (a Go duration: 20ms, 1s)
//	seed=N       the random faults' seed, so that a run can be repeated
type faultsFlag struct {
	random  awsemu.RandomFaults
	latency time.Duration
	// buckets is throttle=aws.
	buckets bool
	text    string
}

const faultNames = "throttle, error, reset, ghost, latency or seed"

func (f *faultsFlag) String() string { return f.text }

// Set parses the list; an error names the item it is about.
func (f *faultsFlag) Set(s string) error {
	out := faultsFlag{text: s}
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, value, ok := strings.Cut(item, "=")
		if !ok {
			return fmt.Errorf("item %q: want NAME=VALUE, with NAME one of %s", item, faultNames)
		}
		if seen[name] {
			return fmt.Errorf("item %q: %s is given twice", item, name)
		}
		seen[name] = true
		var err error
		switch name {
		case "throttle":
			if value == "aws" {
				out.buckets = true
				break
			}
			out.random.ThrottleRate, err = probability(value)
		case "error":
			out.random.ErrorRate, err = probability(value)
		case "reset":
			out.random.ResetRate, err = probability(value)
		case "ghost":
			out.random.GhostRate, err = probability(value)
		case "latency":
			out.latency, err = time.ParseDuration(value)
			if err == nil && (out.latency < 0 || out.latency > time.Minute) {
				err = fmt.Errorf("must be from 0 to 1m")
			}
			if err != nil {
				err = fmt.Errorf("latency must be a duration such as 20ms: %v", err)
			}
		case "seed":
			out.random.Seed, err = strconv.ParseInt(value, 10, 64)
			if err != nil {
				err = fmt.Errorf("seed must be an integer")
			}
		default:
			return fmt.Errorf("item %q: unknown fault %q; use %s", item, name, faultNames)
		}
		if err != nil {
			return fmt.Errorf("item %q: %v", item, err)
		}
	}
	r := out.random
	if sum := r.ThrottleRate + r.ErrorRate + r.ResetRate + r.GhostRate; sum > 1 {
		return fmt.Errorf("the probabilities add up to %g, more than 1", sum)
	}
	*f = out
	return nil
}

func probability(s string) (float64, error) {
	p, err := strconv.ParseFloat(s, 64)
	if err != nil || p < 0 || p > 1 {
		return 0, fmt.Errorf("%q is not a probability from 0 to 1 (such as 0.05)", s)
	}
	return p, nil
}

// describe says what the faults are, for the server's banner ("" when none).
func (f *faultsFlag) describe() string {
	var parts []string
	pct := func(name string, p float64) {
		if p > 0 {
			parts = append(parts, fmt.Sprintf("%s %g%%", name, p*100))
		}
	}
	if f.buckets {
		parts = append(parts, "throttling by AWS's token buckets")
	}
	pct("throttling", f.random.ThrottleRate)
	pct("errors", f.random.ErrorRate)
	pct("dropped connections", f.random.ResetRate)
	pct("ghost writes", f.random.GhostRate)
	if f.latency > 0 {
		parts = append(parts, "latency "+f.latency.String())
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ", ") + fmt.Sprintf(" (seed %d)", f.random.Seed)
}
