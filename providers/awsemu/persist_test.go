package awsemu_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	id := lookupIDs(t, client)
	in := cwlInput(id.vpcA)
	in.ClientToken = aws.String("token-1")
	created, err := client.CreateFlowLogs(ctx, in)
	must(t, err)
	_, err = cloudwatchlogs.NewFromConfig(oneCfg(s)).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/fl/new")})
	must(t, err)

	var saved bytes.Buffer
	must(t, s.Emu.Save(&saved))
	loaded := awsemu.New(awsemu.Options{})
	must(t, loaded.Load(bytes.NewReader(saved.Bytes())))
	var again bytes.Buffer
	must(t, loaded.Save(&again))
	if saved.String() != again.String() {
		t.Fatal("Save after Load differs from the first Save")
	}

	s2 := &emutest.Server{Emu: loaded, URL: newServer(t, loaded)}
	client2 := ec2.NewFromConfig(oneCfg(s2))
	// The client token survives: the retry replays the same flow log.
	replay, err := client2.CreateFlowLogs(ctx, in)
	must(t, err)
	if replay.FlowLogIds[0] != created.FlowLogIds[0] {
		t.Fatalf("replay after load created %v, want %v", replay.FlowLogIds, created.FlowLogIds)
	}
	// The ID sequence continues where it was.
	next1, err := client.CreateFlowLogs(ctx, cwlInput(id.vpcB))
	must(t, err)
	next2, err := client2.CreateFlowLogs(ctx, cwlInput(id.vpcB))
	must(t, err)
	if next1.FlowLogIds[0] != next2.FlowLogIds[0] {
		t.Fatalf("IDs after load: %v vs %v", next1.FlowLogIds, next2.FlowLogIds)
	}
}

func TestStateFiles(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, ".flowplan", "sandbox.json")
	world := "../../examples/sandbox/world.yaml"

	emu := awsemu.New(awsemu.Options{})
	err := emu.LoadStateFile(state)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadStateFile of a missing file: %v", err)
	}
	created, err := emu.OpenSandbox(state, world)
	must(t, err)
	if !created {
		t.Fatal("first OpenSandbox did not create the state")
	}
	info, err := os.Stat(state)
	must(t, err)
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode = %v, want 0600", info.Mode().Perm())
	}
	must(t, emu.DeleteFlowLog("111111111111", "us-east-1", emu.FlowLogs("111111111111", "us-east-1")[0].ID))
	must(t, emu.SaveStateFile(state))

	again := awsemu.New(awsemu.Options{})
	created, err = again.OpenSandbox(state, world)
	must(t, err)
	if created || len(again.FlowLogs("111111111111", "us-east-1")) != 0 {
		t.Fatalf("second OpenSandbox: created=%v, flow logs %v", created, again.FlowLogs("111111111111", "us-east-1"))
	}
	id1, secret1 := emu.SandboxCredentials()
	id2, secret2 := again.SandboxCredentials()
	if id1 != "AKIAFLOWPLANSANDBOX0" || id1 != id2 || secret1 != secret2 {
		t.Fatalf("sandbox credentials %s/%s and %s/%s", id1, secret1, id2, secret2)
	}
}

// TestAutoSave models "flowplan sandbox serve": changes made through the
// API are in the state file for the next process.
func TestAutoSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	emu := awsemu.New(awsemu.Options{AutoSavePath: path})
	must(t, emu.LoadWorld(strings.NewReader(testWorld)))
	s := &emutest.Server{Emu: emu, URL: newServer(t, emu)}
	_, err := cloudwatchlogs.NewFromConfig(oneCfg(s)).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/fl/served")})
	must(t, err)
	next := awsemu.New(awsemu.Options{})
	must(t, next.LoadStateFile(path))
	s2 := &emutest.Server{Emu: next, URL: newServer(t, next)}
	out, err := cloudwatchlogs.NewFromConfig(oneCfg(s2)).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/fl/served")})
	must(t, err)
	if len(out.LogGroups) != 1 {
		t.Fatalf("the next process sees %d log groups", len(out.LogGroups))
	}
}

