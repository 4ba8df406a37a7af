// Command flowplan plans and applies VPC Flow Logs across an AWS organisation from a YAML spec.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/flowplan/flowplan/cmd/flowplan/internal/cli"
)

// main runs the command with a context that SIGINT or SIGTERM ends, with
// the signal as its cause (cli.Interrupt): an apply then finishes the
// changes under way, reports the rest, and exits 130 or 143. A second
// signal kills flowplan at once, the signal's default action: in-flight
// calls are cut, and the next plan shows what they did.
func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		cancel(&cli.Interrupt{Signal: sig})
	}()
	code := cli.Main(ctx, os.Args[1:], cli.Streams{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	cancel(nil)
	os.Exit(code)
}
