package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/flowplan/flowplan/internal/motoserver"
	"github.com/flowplan/flowplan/internal/tfharness"
)

// This file holds the script command that lets scripts run Terraform, and
// the check that the migration guide shows the files its script runs.

// cmdTerraformEnv makes "exec terraform ..." work in a script. It finds
// Terraform and the hashicorp/aws provider mirror, skipping the script
// when either is missing (failing it under FLOWPLAN_REQUIRE_E2E=1, as in
// CI), and sets the environment tfharness gives Terraform: a CLI
// configuration that installs the provider from the mirror and a plugin
// cache, both under $WORK/.terraform-harness, no upgrade check and no
// prompts. It also sets TERRAFORM_VERSION.
//
//	terraform-env
func cmdTerraformEnv(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: terraform-env")
	}
	setup, err := tfharness.Find()
	if err != nil {
		msg := "SKIPPING: this script needs Terraform and the hashicorp/aws " + tfharness.ProviderVersion + " provider mirror: " + err.Error()
		if motoserver.Required() {
			ts.Fatalf("%s, and FLOWPLAN_REQUIRE_E2E=1 makes that a failure", msg)
		}
		state(ts).t.Skip(msg)
	}
	env, err := setup.Env(ts.MkAbs(".terraform-harness"))
	ts.Check(err)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		ts.Setenv(k, v)
	}
	ts.Setenv("TERRAFORM_VERSION", setup.Version)
}

// migrationGuide is the guide that migrate-from-terraform.txtar runs.
const (
	migrationGuide  = "../../docs/migrate-from-terraform.md"
	migrationScript = "testdata/script/migrate-from-terraform.txtar"
)

// TestMigrationGuideMatchesScript keeps the guide's files the ones the
// script test runs: each fenced block after "<!-- file: NAME -->" in the
// guide must be the script's file NAME, byte for byte.
func TestMigrationGuideMatchesScript(t *testing.T) {
	doc, err := os.ReadFile(migrationGuide)
	if err != nil {
		t.Fatal(err)
	}
	ar, err := txtar.ParseFile(migrationScript)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range ar.Files {
		files[f.Name] = string(f.Data)
	}
	blocks := guideFiles.FindAllStringSubmatch(string(doc), -1)
	if len(blocks) == 0 {
		t.Fatalf("%s has no <!-- file: NAME --> blocks", migrationGuide)
	}
	for _, b := range blocks {
		name, text := b[1], b[2]
		want, ok := files[name]
		if !ok {
			t.Errorf("%s shows %s, which %s does not have", migrationGuide, name, migrationScript)
			continue
		}
		if diff := cmp.Diff(want, text); diff != "" {
			t.Errorf("%s in %s differs from the script's (-script +guide):\n%s", name, migrationGuide, diff)
		}
	}
}

// guideFiles matches a "<!-- file: NAME -->" marker and the fenced block
// after it.
var guideFiles = regexp.MustCompile("(?s)<!-- file: (\\S+) -->\n```[a-z]*\n(.*?)```\n")
