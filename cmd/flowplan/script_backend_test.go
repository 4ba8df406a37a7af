package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/flowplan/flowplan/internal/e2e"
	"github.com/flowplan/flowplan/providers/awsemu"
)

// This file holds the script commands that seed, change and read the
// backend flowplan talks to.

// sandboxState is where flowplan --sandbox keeps its state, relative to
// the directory it runs in.
const sandboxState = ".flowplan/sandbox.json"

// callTimeout bounds each harness command's AWS calls.
const callTimeout = time.Minute

// cmdWorld seeds the script's backend with a world file and points
// flowplan at it: AWS_ENDPOINT_URL, credentials, region, and one variable
// per named resource (VPC_prod_web=vpc-...; see e2e.VarName). On the
// emulator, flags set IAM propagation delay, throttling and latency.
//
//	world [-iam-delay D] [-throttle] [-latency D] FILE
func cmdWorld(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("world", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	iamDelay := fs.Duration("iam-delay", 0, "")
	throttle := fs.Bool("throttle", false, "")
	latency := fs.Duration("latency", 0, "")
	if err := fs.Parse(args); err != nil || neg || fs.NArg() != 1 {
		ts.Fatalf("usage: world [-iam-delay D] [-throttle] [-latency D] FILE")
	}
	w, err := e2e.LoadWorld(ts.MkAbs(fs.Arg(0)))
	ts.Check(err)
	st := state(ts)
	switch st.backend {
	case e2e.BackendEmulator:
		if st.emu != nil {
			st.emu.Close()
		}
		st.clock = &emuClock{}
		st.emu = e2e.StartEmulator(awsemu.Options{IAMPropagationDelay: *iamDelay, Throttling: *throttle, Latency: *latency,
			Clock: st.clock.now, SigningClock: time.Now})
		st.seeded, err = st.emu.Seed(w)
	case e2e.BackendMoto:
		if *iamDelay != 0 || *throttle || *latency != 0 {
			ts.Fatalf("world: -iam-delay, -throttle and -latency need the emulator; guard the script with [moto] skip 'why'")
		}
		if !st.motoLocked {
			st.moto.Lock()
			st.motoLocked = true
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		st.seeded, err = e2e.SeedMoto(ctx, st.moto, w)
		if errors.Is(err, e2e.ErrUnsupported) {
			ts.Fatalf("world: %v; guard the script with [moto] skip 'why'", err)
		}
	}
	ts.Check(err)
	for _, kv := range st.seeded.Env(ts.Getenv("WORK")) {
		k, v, _ := strings.Cut(kv, "=")
		ts.Setenv(k, v)
	}
}

// target is the backend an oob or describe command works on: the seeded
// world, or with -sandbox the sandbox state in the current directory.
type target struct {
	s    *e2e.Seeded
	done func(save bool)
}

func openTarget(ts *testscript.TestScript, args []string) (*target, []string) {
	if len(args) > 0 && args[0] == "-sandbox" {
		path := ts.MkAbs(sandboxState)
		emu, s, err := e2e.OpenState(path)
		ts.Check(err)
		return &target{s: s, done: func(save bool) {
			defer emu.Close()
			if save {
				ts.Check(emu.SaveStateFile(path))
			}
		}}, args[1:]
	}
	st := state(ts)
	if st.seeded == nil {
		ts.Fatalf("no world yet: run 'world FILE' first (or pass -sandbox)")
	}
	return &target{s: st.seeded, done: func(bool) {}}, args
}

// cmdOOB changes the backend out of band, as a colleague with the console
// would, through the AWS API.
//
//	oob [-sandbox] delete-flow-logs ACCOUNT REGION RESOURCE_ID|FILTER=VALUE
//	oob [-sandbox] tag ACCOUNT REGION ID|FILTER=VALUE KEY=VALUE...
//	oob [-sandbox] untag ACCOUNT REGION ID|FILTER=VALUE KEY...
//	oob [-sandbox] put-bucket-policy ACCOUNT BUCKET FILE
//	oob [-sandbox] put-retention ACCOUNT REGION LOG_GROUP DAYS
//	oob [-sandbox] create-log-group ACCOUNT REGION LOG_GROUP [KEY=VALUE...]
//	oob [-sandbox] create-flow-log ACCOUNT REGION RESOURCE_ID [KEY=VALUE...]
//	oob [-sandbox] delete-log-group ACCOUNT REGION LOG_GROUP
//	oob [-sandbox] put-role-trust ACCOUNT ROLE FILE
//	oob [-sandbox] write-deliveries ACCOUNT REGION RESOURCE_ID|FILTER=VALUE [AGE]
//	oob [-sandbox] create-vpc ACCOUNT REGION NAME CIDR [KEY=VALUE...]
//	oob [-sandbox] add-bucket-statement ACCOUNT BUCKET FILE
//	oob [-sandbox] remove-bucket-statements ACCOUNT BUCKET SID...
//
// create-flow-log takes the options of e2e.Seeded.CreateFlowLog and sets
// $FLOW_LOG to the new flow log's ID; create-vpc tags the new VPC with the
// KEY=VALUEs and sets $VPC_<NAME> to its ID, which output then shows by that
// name, as for the world's VPCs; add-bucket-statement appends FILE's
// statement to the bucket's policy and remove-bucket-statements takes
// statements out, by Sid, as the bucket's owner editing it would; write-deliveries stands in for AWS's
// delivery where the backend has none (moto): records aged AGE (default 0).
//
// A FILTER=VALUE is a DescribeFlowLogs filter (tag:flowplan:rule=prod)
// picking the flow logs to change, whose IDs a script does not know.
func cmdOOB(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! oob")
	}
	tg, args := openTarget(ts, args)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	err := runOOB(ctx, ts, tg.s, args)
	tg.done(err == nil)
	ts.Check(err)
}

func runOOB(ctx context.Context, ts *testscript.TestScript, s *e2e.Seeded, args []string) error {
	usage := errors.New("usage: oob [-sandbox] delete-flow-logs|tag|untag|put-bucket-policy|put-retention|create-flow-log|delete-log-group|put-role-trust|write-deliveries|create-log-group|create-vpc|add-bucket-statement|remove-bucket-statements ...")
	if len(args) == 0 {
		return usage
	}
	op, args := args[0], args[1:]
	switch {
	case op == "delete-flow-logs" && len(args) == 3:
		n, err := s.DeleteFlowLogs(ctx, args[0], args[1], args[2])
		if err == nil {
			fmt.Fprintf(ts.Stdout(), "deleted %d flow logs\n", n)
		}
		return err
	case op == "tag" && len(args) >= 4:
		tags := map[string]string{}
		for _, kv := range args[3:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("oob tag: %q is not KEY=VALUE", kv)
			}
			tags[k] = v
		}
		return s.Tag(ctx, args[0], args[1], args[2], tags)
	case op == "untag" && len(args) >= 4:
		return s.Untag(ctx, args[0], args[1], args[2], args[3:])
	case op == "put-bucket-policy" && len(args) == 3:
		return s.PutBucketPolicy(ctx, args[0], args[1], ts.ReadFile(args[2]))
	case op == "create-flow-log" && len(args) >= 3:
		id, err := s.CreateFlowLog(ctx, args[0], args[1], args[2], args[3:])
		if err == nil {
			ts.Setenv("FLOW_LOG", id)
		}
		return err
	case op == "delete-log-group" && len(args) == 3:
		return s.DeleteLogGroup(ctx, args[0], args[1], args[2])
	case op == "put-role-trust" && len(args) == 3:
		return s.PutRoleTrust(ctx, args[0], args[1], ts.ReadFile(args[2]))
	case op == "write-deliveries" && (len(args) == 3 || len(args) == 4):
		age := time.Duration(0)
		if len(args) == 4 {
			d, err := time.ParseDuration(args[3])
			if err != nil {
				return fmt.Errorf("oob write-deliveries: %q is not a duration", args[3])
			}
			age = d
		}
		n, err := s.WriteDeliveries(ctx, args[0], args[1], args[2], age)
		if err == nil {
			fmt.Fprintf(ts.Stdout(), "wrote %d records\n", n)
		}
		return err
	case op == "create-log-group" && len(args) >= 3:
		tags := map[string]string{}
		for _, kv := range args[3:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("oob create-log-group: %q is not KEY=VALUE", kv)
			}
			tags[k] = v
		}
		return s.CreateLogGroup(ctx, args[0], args[1], args[2], tags)
	case op == "create-vpc" && len(args) >= 4:
		tags := map[string]string{}
		for _, kv := range args[4:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("oob create-vpc: %q is not KEY=VALUE", kv)
			}
			tags[k] = v
		}
		name, id, err := s.CreateVpc(ctx, args[0], args[1], args[2], args[3], tags)
		if err == nil {
			ts.Setenv(name, id)
		}
		return err
	case op == "add-bucket-statement" && len(args) == 3:
		return s.AddBucketStatement(ctx, args[0], args[1], ts.ReadFile(args[2]))
	case op == "remove-bucket-statements" && len(args) >= 3:
		return s.RemoveBucketStatements(ctx, args[0], args[1], args[2:])
	case op == "put-retention" && len(args) == 4:
		days, err := strconv.Atoi(args[3])
		if err != nil {
			return fmt.Errorf("oob put-retention: %q is not a number of days", args[3])
		}
		return s.PutRetention(ctx, args[0], args[1], args[2], days)
	}
	return usage
}

