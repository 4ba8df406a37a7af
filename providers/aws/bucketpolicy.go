package aws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/flowplan/flowplan/engine"
)

// ownedSidPrefix starts the Sid of every statement flowplan manages; every
// other statement of a bucket policy is left exactly as it is.
const ownedSidPrefix = "flowplan-"

// statementEdit puts (Statement set) or removes (Statement nil) the
// statement with Sid.
type statementEdit struct {
	Sid       string
	Statement json.RawMessage
}

// member is one key of a JSON object, in document order.
type member struct {
	key   string
	value json.RawMessage
}

// mergePolicy applies edits to a bucket policy by Sid. A put replaces the
// statement with its Sid where it stands (dropping later repeats of that
// Sid) or appends it; a remove drops it. Every other statement, and every
// other top-level key, keeps its place and content; only whitespace is
// compacted. An empty policy starts as {"Version":"2012-10-17"}. When no
// statement is left the result is "" and the caller deletes the policy:
// that only happens when every statement was flowplan's, since others are
// never removed.
func mergePolicy(policy string, edits []statementEdit) (string, error) {
	doc, stmts, err := parsePolicy(policy)
	if err != nil {
		return "", err
	}
	for _, e := range edits {
		if !strings.HasPrefix(e.Sid, ownedSidPrefix) {
			return "", fmt.Errorf("statement %q: flowplan only manages statements whose Sid starts with %q", e.Sid, ownedSidPrefix)
		}
		if e.Statement != nil {
			s, err := withSid(e.Statement, e.Sid)
			if err != nil {
				return "", err
			}
			e.Statement = s
		}
		stmts = applyEdit(stmts, e)
	}
	if len(stmts) == 0 {
		return "", nil
	}
	return renderPolicy(doc, stmts)
}

// parsePolicy splits a policy into its top-level members and its
// statements; a single Statement object counts as a list of one.
func parsePolicy(policy string) ([]member, []json.RawMessage, error) {
	if strings.TrimSpace(policy) == "" {
		return []member{{key: "Version", value: json.RawMessage(`"2012-10-17"`)}}, nil, nil
	}
	doc, err := parseObject([]byte(policy))
	if err != nil {
		return nil, nil, fmt.Errorf("bucket policy is not a JSON object: %w", err)
	}
	var stmts []json.RawMessage
	seen := false
	for _, m := range doc {
		if m.key != "Statement" {
			continue
		}
		if seen {
			// Which list counts is up to the parser; merging would drop one.
			return nil, nil, errors.New("bucket policy has more than one Statement member; flowplan leaves it alone")
		}
		seen = true
		switch v := bytes.TrimSpace(m.value); {
		case len(v) > 0 && v[0] == '[':
			if err := json.Unmarshal(v, &stmts); err != nil {
				return nil, nil, fmt.Errorf("bucket policy Statement: %w", err)
			}
		case len(v) > 0 && v[0] == '{':
			stmts = []json.RawMessage{v}
		default:
			return nil, nil, errors.New("bucket policy Statement is neither a list nor an object")
		}
	}
	return doc, stmts, nil
}

// parseObject reads a JSON object's members in order, values untouched.
func parseObject(data []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("expected {")
	}
	var out []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{key: key, value: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("unexpected data after the object")
	}
	return out, nil
}

// statementSid returns a statement's Sid ("" when it has none or it is not
// an object).
func statementSid(s json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(s, &m) != nil {
		return ""
	}
	var sid string
	if json.Unmarshal(m["Sid"], &sid) != nil {
		return ""
	}
	return sid
}

// withSid checks that a desired statement is a JSON object with this Sid,
// adding the Sid when it has none.
func withSid(s json.RawMessage, sid string) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(s, &m); err != nil {
		return nil, fmt.Errorf("statement %s is not a JSON object: %w", sid, err)
	}
	if _, ok := m["Sid"]; !ok {
		m["Sid"], _ = json.Marshal(sid)
		return json.Marshal(m)
	}
	if got := statementSid(s); got != sid {
		return nil, fmt.Errorf("statement %s carries Sid %q", sid, got)
	}
	return s, nil
}

func applyEdit(stmts []json.RawMessage, e statementEdit) []json.RawMessage {
	out := stmts[:0:0]
	placed := false
	for _, s := range stmts {
		if statementSid(s) != e.Sid {
			out = append(out, s)
			continue
		}
		if e.Statement != nil && !placed {
			out = append(out, e.Statement)
			placed = true
		}
	}
	if e.Statement != nil && !placed {
		out = append(out, e.Statement)
	}
	return out
}

// renderPolicy writes the members in order with Statement as a list,
// compacted. Values are written as they came: json.Marshal would escape &,
// < and > in other people's statements.
func renderPolicy(doc []member, stmts []json.RawMessage) (string, error) {
	list := []byte{'['}
	for i, s := range stmts {
		if i > 0 {
			list = append(list, ',')
		}
		list = append(list, s...)
	}
	list = append(list, ']')
	var buf bytes.Buffer
	buf.WriteByte('{')
	wrote := false
	for _, m := range doc {
		v := m.value
		if m.key == "Statement" {
			v, list = list, nil
		}
		if err := writeMember(&buf, m.key, v, wrote); err != nil {
			return "", err
		}
		wrote = true
	}
	if list != nil {
		if err := writeMember(&buf, "Statement", list, wrote); err != nil {
			return "", err
		}
	}
	buf.WriteByte('}')
	var out bytes.Buffer
	if err := json.Compact(&out, buf.Bytes()); err != nil {
		return "", err
	}
	return out.String(), nil
}

func writeMember(buf *bytes.Buffer, key string, value json.RawMessage, comma bool) error {
	if comma {
		buf.WriteByte(',')
	}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(key); err != nil {
		return err
	}
	buf.WriteByte(':')
	buf.Write(value)
	return nil
}

// policySizeAdvice is the warning for a policy past engine.BucketPolicyWarnBytes, or "".
func policySizeAdvice(bucket string, size int) string {
	if size <= engine.BucketPolicyWarnBytes {
		return ""
	}
	return fmt.Sprintf("bucket policy of %s is %d bytes, near S3's %d-byte limit (beyond it flow log creation fails with LogDestinationPermissionIssueException): "+
		"compact it by giving fewer prefixes (one write statement per prefix), removing statements no longer used, "+
		"or replacing per-account Resource ARNs with arn:aws:s3:::%s/*", bucket, size, engine.BucketPolicyMaxBytes, bucket)
}
