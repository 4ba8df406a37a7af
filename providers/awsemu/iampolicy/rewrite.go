package iampolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// node is a JSON value that keeps object keys in document order, so that a
// rewritten policy reads like the one that was put.
type node struct {
	obj   []member
	arr   []*node
	isObj bool
	isArr bool
	token any // string, json.Number, bool or nil for scalars
}

type member struct {
	key   string
	value *node
}

func parseOrdered(doc string) (*node, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	n, err := readNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return n, nil
}

func readNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{isObj: true}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := readNode(dec)
				if err != nil {
					return nil, err
				}
				n.obj = append(n.obj, member{key: k.(string), value: v})
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &node{isArr: true}
			for dec.More() {
				v, err := readNode(dec)
				if err != nil {
					return nil, err
				}
				n.arr = append(n.arr, v)
			}
			_, err := dec.Token()
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return &node{token: tok}, nil
	}
}

func (n *node) encode(buf *bytes.Buffer) {
	switch {
	case n.isObj:
		buf.WriteByte('{')
		for i, m := range n.obj {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, m.key)
			buf.WriteByte(':')
			m.value.encode(buf)
		}
		buf.WriteByte('}')
	case n.isArr:
		buf.WriteByte('[')
		for i, v := range n.arr {
			if i > 0 {
				buf.WriteByte(',')
			}
			v.encode(buf)
		}
		buf.WriteByte(']')
	default:
		switch t := n.token.(type) {
		case string:
			writeJSONString(buf, t)
		case json.Number:
			buf.WriteString(t.String())
		case bool:
			if t {
				buf.WriteString("true")
			} else {
				buf.WriteString("false")
			}
		default:
			buf.WriteString("null")
		}
	}
}

func writeJSONString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	buf.Truncate(buf.Len() - 1)
}

func (n *node) get(key string) *node {
	for _, m := range n.obj {
		if m.key == key {
			return m.value
		}
	}
	return nil
}

var accountID = regexp.MustCompile(`^\d{12}$`)

// NormalizePrincipals rewrites bare account IDs in AWS principals to
// "arn:PARTITION:iam::<id>:root" (partition aws when empty), as IAM and S3
// do when they store a policy. It returns the document unchanged (and
// false) when there is nothing to rewrite; otherwise the compact rewritten
// document, with keys in their original order.
func NormalizePrincipals(doc, partition string) (string, bool, error) {
	root, err := parseOrdered(doc)
	if err != nil {
		return "", false, err
	}
	changed := false
	for _, stmt := range statementNodes(root) {
		for _, key := range []string{"Principal", "NotPrincipal"} {
			p := stmt.get(key)
			if p == nil || !p.isObj {
				continue
			}
			if aws := p.get("AWS"); aws != nil && rewriteAccountIDs(aws, partition) {
				changed = true
			}
		}
	}
	if !changed {
		return doc, false, nil
	}
	var buf bytes.Buffer
	root.encode(&buf)
	return buf.String(), true, nil
}

// Compact re-encodes doc without insignificant whitespace, keeping key order.
func Compact(doc string) (string, error) {
	root, err := parseOrdered(doc)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	root.encode(&buf)
	return buf.String(), nil
}

func statementNodes(root *node) []*node {
	if root == nil || !root.isObj {
		return nil
	}
	s := root.get("Statement")
	switch {
	case s == nil:
		return nil
	case s.isObj:
		return []*node{s}
	case s.isArr:
		return s.arr
	}
	return nil
}

func rewriteAccountIDs(n *node, partition string) bool {
	if partition == "" {
		partition = "aws"
	}
	changed := false
	rewrite := func(v *node) {
		if s, ok := v.token.(string); ok && accountID.MatchString(s) {
			v.token = "arn:" + partition + ":iam::" + s + ":root"
			changed = true
		}
	}
	if n.isArr {
		for _, v := range n.arr {
			rewrite(v)
		}
	} else {
		rewrite(n)
	}
	return changed
}
