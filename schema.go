// Package flowplan holds what the flowplan binary embeds from the repository root: the spec's JSON Schema.
package flowplan

import _ "embed"

// Schema is schema.json, the JSON Schema of a flowplan spec, as 'flowplan
// schema' prints it for editors. Its $id is the file's raw URL in the
// repository at the module path; editors are better pointed at a local
// copy with a yaml-language-server modeline (see the command's help).
//
//go:embed schema.json
var Schema []byte
