package runnerpolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// document is the JSON form of a policy, its keys in IAM's usual order.
type document struct {
	Version   string          `json:"Version"`
	Statement []jsonStatement `json:"Statement"`
}

// jsonStatement holds a list of one value as the value itself, as IAM's
// own documents do.
type jsonStatement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Action    any                       `json:"Action"`
	Resource  any                       `json:"Resource"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

func oneOrList(values []string) any {
	if len(values) == 1 {
		return values[0]
	}
	return values
}

// JSON renders the policy document, indented, ending in a newline: what
// aws iam put-role-policy --policy-document takes.
func (p *Policy) JSON() ([]byte, error) {
	doc := document{Version: "2012-10-17", Statement: []jsonStatement{}}
	for _, s := range p.Statements {
		js := jsonStatement{Sid: s.Sid, Effect: "Allow", Action: oneOrList(s.Actions), Resource: oneOrList(s.Resources)}
		for op, keys := range s.Conditions {
			if js.Condition == nil {
				js.Condition = map[string]map[string]any{}
			}
			js.Condition[op] = map[string]any{}
			for k, v := range keys {
				js.Condition[op][k] = oneOrList(v)
			}
		}
		doc.Statement = append(doc.Statement, js)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// DataSourceName is the Terraform name of the policy's data source:
// flowplan_<spec>_<principal>_<mode>, with characters Terraform does not
// allow in names as "_".
func (p *Policy) DataSourceName() string {
	name := invalidTerraformName.ReplaceAllString(strings.Join([]string{"flowplan", p.Spec, string(p.Principal), string(p.Mode)}, "_"), "_")
	return name
}

var invalidTerraformName = regexp.MustCompile(`[^A-Za-z0-9_]`)

// Terraform renders an aws_iam_policy_document data source equivalent to
// JSON, its description as comments.
func (p *Policy) Terraform() []byte {
	var b bytes.Buffer
	for _, line := range p.Description {
		fmt.Fprintf(&b, "# %s\n", line)
	}
	fmt.Fprintf(&b, "data \"aws_iam_policy_document\" %s {\n", hclString(p.DataSourceName()))
	for i, s := range p.Statements {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("  statement {\n")
		fmt.Fprintf(&b, "    sid       = %s\n", hclString(s.Sid))
		b.WriteString("    effect    = \"Allow\"\n")
		fmt.Fprintf(&b, "    actions   = %s\n", hclList(s.Actions, "    "))
		fmt.Fprintf(&b, "    resources = %s\n", hclList(s.Resources, "    "))
		for _, op := range sortedKeys(s.Conditions) {
			for _, key := range sortedKeys(s.Conditions[op]) {
				b.WriteString("\n    condition {\n")
				fmt.Fprintf(&b, "      test     = %s\n", hclString(op))
				fmt.Fprintf(&b, "      variable = %s\n", hclString(key))
				fmt.Fprintf(&b, "      values   = %s\n", hclList(s.Conditions[op][key], "      "))
				b.WriteString("    }\n")
			}
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// hclString quotes s as an HCL string: backslashes, quotes and control
// characters escaped, and template sequences ("${", "%{") doubled so that
// Terraform takes them literally.
func hclString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		case (c == '$' || c == '%') && i+1 < len(s) && s[i+1] == '{':
			b.WriteByte(c)
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// hclList renders a list of strings, one a line when there are several.
func hclList(items []string, indent string) string {
	if len(items) == 1 {
		return "[" + hclString(items[0]) + "]"
	}
	var b strings.Builder
	b.WriteString("[\n")
	for _, it := range items {
		b.WriteString(indent + "  " + hclString(it) + ",\n")
	}
	b.WriteString(indent + "]")
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
