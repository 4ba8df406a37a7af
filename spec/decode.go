package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/flowplan/flowplan/spec/logformat"
)

// This file holds the strict, position-keeping helpers that read yaml.Node
// values. Every helper reports its own problems and returns ok=false, so
// callers simply skip what could not be read and carry on collecting errors.

// reporter collects positioned problems for one file.
type reporter struct {
	file string
	errs Errors
	// Mappings with keys that could not be used (unknown, repeated, merge
	// keys), and the keys their "did you mean" suggested: a missing key that
	// was merely misspelt is not reported a second time as missing.
	badKeys   map[*yaml.Node]bool
	suggested map[*yaml.Node]map[string]bool
}

// missing reports that a required key is absent from mapping n, unless the
// mapping had a misspelling of it or a merge key.
func (r *reporter) missing(n *yaml.Node, key, format string, args ...any) {
	if r.explained(n, key) {
		return
	}
	r.errorf(n, format, args...)
}

// explained reports whether key's absence from mapping n is already
// explained by a misspelling of it or by a merge key.
func (r *reporter) explained(n *yaml.Node, key string) bool {
	rn := resolve(n)
	return r.suggested[rn][key] || r.suggested[rn]["<<"]
}

// clean reports whether every key of mapping n was usable; "needs one of"
// checks are skipped otherwise, as the bad key is already reported.
func (r *reporter) clean(n *yaml.Node) bool {
	return !r.badKeys[resolve(n)]
}

func (r *reporter) markBad(n *yaml.Node, suggestion string) {
	if r.badKeys == nil {
		r.badKeys = map[*yaml.Node]bool{}
		r.suggested = map[*yaml.Node]map[string]bool{}
	}
	r.badKeys[n] = true
	if suggestion != "" {
		if r.suggested[n] == nil {
			r.suggested[n] = map[string]bool{}
		}
		r.suggested[n][suggestion] = true
	}
}

// errorf records a problem at node n.
func (r *reporter) errorf(n *yaml.Node, format string, args ...any) {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, max(n.Column, 1)
	}
	r.errs = append(r.errs, &Error{File: r.file, Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
}

// posOf returns the position of n for messages that point elsewhere.
func (r *reporter) posOf(n *yaml.Node) string {
	if n == nil {
		return r.file
	}
	return fmt.Sprintf("%s:%d:%d", r.file, n.Line, n.Column)
}

// maxAliasHops bounds alias chains; the size check has already rejected cycles.
const maxAliasHops = 64

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxAliasHops; i++ {
		n = n.Alias
	}
	return n
}

// describe names what a node holds, for "must be X, got Y" messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing (null)"
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!int", "!!float":
			return "the number " + printable(n.Value)
		case "!!bool":
			return printable(n.Value)
		}
		return fmt.Sprintf("a value tagged %q", n.Tag)
	}
	return "an unsupported YAML node"
}

