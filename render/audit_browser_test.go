package render

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// The browser test opens the golden HTML report in a real headless
// Chromium, driven by chromedp, and checks what a reader sees: the heat
// map's figures, that clicking a cell and the search box filter the units,
// that the page loads nothing, and that every unit shows with JavaScript
// off.

var screenshot = flag.Bool("screenshot", false, "write docs/audit-report.png from the golden HTML report")

// chromiumPath finds Chromium on PATH: Debian's chromium, or the other
// names it goes by. Without one the test skips, unless
// FLOWPLAN_REQUIRE_E2E=1 (CI), where it fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("FLOWPLAN_REQUIRE_E2E") == "1" {
		t.Fatal("no Chromium on PATH (chromium, chromium-browser or google-chrome), and FLOWPLAN_REQUIRE_E2E=1: apt-get install chromium")
	}
	t.Skip("no Chromium on PATH (chromium, chromium-browser or google-chrome): apt-get install chromium to run the browser test")
	return ""
}

// browser starts a headless Chromium for the test and returns its first
// tab's context.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	// The timeout bounds the whole browser: a hung Chromium fails the test
	// instead of holding go test until its own limit.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		// Chromium's sandbox cannot start as root, which tests in a
		// container (and CI) run as: it needs user namespaces it does not
		// get there. The page is our own golden file.
		chromedp.NoSandbox,
		chromedp.WindowSize(1200, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	return tab
}

// serveReport serves the golden report at /report.html and records every
// path asked for.
func serveReport(t *testing.T) (url string, paths func() []string) {
	t.Helper()
	page, err := os.ReadFile(filepath.Join("testdata", "audit", "report.html"))
	if err != nil {
		t.Fatalf("%v (run go test ./render -run TestAuditGolden -update to create it)", err)
	}
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path)
		mu.Unlock()
		if r.URL.Path != "/report.html" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/report.html", func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// visibleRows lists the unit rows shown, by what they show:
// "account/region resource rule".
const visibleRows = `Array.from(document.querySelectorAll("#units tbody tr"))
	.filter(r => r.getClientRects().length > 0)
	.map(r => r.querySelector(".account").textContent + "/" + r.querySelector(".region").textContent + " " +
		r.querySelector(".rid").textContent + " " + r.querySelector(".rule").textContent)`

// rowKey is a unit's line in visibleRows.
func rowKey(u AuditUnitJSON) string {
	return u.Account + "/" + cmpOr(u.Region, "(account)") + " " + cmpOr(u.ResourceID, "(targets unknown)") + " " + u.Rule
}

// unitsWhere lists the document's units that match, as visibleRows does.
func unitsWhere(doc AuditJSON, match func(AuditUnitJSON) bool) []string {
	var out []string
	for _, u := range doc.Targets {
		if match(u) {
			out = append(out, rowKey(u))
		}
	}
	slices.Sort(out)
	return out
}

// matchesSearch is what the search box is meant to match: a resource id,
// Name tag or flow log id containing the text, in any case.
func matchesSearch(q string) func(AuditUnitJSON) bool {
	q = strings.ToLower(q)
	return func(u AuditUnitJSON) bool {
		for _, s := range append([]string{u.ResourceID, u.Name}, u.FlowLogs...) {
			if strings.Contains(strings.ToLower(s), q) {
				return true
			}
		}
		return false
	}
}

