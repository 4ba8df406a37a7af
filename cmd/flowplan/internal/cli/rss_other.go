//go:build !unix

package cli

import "time"

// maxRSS is 0 where getrusage does not exist (Windows): the bench then
// reports the Go runtime's figure alone.
func maxRSS() uint64 { return 0 }

// cpuTime is 0 where getrusage does not exist.
func cpuTime() time.Duration { return 0 }
