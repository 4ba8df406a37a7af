package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MaxFileSize is the largest spec file flowplan reads (4 MiB). A real spec
// is a few kilobytes; anything this large is a mistake or an attack.
const MaxFileSize = 4 << 20

// maxNodes bounds the number of YAML nodes once aliases are expanded, so that
// an alias bomb (a few lines that expand to billions of nodes) fails fast.
const maxNodes = 1_000_000

// Load reads, validates and defaults the spec at path. When the spec is
// invalid the error is an Errors listing every problem; I/O failures are
// ordinary wrapped errors.
func Load(path string) (*Spec, error) {
	// A named pipe, device or socket would block the open or the read (a
	// FIFO's open waits for a writer), so anything but a regular file is
	// refused before it is opened, and again after, in case it was swapped.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, loadError(path, err)
	}
	if err := regular(fi); err != nil {
		return nil, loadError(path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, loadError(path, err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, loadError(path, err)
	}
	if err := regular(fi); err != nil {
		return nil, loadError(path, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, loadError(path, err)
	}
	return Parse(path, data)
}

// regular refuses anything but a regular file, naming what it is.
func regular(fi fs.FileInfo) error {
	m := fi.Mode()
	if m.IsRegular() {
		return nil
	}
	what := "a special file"
	switch {
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		what = "a device"
	}
	return fmt.Errorf("%s, not a regular file; flowplan reads a spec only from a regular file", what)
}

// loadError wraps an I/O error with the operation and the path, once: a
// *fs.PathError ("open PATH: no such file or directory") would repeat it.
func loadError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("load spec %s: %w", path, err)
}

// Parse validates and defaults a spec held in memory; filename is used in
// messages and recorded in Spec.File. It never panics: every problem is
// returned in an Errors, sorted by position.
func Parse(filename string, data []byte) (*Spec, error) {
	r := &reporter{file: filename}
	if len(data) > MaxFileSize {
		r.errorf(nil, "the spec is larger than %d MiB; flowplan refuses files this large", MaxFileSize>>20)
		return nil, r.errs
	}
	if !checkUTF8(r, data) {
		return nil, r.errs
	}
	doc := parseDocument(r, data)
	if doc == nil || !checkSize(r, doc) {
		return nil, r.errs.sorted()
	}
	l := &loader{reporter: r}
	s := l.load(doc)
	if len(r.errs) > 0 {
		return nil, r.errs.sorted()
	}
	sum := sha256.Sum256(data)
	s.File = filename
	s.SHA256 = hex.EncodeToString(sum[:])
	return s, nil
}

// checkUTF8 reports the first byte that is not UTF-8 at its own line and
// column (in characters), which the YAML parser cannot say: it blames line
// 1. A file that starts with a UTF-16 byte order mark is left to the parser,
// which decodes it.
func checkUTF8(r *reporter, data []byte) bool {
	if utf8.Valid(data) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		return true
	}
	line, col := 1, 1
	for i := 0; i < len(data); {
		c, size := utf8.DecodeRune(data[i:])
		if c == utf8.RuneError && size <= 1 {
			r.errorf(&yaml.Node{Line: line, Column: col}, "the spec is not valid UTF-8: byte 0x%02X here is not part of a character; save the file as UTF-8", data[i])
			return false
		}
		i += size
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return true
}

// parseDocument parses exactly one YAML document and returns its root node,
// or nil after reporting why it cannot.
func parseDocument(r *reporter, data []byte) (root *yaml.Node) {
	defer func() {
		// yaml.v3 is a third-party parser; should it ever panic on odd input,
		// the user gets an error rather than a crash.
		if p := recover(); p != nil {
			r.errorf(nil, "invalid YAML: the parser failed: %v", p)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			r.errorf(nil, "the spec is empty; it needs at least version, name, accounts or organization, and flow_logs")
		} else {
			yamlError(r, err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		yamlError(r, err)
		return nil
	case !isEmptyDocument(&next):
		r.errorf(&next, "a spec file holds one YAML document, but a second one starts here; remove the extra \"---\"")
		return nil
	}
	if isEmptyDocument(&doc) {
		r.errorf(&doc, "the spec is empty; it needs at least version, name, accounts or organization, and flow_logs")
		return nil
	}
	return doc.Content[0]
}

func isEmptyDocument(doc *yaml.Node) bool {
	if len(doc.Content) == 0 {
		return true
	}
	n := doc.Content[0]
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == ""
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a yaml.v3 syntax error into a positioned problem. The
// parser reports lines but not columns, so the column is 1.
func yamlError(r *reporter, err error) {
	msg := err.Error()
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil && n > 0 {
			line = n
		}
		msg = m[2]
	} else if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	r.errorf(&yaml.Node{Line: line, Column: 1}, "invalid YAML: %s", strings.Join(strings.Fields(msg), " "))
}

// checkSize rejects documents whose aliases refer to themselves or expand
// beyond maxNodes, before anything walks the tree.
func checkSize(r *reporter, root *yaml.Node) bool {
	s := &sizer{memo: map[*yaml.Node]int{}, active: map[*yaml.Node]bool{}}
	total := s.size(root)
	if s.cycle != nil {
		r.errorf(s.cycle, "this YAML alias refers to a node that contains it; flowplan refuses recursive documents")
		return false
	}
	if total > maxNodes {
		if s.plain > maxNodes {
			r.errorf(root, "the spec has more than %d YAML nodes; flowplan refuses documents this large", maxNodes)
		} else {
			r.errorf(s.bomb, "YAML aliases expand the spec to more than %d nodes (an alias bomb?); flowplan refuses it", maxNodes)
		}
		return false
	}
	return true
}

// sizer counts nodes with aliases expanded, memoised so that counting is
// linear in the document, never in its expansion.
type sizer struct {
	memo   map[*yaml.Node]int
	active map[*yaml.Node]bool
	plain  int        // nodes as written, without expansion
	cycle  *yaml.Node // an alias that refers to one of its ancestors
	bomb   *yaml.Node // the first node whose expansion is too large
}

func (s *sizer) size(n *yaml.Node) int {
	if v, ok := s.memo[n]; ok {
		return v
	}
	if s.active[n] {
		return 0
	}
	s.active[n] = true
	s.plain++
	total := 1
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		if s.active[n.Alias] && s.cycle == nil {
			s.cycle = n
		}
		total += s.size(n.Alias)
	}
	for _, c := range n.Content {
		total = min(total+s.size(c), maxNodes+1)
	}
	if total > maxNodes && s.bomb == nil {
		s.bomb = n // the smallest subtree that is too large: sizes finish bottom-up
	}
	delete(s.active, n)
	s.memo[n] = total
	return total
}