// printable returns s as it is when it needs no escaping, else quoted, so
// that every message stays on one line.
func printable(s string) string {
	if q := strconv.Quote(s); q[1:len(q)-1] != s {
		return q
	}
	return s
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_.:/=+@-]+$`)

// child is the path of key name under path: path.name, or path["name"]
// when the name has spaces or other unusual characters.
func child(path, name string) string {
	if plainKey.MatchString(name) {
		return path + "." + name
	}
	return fmt.Sprintf("%s[%q]", path, name)
}

// entry is one key of a mapping.
type entry struct {
	key  *yaml.Node
	val  *yaml.Node
	name string
}

// entries is a mapping's keys by name.
type entries map[string]entry

// has reports whether the key is present.
func (e entries) has(name string) bool {
	_, ok := e[name]
	return ok
}

// mapping checks that n is a mapping whose keys are all in allowed, and
// returns its entries. Unknown keys get a "did you mean"; hints holds extra
// advice for keys that users plausibly write in the wrong place.
func (r *reporter) mapping(n *yaml.Node, path string, allowed []string, hints map[string]string) (entries, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		r.errorf(n, "%s must be a mapping with keys %s, got %s", path, strings.Join(allowed, ", "), describe(n))
		return nil, false
	}
	out := make(entries, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, ok := r.key(k, path)
		if !ok {
			if k.Tag == "!!merge" {
				r.markBad(n, "<<")
			} else {
				r.markBad(n, "")
			}
			continue
		}
		if first, dup := out[name]; dup {
			r.errorf(k, "%s: key %q appears twice (first at line %d)", path, name, first.key.Line)
			r.markBad(n, "")
			continue
		}
		if !slices.Contains(allowed, name) {
			r.markBad(n, r.unknownKey(k, path, name, allowed, hints))
			continue
		}
		out[name] = entry{key: k, val: v, name: name}
	}
	return out, true
}

// key reads a mapping key, which must be a plain string.
func (r *reporter) key(k *yaml.Node, path string) (string, bool) {
	if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
		r.errorf(k, "%s: YAML merge keys (<<) are not supported; write the keys out, or use defaults", path)
		return "", false
	}
	rk := resolve(k)
	if rk == nil || rk.Kind != yaml.ScalarNode || rk.Tag == "!!null" {
		r.errorf(k, "%s: keys must be strings, got %s", path, describe(k))
		return "", false
	}
	return rk.Value, true
}

// unknownKey reports a key that is not allowed and returns the allowed key
// it suggested, if any.
func (r *reporter) unknownKey(k *yaml.Node, path, name string, allowed []string, hints map[string]string) string {
	msg := fmt.Sprintf("%s: unknown key %q", path, name)
	s := suggest(name, allowed)
	if h, ok := hints[name]; ok {
		msg += "; " + h
	} else if s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	r.errorf(k, "%s (allowed: %s)", msg, strings.Join(allowed, ", "))
	return s
}

// maxListed is the most candidates a message lists ("aliases: ..."): the
// nearest to what was written, then how many more there are.
const maxListed = 10

// listClosest renders at most maxListed of the candidates, nearest to s
// first, and says how many it left out.
func listClosest(s string, candidates []string) string {
	shown := logformat.Closest(s, candidates, maxListed)
	list := strings.Join(shown, ", ")
	if more := len(candidates) - len(shown); more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	return list
}

// suggest returns the closest candidate to s: an exact match ignoring case
// first, then the nearest by edit distance.
func suggest(s string, candidates []string) string {
	for _, c := range candidates {
		if strings.EqualFold(s, c) {
			return c
		}
	}
	return logformat.Suggest(s, candidates)
}

// str reads a string scalar. Numbers and booleans are refused with a hint to
// quote them, so that what the user meant is what flowplan uses.
func (r *reporter) str(n *yaml.Node, path string) (string, bool) {
	rn := resolve(n)
	if rn != nil && rn.Kind == yaml.ScalarNode && rn.Tag == "!!str" {
		return rn.Value, true
	}
	if rn != nil && rn.Kind == yaml.ScalarNode && rn.Tag != "!!null" {
		r.errorf(n, "%s must be a string, got %s; quote it: %q", path, describe(rn), rn.Value)
		return "", false
	}
	r.errorf(n, "%s must be a string, got %s", path, describe(rn))
	return "", false
}

// checkedStr reads a string scalar and runs check on it, reporting the
// problem check returns at n. ok is false when either fails.
func (r *reporter) checkedStr(n *yaml.Node, path string, check func(string) string) (string, bool) {
	s, ok := r.str(n, path)
	if !ok {
		return "", false
	}
	if msg := check(s); msg != "" {
		r.errorf(n, "%s: %s", path, msg)
		return "", false
	}
	return s, true
}

// integer reads an integer scalar.
func (r *reporter) integer(n *yaml.Node, path string) (int, bool) {
	rn := resolve(n)
	var v int
	if rn == nil || rn.Kind != yaml.ScalarNode || rn.Tag != "!!int" || rn.Decode(&v) != nil {
		r.errorf(n, "%s must be a whole number, got %s", path, describe(rn))
		return 0, false
	}
	return v, true
}

// boolean reads true or false.
func (r *reporter) boolean(n *yaml.Node, path string) (bool, bool) {
	rn := resolve(n)
	var v bool
	if rn == nil || rn.Kind != yaml.ScalarNode || rn.Tag != "!!bool" || rn.Decode(&v) != nil {
		r.errorf(n, "%s must be true or false, got %s", path, describe(rn))
		return false, false
	}
	return v, true
}

// item is one string read from a list or a mapping, with its node.
type item struct {
	val  string
	node *yaml.Node
}

// list reads a sequence and returns its (unresolved) elements.
func (r *reporter) list(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	rn := resolve(n)
	if rn == nil || rn.Kind != yaml.SequenceNode {
		r.errorf(n, "%s must be a list, got %s", path, describe(rn))
		return nil, false
	}
	return rn.Content, true
}

// stringList reads a non-empty list of distinct strings, each checked by check
// (which may be nil). Bad elements are reported and left out.
func (r *reporter) stringList(n *yaml.Node, path string, check func(s string) string) ([]item, bool) {
	elems, ok := r.list(n, path)
	if !ok {
		return nil, false
	}
	if len(elems) == 0 {
		r.errorf(n, "%s must not be empty; remove the key instead", path)
		return nil, false
	}
	var out []item
	seen := map[string]*yaml.Node{}
	for i, e := range elems {
		p := fmt.Sprintf("%s[%d]", path, i)
		s, ok := r.str(e, p)
		if !ok {
			continue
		}
		if first, dup := seen[s]; dup {
			r.errorf(e, "%s: %q is listed twice (first at line %d)", p, s, first.Line)
			continue
		}
		seen[s] = e
		if check != nil {
			if msg := check(s); msg != "" {
				r.errorf(e, "%s: %s", p, msg)
				continue
			}
		}
		out = append(out, item{val: s, node: e})
	}
	return out, true
}

// stringMap reads a mapping of strings to strings (tags). Keys and values
// are checked by checkKey and checkVal.
func (r *reporter) stringMap(n *yaml.Node, path string, checkKey, checkVal func(s string) string) (map[string]string, map[string]*yaml.Node, bool) {
	rn := resolve(n)
	if rn == nil || rn.Kind != yaml.MappingNode {
		r.errorf(n, "%s must be a mapping of strings to strings, got %s", path, describe(rn))
		return nil, nil, false
	}
	vals := map[string]string{}
	nodes := map[string]*yaml.Node{}
	for i := 0; i+1 < len(rn.Content); i += 2 {
		k, v := rn.Content[i], rn.Content[i+1]
		name, ok := r.key(k, path)
		if !ok {
			continue
		}
		if first, dup := nodes[name]; dup {
			r.errorf(k, "%s: key %q appears twice (first at line %d)", path, name, first.Line)
			continue
		}
		nodes[name] = k
		if msg := checkKey(name); msg != "" {
			r.errorf(k, "%s: %s", path, msg)
			continue
		}
		p := child(path, name)
		val, ok := r.str(v, p)
		if !ok {
			continue
		}
		if msg := checkVal(val); msg != "" {
			r.errorf(v, "%s: %s", p, msg)
			continue
		}
		vals[name] = val
	}
	return vals, nodes, true
}

// enum reads a string that must be one of allowed, with a suggestion.
func (r *reporter) enum(n *yaml.Node, path string, allowed []string) (string, bool) {
	s, ok := r.str(n, path)
	if !ok {
		return "", false
	}
	if slices.Contains(allowed, s) {
		return s, true
	}
	msg := fmt.Sprintf("%s: %q is not allowed; use one of %s", path, s, strings.Join(allowed, ", "))
	if sug := suggest(s, allowed); sug != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", sug)
	}
	r.errorf(n, "%s", msg)
	return "", false
}
