package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/flowplan/flowplan/examples"
	"github.com/flowplan/flowplan/providers/awsemu"
)

// TestServeSavesOnSignal writes through a running 'flowplan sandbox serve'
// whose batched saves would come only after an hour, then stops it with
// SIGTERM (and another with SIGINT): the write was not in the state file
// before, and is after. So a stop loses nothing the server acknowledged,
// whatever its save timer.
func TestServeSavesOnSignal(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{{"sigterm", syscall.SIGTERM}, {"sigint", syscall.SIGINT}} {
		sig := tc.sig
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// Seed the state first, so that the server starts from a saved file.
			seed := exec.Command("flowplan", "sandbox", "reset")
			seed.Dir, seed.Env = dir, cleanEnv(dir)
			if out, err := seed.CombinedOutput(); err != nil {
				t.Fatalf("flowplan sandbox reset: %v\n%s", err, out)
			}
			cmd := exec.Command("flowplan", "sandbox", "serve", "--addr", "127.0.0.1:0", "--iam-delay", "0s", "--save-interval", "1h")
			cmd.Dir, cmd.Env = dir, cleanEnv(dir)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			stopped := false
			t.Cleanup(func() {
				if !stopped {
					cmd.Process.Kill()
					<-done
				}
			})
			url := waitServeAddr(t, dir, done, &out)
			name := "/flowplan/saved-on-" + tc.name
			client := cloudwatchlogs.NewFromConfig(sandboxClientConfig(t, url))
			if _, err := client.CreateLogGroup(context.Background(), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name)}); err != nil {
				t.Fatalf("CreateLogGroup through the server: %v", err)
			}
			statePath := filepath.Join(dir, ".flowplan", "sandbox.json")
			if stateHas(t, statePath, name) {
				t.Fatalf("the state file holds %s before the hour's save or a stop: the write was not batched", name)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := <-done
			stopped = true
			if err != nil {
				t.Fatalf("flowplan sandbox serve after %s: %v\n%s", sig, err, out.String())
			}
			if !stateHas(t, statePath, name) {
				t.Fatalf("after %s the state file does not hold log group %s\n%s", sig, name, out.String())
			}
			// And the next process sees it.
			next := awsemu.New(awsemu.Options{})
			if err := next.LoadStateFile(statePath); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// stateHas reports whether the state file mentions s.
func stateHas(t *testing.T, path, s string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(b, []byte(`"`+s+`"`))
}

// waitServeAddr waits for a started 'sandbox serve' in dir to write its
// address, failing at once if it exits, and returns its URL.
func waitServeAddr(t *testing.T, dir string, done chan error, out *bytes.Buffer) string {
	t.Helper()
	addrFile := filepath.Join(dir, ".flowplan", "serve.addr")
	for i := 0; i < 1500; i++ {
		if b, err := os.ReadFile(addrFile); err == nil && strings.HasSuffix(string(b), "\n") {
			return strings.TrimSpace(string(b))
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("flowplan sandbox serve exited: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("flowplan sandbox serve did not start in 30s:\n%s", out.String())
	return ""
}

// sandboxClientConfig is an SDK configuration for the built-in world's
// sandbox credentials at url.
func sandboxClientConfig(t *testing.T, url string) aws.Config {
	t.Helper()
	w, err := awsemu.ParseWorld(bytes.NewReader(examples.SandboxWorld))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range w.Credentials {
		if c.Sandbox {
			return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
				Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")}
		}
	}
	t.Fatal("the sandbox world has no sandbox credentials")
	return aws.Config{}
}