// cmdDescribe prints what the backend holds, read through the AWS API,
// with seeded IDs replaced by their variable names ($VPC_prod_web) so that
// output compares equal on every backend. See the e2e.Seeded Describe
// methods for the line formats.
//
//	describe [-sandbox] flow-logs|log-groups|locks|network ACCOUNT REGION
//	describe [-sandbox] roles ACCOUNT
//	describe [-sandbox] role ACCOUNT NAME
//	describe [-sandbox] bucket-policy ACCOUNT BUCKET
func cmdDescribe(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! describe")
	}
	tg, args := openTarget(ts, args)
	defer tg.done(false)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	text, err := describe(ctx, tg.s, args)
	ts.Check(err)
	fmt.Fprint(ts.Stdout(), text)
}

func describe(ctx context.Context, s *e2e.Seeded, args []string) (string, error) {
	if len(args) == 0 {
		return "", errors.New("usage: describe [-sandbox] flow-logs|log-groups|locks|network|roles|role|bucket-policy ...")
	}
	lines := func(l []string, err error) (string, error) {
		if err != nil {
			return "", err
		}
		named := make([]string, len(l))
		for i, line := range l {
			named[i] = s.Names(line) + "\n"
		}
		sort.Strings(named)
		return strings.Join(named, ""), nil
	}
	op, args := args[0], args[1:]
	switch {
	case op == "flow-logs" && len(args) == 2:
		return lines(s.DescribeFlowLogs(ctx, args[0], args[1]))
	case op == "log-groups" && len(args) == 2:
		return lines(s.DescribeLogGroups(ctx, args[0], args[1]))
	case op == "locks" && len(args) == 2:
		return lines(s.DescribeLocks(ctx, args[0], args[1]))
	case op == "network" && len(args) == 2:
		return lines(s.DescribeNetwork(ctx, args[0], args[1]))
	case op == "roles" && len(args) == 1:
		return lines(s.DescribeRoles(ctx, args[0]))
	case op == "role" && len(args) == 2:
		return s.DescribeRole(ctx, args[0], args[1])
	case op == "bucket-policy" && len(args) == 2:
		return s.DescribeBucketPolicy(ctx, args[0], args[1])
	}
	return "", fmt.Errorf("describe %s: wrong arguments %q", op, args)
}

