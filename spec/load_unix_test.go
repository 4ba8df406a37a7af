//go:build unix

package spec

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A named pipe would block the open until something writes to it; Load
// refuses it (and directories) at once, naming what it is.
func TestLoadRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "spec.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := Load(fifo); done <- err }()
	select {
	case err := <-done:
		want := "load spec " + fifo + ": a named pipe (FIFO), not a regular file; flowplan reads a spec only from a regular file"
		if err == nil || err.Error() != want {
			t.Errorf("Load(fifo) error = %v, want %q", err, want)
		}
	case <-time.After(time.Minute):
		t.Fatal("Load(fifo) still blocked after a minute")
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), ": a directory, not a regular file") {
		t.Errorf("Load(dir) error = %v", err)
	}
}
