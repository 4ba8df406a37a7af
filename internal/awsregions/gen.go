//go:build ignore

// gen copies the partition metadata of the aws-sdk-go-v2 version go.mod
// requires into partitions.json: go generate ./internal/awsregions.
package main

import (
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-sdk-go-v2").Output()
	if err != nil {
		log.Fatalf("find aws-sdk-go-v2: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "internal", "endpoints", "awsrulesfn", "partitions.json"))
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("partitions.json", b, 0o644); err != nil {
		log.Fatal(err)
	}
}
