package awsregions

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestKnown(t *testing.T) {
	for _, tc := range []struct {
		region    string
		known     bool
		partition string
	}{
		{"us-east-1", true, "aws"},
		{"eu-west-3", true, "aws"},
		{"af-south-1", true, "aws"},
		{"cn-northwest-1", true, "aws-cn"},
		{"us-gov-west-1", true, "aws-us-gov"},
		{"us-east-9", false, "aws"},
		{"eu-wset-1", false, "aws"},
		{"xx-north-1", false, ""},
		{"aws-global", false, ""},
	} {
		if got := Known(tc.region); got != tc.known {
			t.Errorf("Known(%s) = %v", tc.region, got)
		}
		if got := PartitionOf(tc.region); got != tc.partition {
			t.Errorf("PartitionOf(%s) = %q, want %q", tc.region, got, tc.partition)
		}
	}
}

func TestUnknownSuggests(t *testing.T) {
	if got := Unknown("us-east-1"); got != "" {
		t.Errorf("Unknown(us-east-1) = %q", got)
	}
	got := Unknown("eu-wset-1")
	for _, want := range []string{"eu-wset-1 is not a region the AWS SDK knows", "partition aws", "did you mean eu-west-1?"} {
		if !strings.Contains(got, want) {
			t.Errorf("Unknown(eu-wset-1) = %q, want %q in it", got, want)
		}
	}
	if got := Unknown("xx-north-1"); !strings.Contains(got, "of no AWS partition") {
		t.Errorf("Unknown(xx-north-1) = %q", got)
	}
}

// The copy is the SDK's: after an SDK upgrade, run go generate.
func TestPartitionsAreTheSDKs(t *testing.T) {
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		goCmd = "go"
	}
	out, err := exec.Command(goCmd, "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-sdk-go-v2").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	sdk, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "internal", "endpoints", "awsrulesfn", "partitions.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sdk, partitionsJSON) {
		t.Error("internal/awsregions/partitions.json differs from the SDK's; run go generate ./internal/awsregions")
	}
	if _, err := parse(sdk); err != nil {
		t.Error(err)
	}
}