// emulator returns the script's emulator, failing scripts that run on
// another backend.
func emulator(ts *testscript.TestScript, cmd string) *e2e.Emulator {
	st := state(ts)
	if st.backend != e2e.BackendEmulator {
		ts.Fatalf("%s needs the emulator; guard it with [emu] or the script with [!emu] skip 'why'", cmd)
	}
	if st.emu == nil {
		ts.Fatalf("%s: no world yet: run 'world FILE' first", cmd)
	}
	return st.emu
}

// cmdEmuFault injects faults into the script's emulator.
//
//	emu-fault throttle on|off
//	emu-fault latency DURATION
//	emu-fault fail SERVICE ACTION [times=N] [code=CODE] [status=N] [message=TEXT] [account=ID] [region=R] [reset]
//	emu-fault random SEED ERROR_RATE RESET_RATE
//	emu-fault clear
func cmdEmuFault(ts *testscript.TestScript, neg bool, args []string) {
	e := emulator(ts, "emu-fault")
	if neg || len(args) == 0 {
		ts.Fatalf("usage: emu-fault throttle|latency|fail|random|clear ...")
	}
	switch op, args := args[0], args[1:]; {
	case op == "throttle" && len(args) == 1 && (args[0] == "on" || args[0] == "off"):
		e.SetThrottling(args[0] == "on")
	case op == "latency" && len(args) == 1:
		d, err := time.ParseDuration(args[0])
		ts.Check(err)
		e.SetLatency(d)
	case op == "fail" && len(args) >= 2:
		f, err := parseFailure(args)
		ts.Check(err)
		e.FailNext(f)
	case op == "random" && len(args) == 3:
		seed, err1 := strconv.ParseInt(args[0], 10, 64)
		errRate, err2 := strconv.ParseFloat(args[1], 64)
		resetRate, err3 := strconv.ParseFloat(args[2], 64)
		ts.Check(errors.Join(err1, err2, err3))
		e.SetRandomFaults(awsemu.RandomFaults{Seed: seed, ErrorRate: errRate, ResetRate: resetRate})
	case op == "clear" && len(args) == 0:
		e.ClearFailures()
		e.SetRandomFaults(awsemu.RandomFaults{})
	default:
		ts.Fatalf("emu-fault %s: wrong arguments %q", op, args)
	}
}

