// Package examples embeds the sandbox world and the quickstart spec, so that the flowplan binary carries its own demo.
package examples

import _ "embed"

// SandboxWorld is examples/sandbox/world.yaml, the world 'flowplan --sandbox'
// starts from.
//
//go:embed sandbox/world.yaml
var SandboxWorld []byte

// Quickstart is examples/quickstart.yaml, the spec the README runs on the
// sandbox.
//
//go:embed quickstart.yaml
var Quickstart []byte
