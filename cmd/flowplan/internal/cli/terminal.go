package cli

import (
	"io"
	"os"

	"golang.org/x/term"
)

// isTerminal reports whether the stream is a terminal.
func isTerminal(s any) bool {
	f, ok := s.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalWidth is the width of the terminal s is, or 0 when unknown.
func terminalWidth(s any) int {
	f, ok := s.(*os.File)
	if !ok {
		return 0
	}
	w, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return w
}

// useColor decides whether output to w may be coloured: only on a terminal,
// and never when NO_COLOR is set (https://no-color.org) or --no-color given.
func (e *env) useColor(w io.Writer, noColorFlag bool) bool {
	if noColorFlag || e.getenv("NO_COLOR") != "" || e.getenv("TERM") == "dumb" {
		return false
	}
	switch w {
	case e.Stdout:
		return e.stdoutTTY
	case e.Stderr:
		return e.stderrTTY
	}
	return false
}
