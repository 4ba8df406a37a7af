// Package awsregions answers whether a region name is one the AWS SDK knows, from the partition metadata aws-sdk-go-v2 ships (partitions.json, copied by go generate).
package awsregions

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/flowplan/flowplan/spec/logformat"
)

//go:generate go run gen.go

// partitionsJSON is aws-sdk-go-v2's internal/endpoints/awsrulesfn/
// partitions.json (Apache License 2.0), the partition metadata the SDK
// resolves endpoints with. The SDK keeps it in an internal package, so it
// is copied here; a test fails when the SDK's copy has changed.
//
//go:embed partitions.json
var partitionsJSON []byte

// Partition is one AWS partition as the SDK describes it.
type Partition struct {
	// ID is the partition: aws, aws-cn, aws-us-gov, ...
	ID string
	// Regions are its regions, sorted; the pseudo-regions the SDK lists for
	// global endpoints (aws-global, ...) are left out.
	Regions []string
	// pattern matches the names of its regions, known or future.
	pattern *regexp.Regexp
}

var (
	loadOnce   sync.Once
	partitions []Partition
	loadErr    error
)

func load() ([]Partition, error) {
	loadOnce.Do(func() { partitions, loadErr = parse(partitionsJSON) })
	return partitions, loadErr
}

func parse(b []byte) ([]Partition, error) {
	var doc struct {
		Partitions []struct {
			ID          string                     `json:"id"`
			RegionRegex string                     `json:"regionRegex"`
			Regions     map[string]json.RawMessage `json:"regions"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("awsregions: read the SDK's partitions.json: %w", err)
	}
	var out []Partition
	for _, p := range doc.Partitions {
		re, err := regexp.Compile(p.RegionRegex)
		if err != nil {
			return nil, fmt.Errorf("awsregions: partition %s: region pattern: %w", p.ID, err)
		}
		part := Partition{ID: p.ID, pattern: re}
		for r := range p.Regions {
			if !strings.HasSuffix(r, "-global") {
				part.Regions = append(part.Regions, r)
			}
		}
		slices.Sort(part.Regions)
		out = append(out, part)
	}
	return out, nil
}

// Partitions returns the partitions the SDK knows; none if the embedded
// file could not be read, which TestPartitionsAreTheSDKs rules out.
func Partitions() []Partition {
	ps, _ := load()
	return ps
}

// Known reports whether region is a region of one of the SDK's
// partitions.
func Known(region string) bool {
	for _, p := range Partitions() {
		if slices.Contains(p.Regions, region) {
			return true
		}
	}
	return false
}

// PartitionOf returns the partition whose region names region's shape
// matches, known or not ("" when none does).
func PartitionOf(region string) string {
	for _, p := range Partitions() {
		if p.pattern.MatchString(region) {
			return p.ID
		}
	}
	return ""
}

// Unknown explains why region is not a region the SDK knows, with the
// known region it most likely means; "" when it is known.
func Unknown(region string) string {
	if Known(region) {
		return ""
	}
	var all []string
	for _, p := range Partitions() {
		all = append(all, p.Regions...)
	}
	msg := fmt.Sprintf("%s is not a region the AWS SDK knows", region)
	if p := PartitionOf(region); p != "" {
		msg += fmt.Sprintf(" (its name is of partition %s)", p)
	} else {
		msg += " (its name is of no AWS partition)"
	}
	if best := logformat.Closest(region, all, 1); len(best) == 1 && logformat.Distance(region, best[0]) <= 3 {
		msg += fmt.Sprintf("; did you mean %s?", best[0])
	}
	return msg
}
