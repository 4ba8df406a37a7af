// Package motoserver starts and shares moto, the independent AWS emulator that the integration and end-to-end tests also run against.
//
// Each test binary starts its own server on a free loopback port, unless
// FLOWPLAN_MOTO_URL names a running one. Tests that use a server hold its
// Lock: a reset wipes every account, so uses must not overlap. The lock is
// also taken across processes (a file lock keyed by the server's address),
// because `go test ./...` runs several test binaries at once and they all
// share a server given by FLOWPLAN_MOTO_URL.
package motoserver

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Required reports whether the environment demands the end-to-end tools
// (CI sets FLOWPLAN_REQUIRE_E2E=1): tests that cannot get them then fail
// instead of skipping.
func Required() bool { return os.Getenv("FLOWPLAN_REQUIRE_E2E") == "1" }

// Server is a moto server: one named by FLOWPLAN_MOTO_URL, or one this
// process started.
type Server struct {
	// URL is the endpoint, http://127.0.0.1:<port>.
	URL string
	cmd *exec.Cmd
	// log holds the server's output when this process started it.
	log *os.File
	// mu serialises this process's users; lock serialises processes.
	mu   sync.Mutex
	lock *os.File
}

// Start returns the moto at FLOWPLAN_MOTO_URL when it is set, else starts
// python3 -m moto.server on a free loopback port and waits for it.
func Start(ctx context.Context) (*Server, error) {
	if u := os.Getenv("FLOWPLAN_MOTO_URL"); u != "" {
		s := &Server{URL: strings.TrimSuffix(u, "/")}
		if err := s.waitReady(ctx, 10*time.Second); err != nil {
			return nil, fmt.Errorf("moto at FLOWPLAN_MOTO_URL=%s: %w", u, err)
		}
		return s, nil
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
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, log: logFile}
	if err := s.waitReady(ctx, 60*time.Second); err != nil {
		s.Close()
		return nil, fmt.Errorf("moto started on port %d but did not answer (log %s): %w", port, logFile.Name(), err)
	}
	return s, nil
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
func (s *Server) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/moto-api/", nil)
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
func (s *Server) Close() {
	if s.cmd != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
	if s.log != nil {
		s.log.Close()
		os.Remove(s.log.Name())
		s.log = nil
	}
}

// Lock gives the caller moto to itself until Unlock, against other tests
// of this process and of other test binaries using the same server.
func (s *Server) Lock() {
	s.mu.Lock()
	f, err := os.OpenFile(s.lockPath(), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return // no file lock; the in-process lock still holds
	}
	for syscall.Flock(int(f.Fd()), syscall.LOCK_EX) == syscall.EINTR {
	}
	s.lock = f
}

// Unlock releases moto for the next test.
func (s *Server) Unlock() {
	if s.lock != nil {
		syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		s.lock.Close()
		s.lock = nil
	}
	s.mu.Unlock()
}

// lockPath is the file every process using this server locks.
func (s *Server) lockPath() string {
	host := s.URL
	if u, err := url.Parse(s.URL); err == nil && u.Host != "" {
		host = u.Host
	}
	return filepath.Join(os.TempDir(), "flowplan-moto-"+strings.NewReplacer(":", "-", "/", "-").Replace(host)+".lock")
}

// Reset empties moto: every account, region and service. Hold the Lock.
func (s *Server) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/moto-api/reset", nil)
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
	once   sync.Once
	server *Server
	err    error
}

// Shared returns this test binary's moto server, starting it on first use.
// When moto cannot be had, it skips t with a message that says why and how
// to fix it, or fails t when Required. Call StopShared from TestMain.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		shared.server, shared.err = Start(ctx)
	})
	if shared.err != nil {
		if Required() {
			t.Fatalf("moto is required (FLOWPLAN_REQUIRE_E2E=1) but unavailable: %v", shared.err)
		}
		t.Skipf("SKIPPING moto test: %v; install moto (pip install 'moto[server]') or set FLOWPLAN_MOTO_URL", shared.err)
	}
	return shared.server
}

// Use is Shared, locked for t and reset: the usual start of a test.
func Use(t testing.TB) *Server {
	t.Helper()
	s := Shared(t)
	s.Lock()
	t.Cleanup(s.Unlock)
	if err := s.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// StopShared stops the shared server if this process started it.
func StopShared() {
	if shared.server != nil {
		shared.server.Close()
	}
}