func TestAuditHTMLBrowser(t *testing.T) {
	ctx := browser(t)
	start := time.Now()
	doc := auditJSON(goldenAudit(t), auditHeader)
	url, paths := serveReport(t)

	var mu sync.Mutex
	var requests []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("#units"))); err != nil {
		t.Fatal(err)
	}
	eval := func(js string) []string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		slices.Sort(v)
		return v
	}
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	all := unitsWhere(doc, func(AuditUnitJSON) bool { return true })

	// (a) The figures shown are the document's.
	var wantCells []string
	for _, s := range doc.Scopes {
		wantCells = append(wantCells, s.Account+"/"+s.Region+" "+Percent(s.CoveragePercent))
	}
	slices.Sort(wantCells)
	gotCells := eval(`Array.from(document.querySelectorAll(".heat [data-scope]"), c => c.getAttribute("data-scope") + " " + c.querySelector(".pct").textContent)`)
	if diff := cmp.Diff(wantCells, gotCells); diff != "" {
		t.Errorf("heat map cells (-document +shown):\n%s", diff)
	}
	if got := eval(`[document.getElementById("overall").textContent]`); !slices.Equal(got, []string{Percent(doc.Summary.CoveragePercent)}) {
		t.Errorf("overall figure %q, want %q", got, Percent(doc.Summary.CoveragePercent))
	}
	if got := eval(visibleRows); !slices.Equal(got, all) {
		t.Errorf("before any filter, rows shown:\n%s\nwant every unit:\n%s", strings.Join(got, "\n"), strings.Join(all, "\n"))
	}

	// (b) Clicking a cell shows that scope's units only; clicking it again
	// shows all.
	clicked := 0
	for _, s := range doc.Scopes {
		if s.Targets == 0 {
			continue
		}
		clicked++
		scope := s.Account + "/" + s.Region
		cell := chromedp.CSS(`.heat button[data-scope="` + scope + `"]`)
		do("click "+scope, chromedp.Click(cell))
		want := unitsWhere(doc, func(u AuditUnitJSON) bool { return u.Account == s.Account && u.Region == s.Region })
		if got := eval(visibleRows); !slices.Equal(got, want) || len(got) != s.Targets {
			t.Errorf("after a click on %s, rows shown:\n%s\nwant its %d units:\n%s", scope, strings.Join(got, "\n"), s.Targets, strings.Join(want, "\n"))
		}
		do("click "+scope+" again", chromedp.Click(cell))
		if got := eval(visibleRows); !slices.Equal(got, all) {
			t.Errorf("after a second click on %s, %d rows shown, want all %d", scope, len(got), len(all))
		}
	}
	if clicked < 3 {
		t.Fatalf("only %d scopes with targets to click", clicked)
	}
	// "Show all" clears a cell's filter.
	do("click a cell, then show all", chromedp.Click(chromedp.CSS(`.heat button[data-scope="111111111111/us-east-1"]`)), chromedp.Click(chromedp.ID("show-all")))
	if got := eval(visibleRows); !slices.Equal(got, all) {
		t.Errorf("after show all, %d rows shown, want all %d", len(got), len(all))
	}
	// The search box matches resource ids, Name tags and flow log ids, in
	// any case, alone or within a cell.
	for _, q := range []string{"WEB-prod", "subnet-b1", "fl-0cafe0000000000a1", "attacker.example", "no-such-thing"} {
		do("search "+q, chromedp.SendKeys(chromedp.ID("search"), q))
		want := unitsWhere(doc, matchesSearch(q))
		if got := eval(visibleRows); !slices.Equal(got, want) {
			t.Errorf("search %q shows:\n%s\nwant:\n%s", q, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		do("show all", chromedp.Click(chromedp.ID("show-all")))
	}
	do("search within a cell", chromedp.Click(chromedp.CSS(`.heat button[data-scope="111111111111/us-east-1"]`)), chromedp.SendKeys(chromedp.ID("search"), "prod"))
	want := unitsWhere(doc, func(u AuditUnitJSON) bool {
		return u.Account+"/"+u.Region == "111111111111/us-east-1" && matchesSearch("prod")(u)
	})
	if got := eval(visibleRows); !slices.Equal(got, want) || len(want) == 0 {
		t.Errorf("search \"prod\" in 111111111111/us-east-1 shows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Printed, with a cell's filter on: every row, no controls, nothing
	// sticky, colours kept.
	do("filter, then print", chromedp.Click(chromedp.CSS(`.heat button[data-scope="111111111111/us-east-1"]`)),
		emulateMedia("print"))
	if got := eval(visibleRows); !slices.Equal(got, all) {
		t.Errorf("printed, %d rows shown, want all %d", len(got), len(all))
	}
	printed := eval(`[getComputedStyle(document.getElementById("controls")).display,
		getComputedStyle(document.querySelector(".units thead th")).position,
		getComputedStyle(document.querySelector(".heat .tone-full")).printColorAdjust]`)
	if want := []string{"exact", "none", "static"}; !slices.Equal(printed, want) {
		t.Errorf("printed: controls display, header position, print-color-adjust = %q, want (sorted) %q", printed, want)
	}
	// Nothing is wider than an A4 landscape page, 277 mm between the
	// margins (1047 CSS px): print would cut it off.
	do("an A4 landscape page", chromedp.EmulateViewport(1040, 700))
	if fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)); err != nil || !fits {
		w := eval(`[document.documentElement.scrollWidth + " px, the page " + window.innerWidth + " px"]`)
		t.Errorf("printed, the report is wider than the page: %s (%v)", w, err)
	}
	do("back to the screen", chromedp.EmulateViewport(1200, 900), emulateMedia(""), chromedp.Click(chromedp.ID("show-all")))

	// (c) Nothing was asked for but the page.
	mu.Lock()
	got := slices.Clone(requests)
	mu.Unlock()
	if !slices.Equal(got, []string{url}) {
		t.Errorf("the browser requested %q; want only the page %s", got, url)
	}
	if p := paths(); !slices.Equal(p, []string{"/report.html"}) {
		t.Errorf("the server was asked for %q; want only /report.html", p)
	}

	// (d) With JavaScript off, every unit row shows, and the controls
	// that would do nothing do not.
	noJS, cancel := chromedp.NewContext(ctx)
	defer cancel()
	if _, err := chromedp.Call(noJS, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(noJS, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("#units"))); err != nil {
		t.Fatal(err)
	}
	v, err := chromedp.Run(noJS, chromedp.Evaluate[[]string](visibleRows))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(v)
	if !slices.Equal(v, all) {
		t.Errorf("with JavaScript off, rows shown:\n%s\nwant every unit:\n%s", strings.Join(v, "\n"), strings.Join(all, "\n"))
	}
	ran, err := chromedp.Run(noJS, chromedp.Evaluate[[]bool](`[document.getElementById("controls").getClientRects().length > 0, document.getElementById("shown").textContent !== ""]`))
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(ran, true) {
		t.Errorf("with JavaScript off, the controls show or the script ran: %v", ran)
	}
	t.Logf("browser test took %s (%d units, %d scopes clicked)", time.Since(start).Round(time.Millisecond), len(all), clicked)
}

// emulateMedia makes CSS apply as for the media type ("print"), or as
// for the screen again ("").
func emulateMedia(media string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	})
}

// TestAuditHTMLScreenshot writes docs/audit-report.png from the golden
// report with -screenshot; otherwise it skips.
func TestAuditHTMLScreenshot(t *testing.T) {
	if !*screenshot {
		t.Skip("run with -screenshot to write docs/audit-report.png")
	}
	ctx := browser(t)
	url, _ := serveReport(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1200, 900), chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("#units"))); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join("..", "docs", "audit-report.png")
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(png))
}