func parseFailure(args []string) (awsemu.Failure, error) {
	f := awsemu.Failure{Service: args[0], Action: args[1]}
	for _, a := range args[2:] {
		if a == "reset" {
			f.Reset = true
			continue
		}
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return f, fmt.Errorf("emu-fault fail: %q is not KEY=VALUE", a)
		}
		var err error
		switch k {
		case "times":
			f.Times, err = strconv.Atoi(v)
		case "status":
			f.Status, err = strconv.Atoi(v)
		case "code":
			f.Code = v
		case "message":
			f.Message = v
		case "account":
			f.Account = v
		case "region":
			f.Region = v
		default:
			err = fmt.Errorf("unknown key %q", k)
		}
		if err != nil {
			return f, fmt.Errorf("emu-fault fail: %s: %v", a, err)
		}
	}
	return f, nil
}

// emuClock is the script emulator's clock: the wall clock moved by an
// offset that emu-clock sets. flowplan itself keeps the wall clock, as a
// program talking to AWS does.
type emuClock struct{ offset atomic.Int64 }

func (c *emuClock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// cmdEmuClock sets the emulator's clock to the wall clock moved by OFFSET
// (-2h: two hours ago; 0: now). Set it back before a world is applied, and
// forward again, to let flow logs made "two hours ago" deliver until now:
// the emulator delivers the windows that closed in between on the next
// read.
//
//	emu-clock OFFSET
func cmdEmuClock(ts *testscript.TestScript, neg bool, args []string) {
	emulator(ts, "emu-clock")
	if neg || len(args) != 1 {
		ts.Fatalf("usage: emu-clock OFFSET")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		ts.Fatalf("emu-clock: %q is not a duration", args[0])
	}
	state(ts).clock.offset.Store(int64(d))
}

// cmdEmuCounts prints the emulator's call counters, optionally for one
// service or action, one "service action account/region: n" line each,
// then "total: n"; with -writes only the calls that change an account's
// resources (awsemu.Emulator.Writes), the call log that proves a command
// read-only. "emu-counts reset" zeroes them.
//
//	emu-counts [-writes] [SERVICE [ACTION]]
//	emu-counts reset
func cmdEmuCounts(ts *testscript.TestScript, neg bool, args []string) {
	e := emulator(ts, "emu-counts")
	counts := e.Counts
	if len(args) > 0 && args[0] == "-writes" {
		counts, args = e.Writes, args[1:]
	}
	if neg || len(args) > 2 {
		ts.Fatalf("usage: emu-counts [-writes] [SERVICE [ACTION]] | emu-counts reset")
	}
	if len(args) == 1 && args[0] == "reset" {
		e.ResetCounts()
		return
	}
	var lines []string
	total := 0
	for k, n := range counts() {
		if (len(args) > 0 && k.Service != args[0]) || (len(args) > 1 && k.Action != args[1]) {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s: %d\n", k, n))
		total += n
	}
	sort.Strings(lines)
	fmt.Fprintf(ts.Stdout(), "%stotal: %d\n", strings.Join(lines, ""), total)
}

// cmdEmuFlowLogEvents prints, for each resource whose flow logs the API
// created or deleted since the world was seeded (or the last reset), the
// order it did so, one "ACCOUNT/REGION RESOURCE: create delete ..." line
// per resource, sorted, with seeded IDs as variable names. A replacement
// that left no gap reads "create delete"; one that deleted the old flow log
// first, "delete create". Nothing is printed when nothing was made.
// "emu-flow-log-events reset" forgets what was recorded.
//
//	emu-flow-log-events [reset]
func cmdEmuFlowLogEvents(ts *testscript.TestScript, neg bool, args []string) {
	e := emulator(ts, "emu-flow-log-events")
	if neg || len(args) > 1 || (len(args) == 1 && args[0] != "reset") {
		ts.Fatalf("usage: emu-flow-log-events [reset]")
	}
	if len(args) == 1 {
		e.ResetFlowLogEvents()
		return
	}
	ops := map[string][]string{}
	for _, ev := range e.FlowLogEvents() {
		k := ev.Account + "/" + ev.Region + " " + ev.ResourceID
		ops[k] = append(ops[k], ev.Op)
	}
	var lines []string
	for k, o := range ops {
		lines = append(lines, state(ts).seeded.Names(k+": "+strings.Join(o, " "))+"\n")
	}
	sort.Strings(lines)
	fmt.Fprint(ts.Stdout(), strings.Join(lines, ""))
}

// cmdWaitLock waits up to a minute for an apply to hold a lock in the
// account-region: a lease log group that is not released.
//
//	waitlock ACCOUNT REGION
func cmdWaitLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitlock ACCOUNT REGION")
	}
	s := state(ts).seeded
	if s == nil {
		ts.Fatalf("waitlock: no world yet")
	}
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		locks, err := s.DescribeLocks(ctx, args[0], args[1])
		cancel()
		ts.Check(err)
		for _, l := range locks {
			if !strings.Contains(l, "released=") {
				return
			}
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitlock: no apply took a lock in %s/%s within a minute: %q", args[0], args[1], locks)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
