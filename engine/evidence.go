package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/spec"
)

// Evidence of delivery: for each compliant unit, when its destination last
// received records. Reads are per destination (a log group, an
// account-region folder of a bucket), never per target: CloudWatch Logs'
// DescribeLogStreams is a low-rate API, and an S3 listing of a folder
// serves every flow log writing there.

// DefaultMaxAge is --max-age's default: a destination whose newest record
// is older is stale.
const DefaultMaxAge = time.Hour

// EvidenceOptions tune CollectEvidence.
type EvidenceOptions struct {
	// MaxAge is how old the newest record may be.
	MaxAge time.Duration
	// Now is the time records are aged against.
	Now time.Time
	// Parallelism bounds concurrent reads; 0 means DefaultParallelism.
	Parallelism int
}

// Cutoff is the oldest a fresh record may be.
func (o EvidenceOptions) Cutoff() time.Time { return o.Now.Add(-o.MaxAge) }

// DeliveryReader reads what flow logs delivered. The AWS provider
// implements it; `flowplan audit --evidence` needs one.
type DeliveryReader interface {
	// ReadDeliveries reads one destination. Errors are the destination's
	// alone: the units delivering there get EvidenceUnavailable.
	ReadDeliveries(ctx context.Context, q DeliveryQuery) (*Deliveries, error)
}

// DeliveryQuery says which destination to read.
type DeliveryQuery struct {
	// Account's credentials read it.
	Account Account
	// Region is the log group's region, or the bucket's partition's
	// region to call S3 in.
	Region string
	// LogGroup, for CloudWatch Logs: the provider lists the group's log
	// streams freshest first (DescribeLogStreams, orderBy LastEventTime,
	// descending) until one's last event is older than Since.
	LogGroup string
	// Bucket, KeyPrefix and StartAfter, for S3: the provider lists the
	// objects under KeyPrefix whose keys sort after StartAfter
	// (ListObjectsV2), every page.
	Bucket     string
	KeyPrefix  string
	StartAfter string
	// Since is the cutoff: older records need not be read.
	Since time.Time
}

// Deliveries is what a read found.
type Deliveries struct {
	// Streams are log stream names with their last ingestion time.
	Streams map[string]time.Time
	// Objects are object keys with their LastModified time.
	Objects map[string]time.Time
	// Calls is how many API calls the read took, pages included.
	Calls int
}

// destination is one read, with the units it serves.
type destination struct {
	q     DeliveryQuery
	units []*AuditUnit
	// source names the destination for people.
	source string
}

// CollectEvidence reads, for every compliant unit, when its records last
// arrived, and marks it fresh, stale, pending or unavailable; then counts
// the audit again. cur is the survey's current state: network interfaces
// attribute CloudWatch Logs streams to targets, so the survey must have
// read them (Options.AlsoRead).
func CollectEvidence(ctx context.Context, r DeliveryReader, a *Audit, cur *State, opts EvidenceOptions) {
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	a.Evidence = &opts
	enis := interfacesByScope(cur)
	// A bucket's owner is whoever a rule names, whichever unit (a rule's
	// or a baseline's) delivers there: the owner reads its bucket.
	owners := map[string]string{}
	for i := range a.Units {
		u := &a.Units[i]
		if u.bucketOwner == "" || u.desired == nil {
			continue
		}
		if bucket, _, ok := s3BucketAndPrefix(u.desired); ok {
			owners[bucket] = u.bucketOwner
		}
	}
	dests := map[string]*destination{}
	var order []string
	for i := range a.Units {
		u := &a.Units[i]
		if u.Status != AuditCompliant || u.satisfier == nil {
			continue
		}
		key, d, why := destinationOf(u, a.Accounts, owners, opts)
		if why != "" {
			u.Evidence = &Evidence{Status: EvidenceUnavailable, Detail: why}
			continue
		}
		if dests[key] == nil {
			dests[key] = d
			order = append(order, key)
		}
		dests[key].units = append(dests[key].units, u)
	}
	sort.Strings(order)
	results := make([]*Deliveries, len(order))
	errs := make([]error, len(order))
	run := newRunner(Options{Parallelism: opts.Parallelism}.parallelism())
	for i, key := range order {
		run.do(func() {
			results[i], errs[i] = r.ReadDeliveries(ctx, dests[key].q)
			if errs[i] == nil && results[i] == nil {
				errs[i] = fmt.Errorf("provider returned no deliveries")
			}
		})
	}
	run.wait()
	var mu sync.Mutex
	for i, key := range order {
		d := dests[key]
		if errs[i] != nil {
			for _, u := range d.units {
				u.Evidence = &Evidence{Status: EvidenceUnavailable, Source: d.source, Detail: "could not read " + d.source + ": " + errs[i].Error()}
			}
			continue
		}
		mu.Lock()
		a.EvidenceCalls += results[i].Calls
		mu.Unlock()
		for _, u := range d.units {
			u.Evidence = judgeEvidence(u, d, results[i], enis[u.scope()], opts)
		}
	}
	a.Count()
}