func TestLoadRefusesBadState(t *testing.T) {
	tests := []struct{ name, state, msg string }{
		{"not json", `{`, "load state"},
		{"unknown field", `{"format_version":1,"colour":"red"}`, "colour"},
		{"other version", `{"format_version":99}`, "format_version 99"},
		{"key without account", `{"format_version":1,"keys":{"AKIA1":{"access_key_id":"AKIA1","account":"999999999999"}}}`, "its account is missing"},
		{"instance profile of a missing role", `{"format_version":1,"accounts":{"111111111111":{"id":"111111111111","instance_profiles":{"p":{"name":"p","roles":["gone"]}}}}}`, "holds role gone, which does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := awsemu.New(awsemu.Options{}).Load(strings.NewReader(tt.state))
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Load error = %v, want one containing %q", err, tt.msg)
			}
		})
	}
}

// savedGroups lists the log groups of account one in us-east-1 that a
// state file holds, by loading it into a new emulator.
func savedGroups(t *testing.T, path, prefix string) int {
	t.Helper()
	next := awsemu.New(awsemu.Options{})
	must(t, next.LoadStateFile(path))
	out, err := cloudwatchlogs.NewFromConfig(inProcessCfg(next, 1)).DescribeLogGroups(ctx,
		&cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(prefix)})
	must(t, err)
	return len(out.LogGroups)
}

// TestAutoSaveBatched: with AutoSaveInterval, a write is not saved by the
// call that made it but by Flush, by Close, or by the timer, atomically
// each time (no temporary file is left beside the state).
func TestAutoSaveBatched(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sandbox.json")
	emu := awsemu.New(awsemu.Options{AutoSavePath: path, AutoSaveInterval: time.Hour})
	must(t, emu.LoadWorld(strings.NewReader(testWorld)))
	must(t, emu.SaveStateFile(path)) // the world, to start from
	defer emu.Close()
	logs := cloudwatchlogs.NewFromConfig(inProcessCfg(emu, 1))
	create := func(name string) {
		_, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name)})
		must(t, err)
	}
	create("/batched/one")
	if n := savedGroups(t, path, "/batched/"); n != 0 {
		t.Fatalf("the write was saved at once (%d groups): not batched", n)
	}
	must(t, emu.Flush())
	if n := savedGroups(t, path, "/batched/"); n != 1 {
		t.Fatalf("after Flush the file holds %d groups, want 1", n)
	}
	create("/batched/two")
	create("/batched/three")
	must(t, emu.Close())
	if n := savedGroups(t, path, "/batched/"); n != 3 {
		t.Fatalf("after Close the file holds %d groups, want 3", n)
	}
	entries, err := os.ReadDir(dir)
	must(t, err)
	if len(entries) != 1 {
		t.Fatalf("%d files beside the state, want only it: %v", len(entries), entries)
	}

	// The timer saves by itself. This waits for it, bounded only to catch
	// a timer that never fires.
	timed := awsemu.New(awsemu.Options{AutoSavePath: path, AutoSaveInterval: 10 * time.Millisecond})
	must(t, timed.LoadWorld(strings.NewReader(testWorld)))
	defer timed.Close()
	_, err = cloudwatchlogs.NewFromConfig(inProcessCfg(timed, 1)).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/timed/one")})
	must(t, err)
	for deadline := time.Now().Add(30 * time.Second); savedGroups(t, path, "/timed/") != 1; {
		if time.Now().After(deadline) {
			t.Fatal("the save timer never saved the write")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAutoSaveBatchedError: a batched save that fails is reported by
// Close, naming the file.
func TestAutoSaveBatchedError(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	must(t, os.WriteFile(blocker, nil, 0o600))
	path := filepath.Join(blocker, "sandbox.json") // a directory that is a file
	emu := awsemu.New(awsemu.Options{AutoSavePath: path, AutoSaveInterval: time.Hour})
	must(t, emu.LoadWorld(strings.NewReader(testWorld)))
	_, err := cloudwatchlogs.NewFromConfig(inProcessCfg(emu, 1)).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/lost")})
	must(t, err)
	err = emu.Close()
	if err == nil || !strings.Contains(err.Error(), "save state "+path) {
		t.Fatalf("Close = %v, want the failed save of %s", err, path)
	}
	// It stays reported: the change is still unsaved.
	if err := emu.Flush(); err == nil {
		t.Fatal("Flush after a failed save reports nothing")
	}
}
