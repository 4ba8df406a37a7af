package spec

import "fmt"

// Summary is the one-line report of `flowplan validate` for a valid spec:
// FILE: valid: 3 accounts (+ organization), 3 rules, 4 target selectors.
func Summary(s *Spec) string {
	org := ""
	if s.Organization != nil {
		org = " (+ organization)"
	}
	selectors := 0
	for _, r := range s.Rules {
		selectors += len(r.Targets.Kinds())
	}
	return fmt.Sprintf("%s: valid: %s%s, %s, %s", s.File,
		plural(len(s.Accounts), "account"), org, plural(len(s.Rules), "rule"), plural(selectors, "target selector"))
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
