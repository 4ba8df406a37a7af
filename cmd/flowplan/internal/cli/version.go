package cli

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X .../cli.version=v1.2.3";
// otherwise the module version or VCS revision from the build info is shown.
var version = ""

func setupVersion(*flag.FlagSet) func(context.Context, *env, []string) error {
	return runVersion
}

// versionString is flowplan's version: the -ldflags one, the module
// version, or "devel".
func versionString() string {
	v, _, _, _ := buildInfo()
	return v
}

// buildInfo is the version, VCS revision, whether the tree was modified,
// and the revision's time.
func buildInfo() (v, rev string, modified bool, when string) {
	v = version
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			case "vcs.time":
				when = s.Value
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	return v, rev, modified, when
}

func runVersion(_ context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return &usageError{cmd: "version", msg: "version takes no arguments"}
	}
	v, rev, modified, when := buildInfo()
	fmt.Fprintf(e.Stdout, "flowplan %s\n", v)
	if rev != "" {
		dirty := ""
		if modified {
			dirty = " (modified)"
		}
		fmt.Fprintf(e.Stdout, "commit:  %s%s %s\n", rev, dirty, when)
	}
	fmt.Fprintf(e.Stdout, "go:      %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
