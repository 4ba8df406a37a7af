// Command flowplan plans and applies VPC Flow Logs across an AWS organisation from a YAML spec.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/flowplan/flowplan/cmd/flowplan/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.Streams{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
