//go:build !unix

package cli

// maxRSS is 0 where getrusage does not exist (Windows): the bench then
// reports the Go runtime's figure alone.
func maxRSS() uint64 { return 0 }
