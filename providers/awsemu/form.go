package awsemu

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// form is a query-protocol request (EC2, IAM, STS) decoded into a tree:
// "Filter.1.Value.2=x" becomes form["Filter"]["1"]["Value"]["2"] = "x".
type form struct {
	value    string
	set      bool
	children map[string]*form
}

func parseForm(values url.Values) *form {
	root := &form{}
	for key, vs := range values {
		if len(vs) == 0 {
			continue
		}
		n := root
		for _, part := range strings.Split(key, ".") {
			if n.children == nil {
				n.children = map[string]*form{}
			}
			child, ok := n.children[part]
			if !ok {
				child = &form{}
				n.children[part] = child
			}
			n = child
		}
		n.value, n.set = vs[0], true
	}
	return root
}

func (f *form) child(name string) *form {
	if f == nil {
		return nil
	}
	return f.children[name]
}

// str returns the value at a dotted path, or "".
func (f *form) str(path string) string {
	n := f
	for _, part := range strings.Split(path, ".") {
		n = n.child(part)
	}
	if n == nil {
		return ""
	}
	return n.value
}

// has reports whether a scalar value is present at path.
func (f *form) has(path string) bool {
	n := f
	for _, part := range strings.Split(path, ".") {
		n = n.child(part)
	}
	return n != nil && n.set
}

// items returns the numbered children of the node at path (".1", ".2", ...)
// in numeric order. EC2 lists are "Name.N"; IAM lists are "Name.member.N".
func (f *form) items(path string) []*form {
	n := f
	for _, part := range strings.Split(path, ".") {
		n = n.child(part)
	}
	if n == nil {
		return nil
	}
	type numbered struct {
		i int
		f *form
	}
	var list []numbered
	for k, c := range n.children {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 {
			continue
		}
		list = append(list, numbered{i, c})
	}
	sort.Slice(list, func(a, b int) bool { return list[a].i < list[b].i })
	out := make([]*form, len(list))
	for i, l := range list {
		out[i] = l.f
	}
	return out
}

// strs returns the scalar values of the list at path.
func (f *form) strs(path string) []string {
	var out []string
	for _, item := range f.items(path) {
		out = append(out, item.value)
	}
	return out
}

// topKeys returns the first component of every parameter name.
func (f *form) topKeys() []string {
	keys := make([]string, 0, len(f.children))
	for k := range f.children {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
