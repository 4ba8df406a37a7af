// Package policyproof proves flowplan's generated IAM policies against the AWS emulator: enough for every scenario, each statement and action needed, and exactly the operations flowplan calls.
//
// It holds only tests and the scenario harness they share; see
// proof_test.go. The emulator runs with Options.EnforceIAM, so every call
// flowplan makes through the FlowplanRunner and FlowplanCaller roles of
// testdata/world.yaml is authorized against the policies
// engine/runnerpolicy generates.
package policyproof
