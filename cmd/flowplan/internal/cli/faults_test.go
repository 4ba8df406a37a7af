package cli

import (
	"testing"
	"time"

	"github.com/flowplan/flowplan/providers/awsemu"
)

func TestFaultsFlag(t *testing.T) {
	tests := []struct {
		in      string
		random  awsemu.RandomFaults
		latency time.Duration
		buckets bool
		wantErr string
	}{
		{in: "throttle=0.1,error=0.05,ghost=0.05,latency=20ms",
			random: awsemu.RandomFaults{ThrottleRate: 0.1, ErrorRate: 0.05, GhostRate: 0.05}, latency: 20 * time.Millisecond},
		{in: "reset=0.2, seed=42", random: awsemu.RandomFaults{ResetRate: 0.2, Seed: 42}},
		{in: "throttle=aws", buckets: true},
		{in: ""},
		{in: "ghost=1.5", wantErr: `item "ghost=1.5": "1.5" is not a probability from 0 to 1 (such as 0.05)`},
		{in: "error=-0.1", wantErr: `item "error=-0.1": "-0.1" is not a probability from 0 to 1 (such as 0.05)`},
		{in: "latency=-1s", wantErr: `item "latency=-1s": latency must be a duration such as 20ms: must be from 0 to 1m`},
		{in: "seed=x", wantErr: `item "seed=x": seed must be an integer`},
		{in: "ghost=0.1,ghost=0.2", wantErr: `item "ghost=0.2": ghost is given twice`},
		{in: "throttle", wantErr: `item "throttle": want NAME=VALUE, with NAME one of throttle, error, reset, ghost, latency or seed`},
		{in: "drop=0.1", wantErr: `item "drop=0.1": unknown fault "drop"; use throttle, error, reset, ghost, latency or seed`},
		{in: "throttle=0.5,error=0.5,ghost=0.5", wantErr: "the probabilities add up to 1.5, more than 1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var f faultsFlag
			err := f.Set(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Set(%q) = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Set(%q): %v", tt.in, err)
			}
			if f.random != tt.random || f.latency != tt.latency || f.buckets != tt.buckets {
				t.Fatalf("Set(%q) = %+v, %v, %v; want %+v, %v, %v", tt.in, f.random, f.latency, f.buckets, tt.random, tt.latency, tt.buckets)
			}
		})
	}
}
