package cli

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// GitHub's workflow command syntax: ::command key=value,key=value::data,
// where values hold no raw ":" or "," and neither part a raw CR or LF.
var workflowCommand = regexp.MustCompile(`^::(error|warning|notice)( [a-z]+=[^,:\r\n]*(,[a-z]+=[^,:\r\n]*)*)?::[^\r\n]*$`)

func TestGitHubAnnotations(t *testing.T) {
	r := validationReport{File: "a,b:c%.yaml", Diagnostics: []diagnostic{
		{File: "a,b:c%.yaml", Line: 3, Column: 5, Severity: "error", Message: "100% wrong:\r\nsee, here"},
		{File: "a,b:c%.yaml", Severity: "error", Message: "cannot read"},
	}}
	var b bytes.Buffer
	writeGitHub(&b, r)
	want := "::error file=a%2Cb%3Ac%25.yaml,line=3,col=5::100%25 wrong:%0D%0Asee, here\n" +
		"::error file=a%2Cb%3Ac%25.yaml::cannot read\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if !workflowCommand.MatchString(line) {
			t.Errorf("not a workflow command: %q", line)
		}
	}
}
