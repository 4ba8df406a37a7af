package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Moto is a moto server (an independent AWS emulator, python3 -m
// moto.server): one a CI job started, or one this process started.
type Moto struct {
	// URL is the endpoint, http://127.0.0.1:<port>.
	URL string
	cmd *exec.Cmd
	// log holds the server's output when this process started it.
	log *os.File
	// mu serialises the tests that use the server: a reset wipes
	// everyone's state.
	mu sync.Mutex
}

// StartMoto returns the moto at FLOWPLAN_MOTO_URL when it is set, else
// starts python3 -m moto.server on a free loopback port and waits for it.
func StartMoto(ctx context.Context) (*Moto, error) {
	if u := os.Getenv("FLOWPLAN_MOTO_URL"); u != "" {
		m := &Moto{URL: strings.TrimSuffix(u, "/")}
		if err := m.waitReady(ctx, 10*time.Second); err != nil {
			return nil, fmt.Errorf("moto at FLOWPLAN_MOTO_URL=%s: %w", u, err)
		}
		return m, nil
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		return nil, fmt.Errorf("python3 is not installed: %w", err)
	}
	if out, err := exec.CommandContext(ctx, python, "-c", "import moto.server").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("python3 cannot import moto.server (pip install 'moto[server]'): %v: %s", err, strings.TrimSpace(string(out)))
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.CreateTemp("", "flowplan-moto-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(python, "-m", "moto.server", "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start moto: %w", err)
	}
	m := &Moto{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, log: logFile}
	if err := m.waitReady(ctx, 60*time.Second); err != nil {
		m.Close()
		return nil, fmt.Errorf("moto started on port %d but did not answer (log %s): %w", port, logFile.Name(), err)
	}
	return m, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls moto's API until it answers.
func (m *Moto) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL+"/moto-api/", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return last
}

// Close stops moto when this process started it.
func (m *Moto) Close() {
	if m.cmd != nil {
		m.cmd.Process.Kill()
		m.cmd.Wait()
		m.cmd = nil
	}
	if m.log != nil {
		m.log.Close()
		os.Remove(m.log.Name())
		m.log = nil
	}
}

// Lock gives the caller moto to itself until Unlock: Seed resets every
// account, so tests that use moto must not overlap.
func (m *Moto) Lock() { m.mu.Lock() }

// Unlock releases moto for the next test.
func (m *Moto) Unlock() { m.mu.Unlock() }

// Reset empties moto: every account, region and service.
func (m *Moto) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("reset moto: %s: %s", resp.Status, body)
	}
	return nil
}

// shared is the moto server of this test binary.
var shared struct {
	once sync.Once
	moto *Moto
	err  error
}

// SharedMoto returns this test binary's moto server, starting it on first
// use. When moto cannot be had, it skips t with a message that says why and
// how to fix it, or fails t when RequireE2E.
func SharedMoto(t testing.TB) *Moto {
	t.Helper()
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		shared.moto, shared.err = StartMoto(ctx)
	})
	if shared.err != nil {
		if RequireE2E() {
			t.Fatalf("moto is required (FLOWPLAN_REQUIRE_E2E=1) but unavailable: %v", shared.err)
		}
		t.Skipf("SKIPPING moto end-to-end test: %v; install moto (pip install 'moto[server]') or set FLOWPLAN_MOTO_URL", shared.err)
	}
	return shared.moto
}

// StopSharedMoto stops the shared server if this process started it. Call
// it from TestMain after the tests ran.
func StopSharedMoto() {
	if shared.moto != nil {
		shared.moto.Close()
	}
}
