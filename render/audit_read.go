package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/flowplan/flowplan/engine"
)

// ReadAudit reads an audit JSON document (docs/audit-json.md) back into the
// audit and header it was rendered from, so that shards' audits can be
// merged (engine.MergeAudits) and rendered in any format. Counts are not
// read: they are worked out again from the units. It refuses a document of
// another major format version, and one whose fields do not decode.
func ReadAudit(r io.Reader) (*engine.Audit, AuditHeader, error) {
	var hdr AuditHeader
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, hdr, err
	}
	var head struct {
		FormatVersion *string `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, hdr, fmt.Errorf("not a flowplan audit JSON document: %w", err)
	}
	if head.FormatVersion == nil {
		return nil, hdr, errors.New("not a flowplan audit JSON document: no format_version")
	}
	if maj, _, _ := strings.Cut(*head.FormatVersion, "."); maj != strings.Split(AuditFormatVersion, ".")[0] {
		return nil, hdr, fmt.Errorf("audit format_version %q is not supported by this flowplan, which reads %s.x", *head.FormatVersion, strings.Split(AuditFormatVersion, ".")[0])
	}
	var doc AuditJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, hdr, fmt.Errorf("not a flowplan audit JSON document: %w", err)
	}
	if doc.GeneratedAt != "" {
		at, err := time.Parse(time.RFC3339, doc.GeneratedAt)
		if err != nil {
			return nil, hdr, fmt.Errorf("generated_at %q is not an RFC 3339 time", doc.GeneratedAt)
		}
		hdr.GeneratedAt = at
	}
	hdr.Version, hdr.Caller = doc.FlowplanVersion, doc.Caller
	a := &engine.Audit{
		Spec: doc.Spec, Shard: doc.Shard, Merged: doc.Merged, Regions: append([]string(nil), doc.Regions...),
		Options:       engine.AuditOptions{AllVPCs: doc.Options.AllVPCs, Targets: append([]string(nil), doc.Options.Targets...)},
		Controls:      append([]engine.Control(nil), doc.Controls...),
		Errors:        append([]engine.ScopeError(nil), doc.Errors...),
		EvidenceCalls: doc.Options.EvidenceCalls,
	}
	if doc.Options.Evidence {
		age, err := time.ParseDuration(doc.Options.MaxAge)
		if err != nil {
			return nil, hdr, fmt.Errorf("options.max_age %q is not a duration", doc.Options.MaxAge)
		}
		a.Evidence = &engine.EvidenceOptions{MaxAge: age}
	}
	for _, acct := range doc.Accounts {
		a.Accounts = append(a.Accounts, engine.Account{ID: acct.ID, Alias: acct.Alias, Regions: append([]string(nil), acct.Regions...)})
	}
	for i, j := range doc.Targets {
		addr, err := engine.ParseAddr(j.Address)
		if err != nil {
			return nil, hdr, fmt.Errorf("targets[%d]: address %q: %w", i, j.Address, err)
		}
		if !knownStatus(j.Status) {
			return nil, hdr, fmt.Errorf("targets[%d] (%s): status %q is not one of %v", i, j.Address, j.Status, engine.AuditStatuses)
		}
		u := engine.AuditUnit{
			Addr: addr, Account: j.Account, Region: j.Region, ResourceType: j.ResourceType, ResourceID: j.ResourceID,
			Name: j.Name, Rule: j.Rule, Status: j.Status, Reasons: j.Reasons, FlowLogs: j.FlowLogs,
			Via: j.Via, SatisfiedBy: j.SatisfiedBy, ManagedBy: j.ManagedBy,
		}
		if j.Evidence != "" {
			e := &engine.Evidence{Status: j.Evidence, Source: j.EvidenceSource, Detail: j.EvidenceDetail}
			if j.LastDelivery != nil {
				t, err := time.Parse(time.RFC3339, *j.LastDelivery)
				if err != nil {
					return nil, hdr, fmt.Errorf("targets[%d] (%s): last_delivery %q is not an RFC 3339 time", i, j.Address, *j.LastDelivery)
				}
				e.LastDelivery = t
			}
			u.Evidence = e
		}
		a.Units = append(a.Units, u)
	}
	a.Count()
	return a, hdr, nil
}

func knownStatus(s engine.AuditStatus) bool {
	for _, k := range engine.AuditStatuses {
		if k == s {
			return true
		}
	}
	return false
}
