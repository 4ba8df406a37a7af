package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/flowplan/flowplan/internal/e2e"
	"github.com/flowplan/flowplan/internal/motoserver"
)

// The end-to-end tests run the real flowplan binary (this test binary,
// re-executed as "flowplan") on the scripts in testdata/script, once against
// our emulator and once against moto. Each script seeds a backend with the
// world command and asserts on flowplan's output and exit codes; the
// commands it can use are listed in scriptCmds. Run one script with
//
//	go test ./cmd/flowplan -run 'TestScripts/emu/adopt'
//
// and rewrite cmp goldens inside the scripts with -update.

var update = flag.Bool("update", false, "rewrite cmp files in the scripts from the actual output")

func TestMain(m *testing.M) {
	// "flowplan" in a script is this binary running main: the real thing.
	testscript.Main(stopMotoAfter{m}, map[string]func(){"flowplan": main})
}

// stopMotoAfter stops the shared moto server once the tests ran.
type stopMotoAfter struct{ m *testing.M }

func (s stopMotoAfter) Run() int {
	defer motoserver.StopShared()
	return s.m.Run()
}

// TestScripts runs every script against each backend. moto's subtests
// skip (or fail, with FLOWPLAN_REQUIRE_E2E=1) when moto is unavailable.
func TestScripts(t *testing.T) {
	t.Run(e2e.BackendEmulator, func(t *testing.T) {
		testscript.Run(t, scriptParams(t, e2e.BackendEmulator, nil))
	})
	t.Run(e2e.BackendMoto, func(t *testing.T) {
		moto := motoserver.Shared(t)
		testscript.Run(t, scriptParams(t, e2e.BackendMoto, moto))
	})
}

// stateKey finds a script's scriptState in its testscript values.
type stateKey struct{}

// scriptState is what one script's commands share.
type scriptState struct {
	// t is the script's test, for skipping it.
	t       testscript.T
	backend string
	// moto is the shared server (moto backend only).
	moto *motoserver.Server
	// emu is the script's own emulator once world ran (emulator only).
	emu *e2e.Emulator
	// clock is emu's clock.
	clock *emuClock
	// motoLocked is true once the script has moto to itself.
	motoLocked bool
	// seeded is the backend after world ran.
	seeded *e2e.Seeded
	// signalled is the background command signal signalled last.
	signalled *exec.Cmd
}

func state(ts *testscript.TestScript) *scriptState {
	return ts.Value(stateKey{}).(*scriptState)
}

func scriptParams(t *testing.T, backend string, moto *motoserver.Server) testscript.Params {
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	return testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			st := &scriptState{t: env.T(), backend: backend, moto: moto}
			env.Values[stateKey{}] = st
			env.Defer(st.close)
			env.Setenv("E2E_BACKEND", backend)
			env.Setenv("EXAMPLES", examples)
			env.Setenv("NO_COLOR", "1")
			// Nothing from the developer's AWS setup may leak in: testscript
			// starts from an empty environment, and HOME has no .aws.
			env.Setenv("AWS_CONFIG_FILE", filepath.Join(env.WorkDir, ".aws-none", "config"))
			env.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(env.WorkDir, ".aws-none", "credentials"))
			env.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case e2e.BackendEmulator, e2e.BackendMoto:
				return cond == backend, nil
			}
			return false, fmt.Errorf("unknown condition %q: use [emu] or [moto]", cond)
		},
		Cmds: scriptCmds,
	}
}

// close releases what the script's world command took.
func (st *scriptState) close() {
	if st.emu != nil {
		st.emu.Close()
		st.emu = nil
	}
	if st.motoLocked {
		st.moto.Unlock()
		st.motoLocked = false
	}
	st.seeded = nil
}

var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"world":               cmdWorld,
	"exitcode":            cmdExitcode,
	"subst":               cmdSubst,
	"oob":                 cmdOOB,
	"describe":            cmdDescribe,
	"plansum":             cmdPlanSum,
	"named":               cmdNamed,
	"driftsum":            cmdDriftSum,
	"names":               cmdNames,
	"auditsum":            cmdAuditSum,
	"filemode":            cmdFileMode,
	"emu-fault":           cmdEmuFault,
	"emu-counts":          cmdEmuCounts,
	"emu-clock":           cmdEmuClock,
	"jsonq":               cmdJSONQ,
	"freeport":            cmdFreePort,
	"waitfor":             cmdWaitFor,
	"need":                cmdNeed,
	"planedit":            cmdPlanEdit,
	"emu-flow-log-events": cmdEmuFlowLogEvents,
	"signal":              cmdSignal,
	"signalexit":          cmdSignalExit,
	"resultcheck":         cmdResultCheck,
	"waitlock":            cmdWaitLock,
	// Terraform, in script_terraform_test.go.
	"terraform-env": cmdTerraformEnv,
}

// cmdExitcode runs a command and checks its exact exit code, keeping its
// stdout and stderr for the assertions that follow.
//
//	exitcode N command [args...]
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exitcode (name the exit code instead)")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %q is not a number", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// varRef matches $NAME and ${NAME}.
var varRef = regexp.MustCompile(`\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))`)

// cmdSubst writes OUT as IN with the script's variables expanded. A
// reference to an undefined variable that starts with an upper-case letter
// ($VPC_typo) is an error; others (${version} in a log format) stay as
// they are.
//
//	subst IN OUT
func cmdSubst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: subst IN OUT")
	}
	out, undefined := expandVars(ts.ReadFile(args[0]), ts.Getenv)
	if len(undefined) > 0 {
		ts.Fatalf("subst %s: undefined variables %v", args[0], undefined)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(out), 0o644))
}

// expandVars expands $NAME and ${NAME} with getenv, and returns the
// undefined names that start with an upper-case letter; other undefined
// references are left as they are.
func expandVars(in string, getenv func(string) string) (string, []string) {
	var undefined []string
	out := varRef.ReplaceAllStringFunc(in, func(ref string) string {
		m := varRef.FindStringSubmatch(ref)
		name := m[1] + m[2]
		if v := getenv(name); v != "" {
			return v
		}
		if name[0] >= 'A' && name[0] <= 'Z' {
			undefined = append(undefined, name)
		}
		return ref
	})
	return out, undefined
}

// cmdFileMode checks a file's permission bits.
//
//	filemode FILE MODE   (MODE in octal, such as 0600)
func cmdFileMode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: filemode FILE MODE")
	}
	want, err := strconv.ParseUint(args[1], 8, 32)
	if err != nil {
		ts.Fatalf("filemode: %q is not an octal mode", args[1])
	}
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	if got := fi.Mode().Perm(); got != os.FileMode(want) {
		ts.Fatalf("%s has mode %#o, want %#o", args[0], got, want)
	}
}