// destinationOf is the read that shows a unit's records, keyed so that
// units delivering to one place share it; or why there is none.
func destinationOf(u *AuditUnit, accounts []Account, owners map[string]string, opts EvidenceOptions) (string, *destination, string) {
	f := u.satisfier
	switch f.DestinationType {
	case DestCloudWatchLogs:
		if k, ok := spec.KindOfResourceType(f.ResourceType); !ok || (k != spec.TargetVPC && k != spec.TargetSubnet && k != spec.TargetNetworkInterface) {
			return "", nil, "CloudWatch Logs streams are per network interface; flowplan cannot tell which are a " + display(f.ResourceType) + "'s"
		}
		dest := NormalizeDestination(DestCloudWatchLogs, f.Destination)
		a, ok := arn.Parse(dest)
		name, okName := arn.ParseLogGroup(dest)
		if !ok || !okName {
			return "", nil, "the flow log's destination " + display(dest) + " is not a log group ARN"
		}
		acct, known := findAccount(accounts, a.Account)
		if !known {
			return "", nil, "log group " + name + " is in account " + a.Account + ", which the spec does not cover"
		}
		return "logs " + dest, &destination{
			q:      DeliveryQuery{Account: acct, Region: a.Region, LogGroup: name, Since: opts.Cutoff()},
			source: "log group " + name + " (" + a.Account + "/" + a.Region + ")",
		}, ""
	case DestS3:
		bucket, prefix, ok := s3BucketAndPrefix(f)
		if !ok {
			return "", nil, "the flow log's destination " + display(f.Destination) + " is not a bucket ARN"
		}
		hive := f.HiveCompatiblePartitions
		if u.desired != nil {
			// What the rule asks for: moto does not return DestinationOptions,
			// and a compliant flow log delivers where the rule says.
			hive = u.desired.HiveCompatiblePartitions
		}
		region := spec.S3RegionFolder(prefix, u.Account, u.Region, hive)
		// The bucket owner reads its bucket when the spec covers it; else
		// the flow log's account tries, which a bucket policy may allow.
		reader, _ := findAccount(accounts, u.Account)
		if owner, ok := findAccount(accounts, owners[bucket]); ok {
			reader = owner
		}
		return "s3 " + bucket + "/" + region, &destination{
			q: DeliveryQuery{Account: reader, Region: u.Region, Bucket: bucket, KeyPrefix: region,
				StartAfter: spec.S3DayFolder(prefix, u.Account, u.Region, hive, opts.Cutoff()), Since: opts.Cutoff()},
			source: "s3://" + bucket + "/" + region,
		}, ""
	}
	return "", nil, "flowplan cannot read " + display(f.DestinationType) + " destinations: check delivery in the stream's own metrics"
}

// judgeEvidence ages a unit's newest record.
func judgeEvidence(u *AuditUnit, d *destination, got *Deliveries, enis []Target, opts EvidenceOptions) *Evidence {
	ev := &Evidence{Source: d.source}
	f := u.satisfier
	switch f.DestinationType {
	case DestCloudWatchLogs:
		mine := unitInterfaces(u, enis)
		for stream, t := range got.Streams {
			if eni, ok := spec.StreamInterface(stream); ok && mine[eni] && t.After(ev.LastDelivery) {
				ev.LastDelivery = t
			}
		}
		if len(mine) == 0 && ev.LastDelivery.IsZero() {
			ev.Detail = "the " + strings.ToLower(display(u.ResourceType)) + " has no network interfaces, so there is nothing to record"
		}
	case DestS3:
		for key, t := range got.Objects {
			if id, ok := spec.S3FileFlowLogID(key); ok && id == u.SatisfiedBy && t.After(ev.LastDelivery) {
				ev.LastDelivery = t
			}
		}
	}
	cutoff := opts.Cutoff()
	switch {
	case !ev.LastDelivery.IsZero() && !ev.LastDelivery.Before(cutoff):
		ev.Status = EvidenceFresh
		ev.Detail = ""
	case createdAfter(f, cutoff):
		ev.Status = EvidencePending
		ev.Detail = "no records yet: the flow log is younger than " + formatAge(opts.MaxAge) + ", and AWS takes minutes to deliver the first"
	default:
		ev.Status = EvidenceStale
		when := "no records since " + cutoff.UTC().Format(time.RFC3339)
		if !ev.LastDelivery.IsZero() {
			when = "newest record " + formatAge(opts.Now.Sub(ev.LastDelivery)) + " old"
		}
		if ev.Detail != "" {
			when += "; " + ev.Detail
		}
		ev.Detail = when
	}
	return ev
}

// createdAfter reports whether the flow log was created after t.
func createdAfter(f *FlowLog, t time.Time) bool {
	if f.Status == nil || f.Status.CreationTime == "" {
		return false
	}
	c, err := time.Parse(time.RFC3339, f.Status.CreationTime)
	return err == nil && c.After(t)
}

// interfacesByScope are the discovered network interfaces per scope.
func interfacesByScope(cur *State) map[string][]Target {
	out := map[string][]Target{}
	for scope, ts := range cur.Targets {
		for _, t := range ts {
			if t.Kind == spec.TargetNetworkInterface {
				out[scope] = append(out[scope], t)
			}
		}
	}
	return out
}

// unitInterfaces are the network interfaces whose streams are the unit's:
// those in its VPC or subnet, or the interface itself.
func unitInterfaces(u *AuditUnit, enis []Target) map[string]bool {
	out := map[string]bool{}
	kind, _ := spec.KindOfResourceType(u.ResourceType)
	for _, t := range enis {
		switch {
		case kind == spec.TargetVPC && t.VPCID == u.ResourceID,
			kind == spec.TargetSubnet && t.SubnetID == u.ResourceID,
			kind == spec.TargetNetworkInterface && t.ID == u.ResourceID:
			out[t.ID] = true
		}
	}
	if kind == spec.TargetNetworkInterface {
		out[u.ResourceID] = true
	}
	return out
}
