package main

import (
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/flowplan/flowplan/internal/motoserver"
	"github.com/flowplan/flowplan/internal/tfharness"
)

// This file holds the script command that lets scripts run Terraform.

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
