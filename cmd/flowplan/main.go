// Command flowplan plans and applies VPC Flow Logs across an AWS organisation from a YAML spec.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "flowplan: the CLI is being built; see docs/design.md")
	os.Exit(1)
}
