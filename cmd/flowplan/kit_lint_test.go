package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"
)

// ciDir holds the CI files people copy: GitHub Actions workflows, an
// Atlantis config and a GitLab CI file.
const ciDir = "../../examples/ci"

// TestWorkflowsLint lints every GitHub Actions workflow in examples/ci with
// actionlint, which checks the workflow syntax, expressions, action inputs
// and, through shellcheck, the scripts of run steps.
func TestWorkflowsLint(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(ciDir, "github-actions", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows in %s/github-actions: %v", ciDir, err)
	}
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{Shellcheck: shellcheck(t)})
	if err != nil {
		t.Fatal(err)
	}
	problems, err := linter.LintFiles(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s:%d:%d: %s [%s]", p.Filepath, p.Line, p.Column, p.Message, p.Kind)
	}
}

// shellcheck is the shellcheck executable actionlint runs on run: scripts.
// Without it the scripts go unchecked: a skip of that part, or a failure
// when FLOWPLAN_REQUIRE_E2E=1 (CI installs it).
func shellcheck(t *testing.T) string {
	path, err := exec.LookPath("shellcheck")
	if err == nil {
		return path
	}
	if os.Getenv("FLOWPLAN_REQUIRE_E2E") == "1" {
		t.Fatalf("shellcheck is required (FLOWPLAN_REQUIRE_E2E=1) to check the workflows' scripts: %v", err)
	}
	t.Log("shellcheck is not on PATH: the workflows' run: scripts are not checked (apt-get install shellcheck)")
	return ""
}

// TestCIFilesParse reads the Atlantis and GitLab files, which actionlint
// does not know, as YAML, and checks the keys their tools read.
func TestCIFilesParse(t *testing.T) {
	var repos struct {
		Repos     []map[string]any `yaml:"repos"`
		Workflows map[string]map[string]struct {
			Steps []struct {
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"workflows"`
	}
	decodeStrict(t, filepath.Join(ciDir, "atlantis", "repos.yaml"), &repos)
	for _, stage := range []string{"plan", "apply"} {
		steps := repos.Workflows["flowplan"][stage].Steps
		if len(steps) == 0 {
			t.Errorf("atlantis/repos.yaml: workflow flowplan has no %s steps", stage)
		}
		for _, s := range steps {
			if s.Run == "" {
				t.Errorf("atlantis/repos.yaml: a %s step has no run", stage)
			}
		}
	}
	var project struct {
		Version  int `yaml:"version"`
		Projects []struct {
			Name     string         `yaml:"name"`
			Dir      string         `yaml:"dir"`
			Workflow string         `yaml:"workflow"`
			Autoplan map[string]any `yaml:"autoplan"`
		} `yaml:"projects"`
	}
	decodeStrict(t, filepath.Join(ciDir, "atlantis", "atlantis.yaml"), &project)
	if project.Version != 3 || len(project.Projects) != 1 || project.Projects[0].Workflow != "flowplan" {
		t.Errorf("atlantis/atlantis.yaml = %+v; want version 3 and one project on the flowplan workflow", project)
	}

	var gitlab map[string]any
	decodeStrict(t, filepath.Join(ciDir, "gitlab", "gitlab-ci.yml"), &gitlab)
	for _, job := range []string{"flowplan-plan", "flowplan-apply"} {
		j, ok := gitlab[job].(map[string]any)
		if !ok || j["script"] == nil || j["stage"] == nil {
			t.Errorf("gitlab/gitlab-ci.yml: job %s has no stage or script", job)
		}
	}
}

func decodeStrict(t *testing.T, path string, v any) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
