package spec

import (
	"fmt"
	"slices"
	"strings"
)

// Placeholders are the values substituted into a log group name template
// (and {account_id} into role ARNs). The engine expands templates with
// Expand so that it names things exactly as the validator checked them.
type Placeholders struct {
	AccountID    string
	AccountAlias string // empty falls back to AccountID
	Region       string
	Rule         string
	ResourceID   string
}

// Placeholder names, as written between braces.
const (
	PlaceholderAccountID    = "account_id"
	PlaceholderAccountAlias = "account_alias"
	PlaceholderRegion       = "region"
	PlaceholderRule         = "rule"
	PlaceholderResourceID   = "resource_id"
)

// placeholderNames lists every placeholder a log group template may use.
var placeholderNames = []string{PlaceholderAccountID, PlaceholderAccountAlias, PlaceholderRegion, PlaceholderRule, PlaceholderResourceID}

func (p Placeholders) value(name string) string {
	switch name {
	case PlaceholderAccountID:
		return p.AccountID
	case PlaceholderAccountAlias:
		if p.AccountAlias == "" {
			return p.AccountID
		}
		return p.AccountAlias
	case PlaceholderRegion:
		return p.Region
	case PlaceholderRule:
		return p.Rule
	case PlaceholderResourceID:
		return p.ResourceID
	}
	return ""
}

// Expand substitutes placeholders in a validated template. {account_alias}
// becomes the account ID when the account has no alias (accounts found
// through the organization never have one).
func Expand(template string, p Placeholders) string {
	if !strings.Contains(template, "{") {
		return template
	}
	var b strings.Builder
	rest := template
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			return b.String()
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			b.WriteString(rest)
			return b.String()
		}
		b.WriteString(rest[:open])
		b.WriteString(p.value(rest[open+1 : open+end]))
		rest = rest[open+end+1:]
	}
}

// UsesPlaceholder reports whether template contains {name}.
func UsesPlaceholder(template, name string) bool {
	return strings.Contains(template, "{"+name+"}")
}

// checkPlaceholders returns an error message for an unknown or unterminated
// placeholder in template, or "".
func checkPlaceholders(template string, allowed []string) string {
	rest := template
	for {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			return ""
		}
		if rest[open] == '}' {
			return fmt.Sprintf("%q has a \"}\" without its \"{\"", template)
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return fmt.Sprintf("%q has a \"{\" without its \"}\"", template)
		}
		name := rest[open+1 : open+end]
		if !slices.Contains(allowed, name) {
			msg := fmt.Sprintf("%q uses the unknown placeholder {%s}; allowed: {%s}", template, name, strings.Join(allowed, "} {"))
			if s := suggest(name, allowed); s != "" {
				msg += fmt.Sprintf(" (did you mean {%s}?)", s)
			}
			return msg
		}
		rest = rest[open+end+1:]
	}
}
