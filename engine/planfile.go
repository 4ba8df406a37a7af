package engine

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/flowplan/flowplan/spec"
)

// NewPlanID returns a random plan ID: 16 bytes from crypto/rand, in hex.
func NewPlanID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make plan id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// WritePlan writes plan as indented, versioned JSON. Accounts carry no
// external IDs (Account.ExternalID is never serialised) and resources carry
// no credentials, so the file is safe to keep as a CI artifact.
func WritePlan(w io.Writer, plan *Plan) error {
	if plan == nil {
		return errors.New("write plan: no plan")
	}
	p := *plan
	if p.FormatVersion == "" {
		p.FormatVersion = PlanFormatVersion
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&p); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// ReadPlan reads a plan written by WritePlan. It refuses a plan whose
// format_version has a major version this build does not know.
func ReadPlan(r io.Reader) (*Plan, error) {
	p, err := readPlan(r)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	return p, nil
}

// readPlan is ReadPlan without the operation in its errors, which callers
// name (with the file's path, say).
func readPlan(r io.Reader) (*Plan, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var head struct {
		FormatVersion *string `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("not a flowplan plan file: %w", err)
	}
	if head.FormatVersion == nil {
		return nil, errors.New("not a flowplan plan file: no format_version")
	}
	if major(*head.FormatVersion) != major(PlanFormatVersion) {
		return nil, fmt.Errorf("format_version %q is not supported by this flowplan, which reads %s.x; make the plan again with this version",
			*head.FormatVersion, major(PlanFormatVersion))
	}
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	for i, c := range p.Changes {
		if c == nil {
			return nil, fmt.Errorf("change %d is empty", i)
		}
	}
	return &p, nil
}

func major(v string) string {
	m, _, _ := strings.Cut(v, ".")
	return m
}

// SavePlanFile writes plan to path with mode 0600, atomically: a reader
// sees the old file or the whole new one, never a part.
func SavePlanFile(path string, plan *Plan) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".flowplan-plan-*")
	if err != nil {
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	if err := WritePlan(tmp, plan); err != nil {
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	return nil
}

// LoadPlanFile reads a plan saved by SavePlanFile. Its errors read
// "read plan <path>: ...".
func LoadPlanFile(path string) (*Plan, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read plan: %s does not exist", path)
	}
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	defer f.Close()
	p, err := readPlan(f)
	if err != nil {
		return nil, fmt.Errorf("read plan %s: %w", path, err)
	}
	return p, nil
}

// CheckSpec refuses a saved plan made from a different spec file.
func CheckSpec(saved *Plan, s *spec.Spec) error {
	if saved.Spec.SHA256 != s.SHA256 {
		return fmt.Errorf("spec %s has changed since the plan was made (sha256 %s, the plan was made from %s); run plan again",
			s.File, short(s.SHA256), short(saved.Spec.SHA256))
	}
	if saved.Spec.Name != s.Name {
		return fmt.Errorf("the plan was made for spec %q, not %q; run plan again", saved.Spec.Name, s.Name)
	}
	return nil
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	if sum == "" {
		return "(none)"
	}
	return sum
}
