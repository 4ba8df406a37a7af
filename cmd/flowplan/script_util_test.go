package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/flowplan/flowplan/internal/motoserver"
)

// This file holds generic script commands: JSON queries and helpers for
// background servers.

// cmdJSONQ prints the value at PATH in a JSON document (a file, or stdout
// or stderr of the last command), or with -len its length (of a list,
// object or string), or with -set VAR stores it in VAR instead. PATH is
// dot-separated object keys and list indices; "." alone is the document.
// Strings print without quotes; lists and objects as compact JSON.
//
//	jsonq [-len] [-set VAR] FILE PATH
func cmdJSONQ(ts *testscript.TestScript, neg bool, args []string) {
	usage := "usage: jsonq [-len] [-set VAR] FILE PATH"
	length, setVar := false, ""
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch {
		case args[0] == "-len":
			length, args = true, args[1:]
		case args[0] == "-set" && len(args) > 1:
			setVar, args = args[1], args[2:]
		default:
			ts.Fatalf("%s", usage)
		}
	}
	if neg || len(args) != 2 {
		ts.Fatalf("%s", usage)
	}
	var doc any
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc); err != nil {
		ts.Fatalf("jsonq: %s is not JSON: %v", args[0], err)
	}
	v, err := jsonPath(doc, args[1])
	if err != nil {
		ts.Fatalf("jsonq %s %s: %v", args[0], args[1], err)
	}
	if length {
		if v, err = jsonLen(v); err != nil {
			ts.Fatalf("jsonq -len %s %s: %v", args[0], args[1], err)
		}
	}
	text, err := jsonText(v)
	ts.Check(err)
	if setVar != "" {
		ts.Setenv(setVar, text)
		return
	}
	fmt.Fprintln(ts.Stdout(), text)
}

func jsonLen(v any) (float64, error) {
	switch x := v.(type) {
	case []any:
		return float64(len(x)), nil
	case map[string]any:
		return float64(len(x)), nil
	case string:
		return float64(len(x)), nil
	}
	return 0, fmt.Errorf("%v has no length", v)
}

// jsonPath walks path through doc.
func jsonPath(doc any, path string) (any, error) {
	if path == "." {
		return doc, nil
	}
	v := doc
	for _, seg := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[seg]
			if !ok {
				return nil, fmt.Errorf("no key %q", seg)
			}
			v = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("%q is not an index of a list of %d", seg, len(x))
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("cannot take %q of %v", seg, v)
		}
	}
	return v, nil
}

func jsonText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// cmdFreePort stores a free loopback TCP port in VAR.
//
//	freeport VAR
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := l.Addr().(*net.TCPAddr).Port
	ts.Check(l.Close())
	ts.Setenv(args[0], strconv.Itoa(port))
}

// cmdWaitFor waits up to 30 seconds for URL to answer any HTTP response.
//
//	waitfor URL
func cmdWaitFor(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfor URL")
	}
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(args[0])
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitfor %s: %v", args[0], err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cmdNeed skips the script, saying so loudly, when a program it needs is
// not installed; with FLOWPLAN_REQUIRE_E2E=1 (CI) it fails it instead.
//
//	need PROGRAM
func cmdNeed(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: need PROGRAM")
	}
	if _, err := exec.LookPath(args[0]); err == nil {
		return
	}
	msg := fmt.Sprintf("SKIPPING: this script needs %s on PATH, which is not installed here", args[0])
	if motoserver.Required() {
		ts.Fatalf("%s, and FLOWPLAN_REQUIRE_E2E=1 makes that a failure", msg)
	}
	state(ts).t.Skip(msg)
}

// cmdPlanEdit edits a plan file as someone who can write the CI artifact
// would: it sets keys of one change, found by its address, or of the plan
// itself (ADDR "."), to JSON values; KEY=- deletes the key. Paths are dotted.
//
//	planedit FILE ADDR KEY=JSON...
func cmdPlanEdit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: planedit FILE ADDR KEY=JSON...")
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc); err != nil {
		ts.Fatalf("planedit: %s is not JSON: %v", args[0], err)
	}
	target := doc
	if args[1] != "." {
		target = nil
		changes, _ := doc["changes"].([]any)
		for _, c := range changes {
			ch, _ := c.(map[string]any)
			a, _ := ch["address"].(map[string]any)
			if fmt.Sprintf("%v/%v/%v/%v", a["account"], a["region"], a["kind"], a["name"]) == args[1] {
				target = ch
			}
		}
		if target == nil {
			ts.Fatalf("planedit: no change at %s", args[1])
		}
	}
	for _, kv := range args[2:] {
		key, val, ok := strings.Cut(kv, "=")
		if !ok {
			ts.Fatalf("planedit: %q is not KEY=JSON", kv)
		}
		segs := strings.Split(key, ".")
		m := target
		for _, s := range segs[:len(segs)-1] {
			next, ok := m[s].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[s] = next
			}
			m = next
		}
		last := segs[len(segs)-1]
		if val == "-" {
			delete(m, last)
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(val), &v); err != nil {
			ts.Fatalf("planedit: %s: %v", kv, err)
		}
		m[last] = v
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), out, 0o600))
}
