package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/flowplan/flowplan/internal/awsregions"
	"github.com/flowplan/flowplan/spec"
)

// Formats of 'flowplan validate': text for people and problem matchers
// (FILE:LINE:COL: message on stderr), json for programs, github for
// GitHub Actions annotations.
const (
	validateText   = "text"
	validateJSON   = "json"
	validateGitHub = "github"
)

// ValidateFormatVersion is the version of 'validate --format json',
// "MAJOR.MINOR" as the plan format's (docs/plan-json.md).
const ValidateFormatVersion = "1.1"

func setupValidate(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	var sf specFlag
	sf.define(fs)
	var format string
	choiceVar(fs, &format, "format", validateText, "output `format`: text (problems on stderr), json, or github (workflow annotations)",
		validateText, validateJSON, validateGitHub)
	return func(_ context.Context, e *env, args []string) error {
		if len(args) > 0 {
			return &usageError{cmd: "validate", msg: fmt.Sprintf("unexpected argument %q (the spec is given with -f)", args[0])}
		}
		switch format {
		case validateText, validateJSON, validateGitHub:
		default:
			return &usageError{cmd: "validate", msg: fmt.Sprintf("unknown format %q: use text, json or github", format)}
		}
		s, err := sf.load()
		if format == validateText {
			if err != nil {
				return err
			}
			for _, w := range specWarnings(s) {
				fmt.Fprintf(e.Stderr, "%s:%d:%d: warning: %s\n", w.File, w.Line, w.Column, w.Message)
			}
			fmt.Fprintln(e.Stdout, spec.Summary(s))
			return nil
		}
		report := validation(sf.path, s, err)
		if format == validateJSON {
			enc := json.NewEncoder(e.Stdout)
			enc.SetIndent("", "  ")
			if werr := enc.Encode(report); werr != nil {
				return werr
			}
		} else {
			writeGitHub(e.Stdout, report)
		}
		if err != nil {
			return errSilent
		}
		return nil
	}
}

// validationReport is the JSON form of a validate run.
type validationReport struct {
	FormatVersion string       `json:"format_version"`
	File          string       `json:"file"`
	Valid         bool         `json:"valid"`
	Summary       string       `json:"summary,omitempty"`
	Diagnostics   []diagnostic `json:"diagnostics"`
}

// diagnostic is one problem; Line and Column are 0 for a problem with the
// file as a whole (it cannot be read).
type diagnostic struct {
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// validation turns Load's result into a report: every spec problem at its
// position, or the one error that stopped the file being read.
func validation(path string, s *spec.Spec, err error) validationReport {
	r := validationReport{FormatVersion: ValidateFormatVersion, File: path, Valid: err == nil, Diagnostics: []diagnostic{}}
	if err == nil {
		r.Summary = spec.Summary(s)
		r.Diagnostics = append(r.Diagnostics, specWarnings(s)...)
		return r
	}
	var es spec.Errors
	if errors.As(err, &es) {
		for _, p := range es {
			r.Diagnostics = append(r.Diagnostics, diagnostic{File: p.File, Line: p.Line, Column: p.Column, Severity: "error", Message: p.Message})
		}
		return r
	}
	r.Diagnostics = append(r.Diagnostics, diagnostic{File: path, Severity: "error", Message: err.Error()})
	return r
}

// writeGitHub prints each problem as a GitHub Actions workflow command,
// ::error file=F,line=L,col=C::message, which the runner turns into an
// annotation on that line of the pull request.
func writeGitHub(w io.Writer, r validationReport) {
	for _, d := range r.Diagnostics {
		props := "file=" + ghProperty(d.File)
		if d.Line > 0 {
			props += fmt.Sprintf(",line=%d,col=%d", d.Line, d.Column)
		}
		fmt.Fprintf(w, "::%s %s::%s\n", d.Severity, props, ghData(d.Message))
	}
	if r.Valid {
		fmt.Fprintf(w, "::notice file=%s::%s\n", ghProperty(r.File), ghData(r.Summary))
	}
}

// specWarnings are the problems of a valid spec that do not stop it: a
// region of the right shape that the AWS SDK does not know (a typo, or a
// region newer than this build). Plan checks each account's regions with
// AWS (DescribeRegions), which has the last word.
func specWarnings(s *spec.Spec) []diagnostic {
	var out []diagnostic
	warned := map[string]bool{}
	for _, r := range s.RegionRefs {
		msg := awsregions.Unknown(r.Region)
		if msg != "" && !strings.HasSuffix(msg, "?") {
			msg += "."
		}
		if msg == "" || warned[r.Region] {
			continue
		}
		warned[r.Region] = true
		out = append(out, diagnostic{File: r.Pos.File, Line: r.Pos.Line, Column: r.Pos.Column, Severity: "warning",
			Message: msg + " The spec is valid all the same: plan asks AWS which regions each account has enabled."})
	}
	return out
}

// ghData escapes a workflow command's message: %, CR and LF, as the
// runner's own toolkit does (escapeData in @actions/core).
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProperty escapes a workflow command's property value: what ghData
// escapes, and also ":" and "," which end a value (escapeProperty).
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
