// Package spec loads, defaults and validates flowplan's YAML specification, reporting every problem with its file position.
package spec
