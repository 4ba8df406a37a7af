package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/engine"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// ext is each format's golden file extension.
var ext = map[Format]string{Text: "txt", JSON: "json", Markdown: "md"}

type planCase struct {
	name string
	plan *engine.Plan
	opts Options
}

// planCases are the plan goldens: real plans (realCases, manyPlan).
func planCases(t testing.TB) []planCase {
	var out []planCase
	for _, name := range []string{"full", "targeted", "unchanged", "empty", "escaping"} {
		out = append(out, planCase{name, realPlan(t, name), Options{}})
	}
	return append(out,
		planCase{"many", manyPlan(t, 6, 4, 1), Options{}},
		planCase{"truncated", manyPlan(t, 6, 4, 3), Options{MarkdownLimit: 6000, PlanFile: "plans/pr_42.json"}},
	)
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./render -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// TestPlanGolden renders real plans, made by the engine and the AWS
// provider on emulator worlds (emuworld_test.go), in every format.
func TestPlanGolden(t *testing.T) {
	for _, tc := range planCases(t) {
		for _, f := range Formats {
			if tc.name == "truncated" && f != Markdown {
				continue
			}
			t.Run(tc.name+"/"+string(f), func(t *testing.T) {
				var b bytes.Buffer
				if err := Plan(&b, tc.plan, f, tc.opts); err != nil {
					t.Fatal(err)
				}
				golden(t, tc.name+"."+ext[f]+".golden", b.Bytes())
			})
		}
	}
}

func TestPlanColorGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Plan(&b, realPlan(t, "full"), Text, Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	golden(t, "full.color.txt.golden", b.Bytes())
}

// TestResultGolden renders real applies: one with a failure (and the
// changes it stops skipped), one interrupted, and the apply of an empty
// plan.
func TestResultGolden(t *testing.T) {
	failed, failedPlan := realResult(t, "failed")
	interrupted, interruptedPlan := realResult(t, "interrupted")
	empty, emptyPlan := realResult(t, "empty")
	cases := []struct {
		name   string
		result *engine.Result
		plan   *engine.Plan
	}{
		{"result", failed, failedPlan},
		{"result_noplan", failed, nil},
		{"result_empty", empty, emptyPlan},
		{"result_interrupted", interrupted, interruptedPlan},
	}
	for _, tc := range cases {
		for _, f := range Formats {
			t.Run(tc.name+"/"+string(f), func(t *testing.T) {
				var b bytes.Buffer
				if err := Result(&b, tc.result, tc.plan, f, Options{}); err != nil {
					t.Fatal(err)
				}
				golden(t, tc.name+"."+ext[f]+".golden", b.Bytes())
			})
		}
	}
}

func TestTextSummaryLast(t *testing.T) {
	for _, tc := range planCases(t) {
		var b bytes.Buffer
		if err := Plan(&b, tc.plan, Text, Options{}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
		last := lines[len(lines)-1]
		if !strings.HasPrefix(last, "Plan: ") && !strings.HasPrefix(last, "No changes") {
			t.Errorf("%s: last line is %q, want the summary", tc.name, last)
		}
	}
}

func TestNoExternalID(t *testing.T) {
	for _, tc := range planCases(t) {
		for _, f := range Formats {
			var b bytes.Buffer
			if err := Plan(&b, tc.plan, f, tc.opts); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(b.String(), secretExternalID) {
				t.Errorf("%s in %s contains the external ID", tc.name, f)
			}
			res, _ := realResult(t, "failed")
			if err := Result(&b, res, tc.plan, f, tc.opts); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(b.String(), secretExternalID) {
				t.Errorf("result of %s in %s contains the external ID", tc.name, f)
			}
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, tc := range planCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Plan(&b, tc.plan, JSON, Options{}); err != nil {
				t.Fatal(err)
			}
			var got PlanJSON
			dec := json.NewDecoder(bytes.NewReader(b.Bytes()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("decode: %v", err)
			}
			want := planJSON(tc.plan)
			for i := range want.Accounts {
				want.Accounts[i].ExternalID = ""
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			// A saved-plan reader accepts the output too.
			var saved engine.Plan
			if err := json.Unmarshal(b.Bytes(), &saved); err != nil {
				t.Fatalf("decode as engine.Plan: %v", err)
			}
			if diff := cmp.Diff(want.Changes, saved.Changes); diff != "" {
				t.Errorf("changes as engine.Plan (-want +got):\n%s", diff)
			}
			if saved.FormatVersion != engine.PlanFormatVersion || saved.ID != tc.plan.ID {
				t.Errorf("format_version %q id %q, want %q %q", saved.FormatVersion, saved.ID, engine.PlanFormatVersion, tc.plan.ID)
			}
		})
	}
}

// TestJSONSummary: the full world's plan has the changes its world
// describes (testdata/worlds/full.txtar), and the scope counts add up.
func TestJSONSummary(t *testing.T) {
	got := planJSON(realPlan(t, "full")).Summary
	want := Counts{Create: 9, Update: 5, Replace: 2, Delete: 1, Adopt: 2, NoOp: 1}
	if diff := cmp.Diff(want, got.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if !got.HasChanges || got.Errors != 1 || got.Notes != (NoteCounts{Unmanaged: 1, Warning: 1}) {
		t.Errorf("summary = %+v", got)
	}
	var sum Counts
	for _, s := range got.Scopes {
		sum = sum.plus(s.Counts)
	}
	if sum != got.Counts {
		t.Errorf("scope counts add up to %+v, want %+v", sum, got.Counts)
	}
	if u := planJSON(realPlan(t, "unchanged")).Summary; u.HasChanges || u.Counts.NoOp == 0 {
		t.Errorf("the unchanged plan's summary is %+v, want no-ops and no changes", u)
	}
}

func TestResultJSONRoundTrip(t *testing.T) {
	res, plan := realResult(t, "failed")
	var b bytes.Buffer
	if err := Result(&b, res, plan, JSON, Options{}); err != nil {
		t.Fatal(err)
	}
	var got ResultJSON
	dec := json.NewDecoder(&b)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sortedResults(res.Changes), got.Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	// The two log groups of eu-west-1 failed, and the two flow logs into
	// them were skipped; the flow log into the bucket that does not exist
	// failed; everything else was applied.
	want := ResultSummary{Failed: 3, Skipped: 2}
	want.Applied = len(res.Changes) - want.Failed - want.Skipped
	if got.Summary != want {
		t.Errorf("summary = %+v, want %+v", got.Summary, want)
	}
}

var (
	detailsRE = regexp.MustCompile(`(?m)^<details><summary><code>`)
	omittedRE = regexp.MustCompile(`Not shown, to keep this comment under \d+ characters: (\d+) of (\d+) changes`)
)

func TestMarkdownLimit(t *testing.T) {
	p := manyPlan(t, 20, 3, 8) // 20 roles and policies, 60 log groups, 480 flow logs; the last account's are no-ops
	pending := 0
	for _, c := range p.Changes {
		if c.Action != engine.NoOp {
			pending++
		}
	}
	for _, limit := range []int{0, 20000} {
		t.Run(strconv.Itoa(limit), func(t *testing.T) {
			var b bytes.Buffer
			if err := Plan(&b, p, Markdown, Options{MarkdownLimit: limit}); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			max := limit
			if max == 0 {
				max = DefaultMarkdownLimit
			}
			if len(out) > max {
				t.Errorf("output is %d bytes, limit %d", len(out), max)
			}
			if !strings.HasSuffix(out, "**"+mdText(planSummary(p))+"**\n") {
				t.Errorf("output does not end with the totals line:\n%s", out[len(out)-300:])
			}
			if !strings.Contains(out, "| **total** |") {
				t.Error("no total row")
			}
			m := omittedRE.FindStringSubmatch(out)
			if m == nil {
				t.Fatal("no note about omitted changes")
			}
			shown := len(detailsRE.FindAllString(out, -1))
			left, _ := strconv.Atoi(m[1])
			total, _ := strconv.Atoi(m[2])
			if total != pending || shown+left != pending || shown == 0 {
				t.Errorf("shown %d + omitted %d of %d, want %d pending", shown, left, total, pending)
			}
			if !strings.Contains(out, "Run `flowplan plan` again with `--format text` to see everything.") {
				t.Error("no hint to see everything")
			}
		})
	}
}

// TestMarkdownHints: the note on what was cut names the saved plan file
// when there is one, and the command of the output otherwise.
func TestMarkdownHints(t *testing.T) {
	p := manyPlan(t, 6, 4, 3)
	tests := []struct {
		opts Options
		want string
	}{
		{Options{MarkdownLimit: 6000, PlanFile: "out/plan.fp"}, "Run `flowplan show out/plan.fp` to see everything."},
		{Options{MarkdownLimit: 6000, MarkerKind: MarkerDrift}, "Run `flowplan drift` again with `--format text` to see everything."},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := Plan(&b, p, Markdown, tt.opts); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("%+v: no %q in\n%s", tt.opts, tt.want, b.String())
		}
	}
	res, plan := realResult(t, "failed")
	var b bytes.Buffer
	if err := Result(&b, res, plan, Markdown, Options{MarkdownLimit: 1500, PlanFile: "plan.fp"}); err != nil {
		t.Fatal(err)
	}
	if want := "The text and JSON formats list every change. `flowplan show plan.fp` shows the plan that was applied."; !strings.Contains(b.String(), want) {
		t.Errorf("no %q in\n%s", want, b.String())
	}
}

// TestMarkdownMarker: Markdown output opens with the hidden marker of its
// kind and spec, and the title names the kind.
func TestMarkdownMarker(t *testing.T) {
	p := realPlan(t, "full")
	tests := []struct {
		kind, want, title string
	}{
		{"", "<!-- flowplan:plan:prod -->\n", "### flowplan plan for spec `prod`\n"},
		{MarkerDrift, "<!-- flowplan:drift:prod -->\n", "### flowplan drift for spec `prod`\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := Plan(&b, p, Markdown, Options{MarkerKind: tt.kind}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(b.String(), tt.want+tt.title) {
			t.Errorf("kind %q: output starts %q, want %q", tt.kind, firstLines(b.String(), 2), tt.want+tt.title)
		}
	}
	res, _ := realResult(t, "failed")
	var b bytes.Buffer
	if err := Result(&b, res, nil, Markdown, Options{}); err != nil {
		t.Fatal(err)
	}
	if want := "<!-- flowplan:apply -->\n### flowplan apply\n"; !strings.HasPrefix(b.String(), want) {
		t.Errorf("result without a plan starts %q, want %q", firstLines(b.String(), 2), want)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitAfterN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "")
}

func TestMarker(t *testing.T) {
	tests := []struct{ kind, spec, want string }{
		{"plan", "org-baseline", "<!-- flowplan:plan:org-baseline -->"},
		{"drift", "a.b_c", "<!-- flowplan:drift:a.b_c -->"},
		{"apply", "", "<!-- flowplan:apply -->"},
		// A spec name from an untrusted plan file cannot end the comment.
		{"plan", "x --> <b>hi</b>", "<!-- flowplan:plan:x_--___b_hi__b_ -->"},
	}
	for _, tt := range tests {
		if got := Marker(tt.kind, tt.spec); got != tt.want {
			t.Errorf("Marker(%q, %q) = %q, want %q", tt.kind, tt.spec, got, tt.want)
		}
	}
}

func TestMarkdownTableFolds(t *testing.T) {
	p := manyPlan(t, 20, 3, 8)
	scopes := scopeSummaries(p)
	table := planTable(scopes, nil, 2000)
	if len(table) > 2000 {
		t.Errorf("table is %d bytes, limit 2000", len(table))
	}
	// Every account-region is counted once, in a row or a fold row.
	rowRE := regexp.MustCompile(`(?m)^\| [^*_]`)
	foldRE := regexp.MustCompile(`_(\d+) more account-regions?_`)
	rows := len(rowRE.FindAllString(table, -1)) - 1 // the header
	folded := 0
	for _, m := range foldRE.FindAllStringSubmatch(table, -1) {
		n, _ := strconv.Atoi(m[1])
		folded += n
	}
	if want := len(scopes); rows+folded != want || folded == 0 {
		t.Errorf("%d rows + %d folded, want %d scopes with some folded:\n%s", rows, folded, want, table)
	}
	// 19 accounts to do: a role and its policy each, a log group and 8
	// flow logs in each of 3 regions; the last account's 29 are no-ops.
	if !strings.Contains(table, "| **total** |  | 551 | 0 | 0 | 0 | 0 | 29 |") {
		t.Errorf("wrong total row:\n%s", table)
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"text", "json", "markdown"} {
		if f, err := ParseFormat(s); err != nil || string(f) != s {
			t.Errorf("ParseFormat(%q) = %q, %v", s, f, err)
		}
	}
	for _, s := range []string{"", "JSON", "md", "yaml"} {
		_, err := ParseFormat(s)
		if err == nil || !strings.Contains(err.Error(), "text, json, markdown") {
			t.Errorf("ParseFormat(%q) error = %v, want one listing the formats", s, err)
		}
	}
	if err := Plan(&bytes.Buffer{}, realPlan(t, "empty"), Format("yaml"), Options{}); err == nil {
		t.Error("Plan accepted format yaml")
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("disk full")
}

func TestWriteErrorKept(t *testing.T) {
	res, _ := realResult(t, "failed")
	for _, f := range Formats {
		w := &failWriter{}
		err := Plan(w, realPlan(t, "full"), f, Options{})
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: error = %v, want disk full", f, err)
		}
		if w.n != 1 {
			t.Errorf("%s: %d writes after the first failure, want none", f, w.n-1)
		}
		w = &failWriter{}
		if err := Result(w, res, nil, f, Options{}); err == nil {
			t.Errorf("%s: result error is nil", f)
		}
	}
}

func TestNilInput(t *testing.T) {
	if err := Plan(&bytes.Buffer{}, nil, Text, Options{}); err == nil {
		t.Error("Plan(nil) succeeded")
	}
	if err := Result(&bytes.Buffer{}, nil, nil, Text, Options{}); err == nil {
		t.Error("Result(nil) succeeded")
	}
}

// BenchmarkPlan renders an organisation-sized real plan: 100 accounts ×
// 4 regions × 5 VPCs, with a role, its policy and a log group per
// account-region (2600 changes).
func BenchmarkPlan(b *testing.B) {
	p := manyPlan(b, 100, 4, 5)
	for _, f := range Formats {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Plan(io.Discard, p, f, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
