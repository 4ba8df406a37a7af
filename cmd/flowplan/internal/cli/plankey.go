package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/flowplan/flowplan/engine"
)

// planKeyEnv holds the key saved plans are signed with, as text.
const planKeyEnv = "FLOWPLAN_PLAN_KEY"

// planKeyFlag is --plan-key-file: with it, or with FLOWPLAN_PLAN_KEY, plan
// --out signs the plan (HMAC-SHA256), and apply and show refuse a plan
// without a valid signature.
type planKeyFlag struct {
	file string
}

func (k *planKeyFlag) define(fs *flag.FlagSet) {
	fs.StringVar(&k.file, "plan-key-file", "", "sign saved plans with the key in `file`, and refuse unsigned or wrongly signed ones (or set "+planKeyEnv+")")
}

// key returns the configured key, or nil when there is none.
func (k *planKeyFlag) key(e *env) ([]byte, error) {
	if k.file != "" {
		b, err := os.ReadFile(k.file)
		if err != nil {
			return nil, fmt.Errorf("read the plan key: %w", err)
		}
		b = []byte(strings.TrimSpace(string(b)))
		if len(b) < 16 {
			return nil, fmt.Errorf("the plan key in %s is shorter than 16 bytes", k.file)
		}
		return b, nil
	}
	if v := e.getenv(planKeyEnv); v != "" {
		if len(v) < 16 {
			return nil, fmt.Errorf("%s is shorter than 16 bytes", planKeyEnv)
		}
		return []byte(v), nil
	}
	return nil, nil
}

// sign signs plan when a key is configured.
func (k *planKeyFlag) sign(e *env, plan *engine.Plan) error {
	key, err := k.key(e)
	if err != nil || key == nil {
		return err
	}
	return engine.Sign(plan, key)
}

// verify checks a saved plan's signature when a key is configured.
func (k *planKeyFlag) verify(e *env, path string, plan *engine.Plan) error {
	key, err := k.key(e)
	if err != nil || key == nil {
		return err
	}
	if err := engine.Verify(plan, key); err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("plan %s: %w", path, err)}
	}
	return nil
}

// errSpecOutside refuses a plan that names a spec outside the working
// directory.
var errSpecOutside = errors.New("is outside the working directory")

// planSpecPath resolves the spec file a saved plan names. Plan files are
// untrusted: the path must lead, after symbolic links, to a regular file
// inside the working directory, so that an edited plan cannot make apply
// read (and report on) a file such as ~/.aws/credentials. A spec elsewhere
// is given with -f, which the user types.
func planSpecPath(named string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root, err := filepath.EvalSymlinks(wd)
	if err != nil {
		return "", err
	}
	p := named
	if !filepath.IsAbs(p) {
		p = filepath.Join(wd, p)
	}
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("the spec the plan was made from, %s, cannot be read: %w\nIf that spec is elsewhere now, give it with -f", display(named), errors.Unwrap(err))
	}
	rel, err := filepath.Rel(root, resolved)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("the plan names the spec %s, which %w; flowplan reads a plan's spec only from inside it. Give the spec with -f", display(named), errSpecOutside)
	}
	return resolved, nil
}

// display cuts a value from an untrusted file to a length fit for a
// message, quoted.
func display(s string) string {
	const max = 120
	if len(s) > max {
		s = s[:max] + "…"
	}
	return fmt.Sprintf("%q", s)
}
