package engine

import "slices"

// This file is the one definition of the order apply works in. Each change
// is one or two provider operations (parts); each part runs in a step; the
// executor runs an account-region's steps one after another, and the plan
// lists changes by step, so that what a plan shows is what apply does.

// ReplaceOrder says how a replacement runs. The engine decides it once,
// when it plans the change; apply and every output read it.
type ReplaceOrder string

// The replacement orders.
const (
	// CreateBeforeDelete makes the new resource first and deletes the old
	// one once the new one works: no gap. Flow logs are replaced so when
	// AWS lets old and new exist together.
	CreateBeforeDelete ReplaceOrder = "create_before_delete"
	// DeleteBeforeCreate deletes the old resource first. IAM names are
	// unique, so roles and their policies are always replaced so; a flow
	// log is when AWS would refuse the new one as a duplicate of the old
	// (see duplicates), and logging then pauses.
	DeleteBeforeCreate ReplaceOrder = "delete_before_create"
)

// Pause estimates, in seconds, of how long a delete-before-create flow log
// replacement leaves its resource without a flow log: the time between the
// DeleteFlowLogs and CreateFlowLogs calls, which apply makes one after the
// other; and, when the new flow log uses a delivery role this plan
// creates or changes, the wait for IAM to propagate it, which AWS does not
// bound (flowplan waits up to IAMPropagationPause). AWS then takes "several
// minutes to begin collecting and publishing data" for any new flow log.
const (
	CallPause           = 2
	IAMPropagationPause = 120
)

// duplicates reports whether AWS would refuse a flow log like b on a's
// resource while a exists: FlowLogAlreadyExists ("an existing Flow Log with
// the same configuration and log destination"). AWS does not document which
// settings count; its CloudWatch Logs guide has two flow logs of one network
// interface, for accepted and for rejected traffic, publish to one log
// group, so the traffic type does. flowplan takes the strictest reading
// that allows that, as the emulator does: the same resource, destination
// and traffic type. Both flow logs are normalised.
func duplicates(a, b *FlowLog) bool {
	return a.ResourceID == b.ResourceID && a.DestinationType == b.DestinationType &&
		a.Destination == b.Destination && a.TrafficType == b.TrafficType
}

// phase is a stage of an account-region's apply.
type phase int

const (
	// phaseEarlyDelete deletes roles and role policies being replaced: their
	// names are unique, so the old must go before the new can exist.
	phaseEarlyDelete phase = iota
	// phaseWrite creates, updates and adopts, in kind order; a flow log
	// replaced delete-before-create is deleted in it, just before the
	// creates of its kind, so that its gap is as short as it can be.
	phaseWrite
	// phaseDelete deletes, in reverse kind order, including the old flow
	// logs of create-before-delete replacements.
	phaseDelete
)

// part is one provider operation of a change: most changes have one; a
// replacement has two.
type part struct {
	phase phase
	op    Op
}

// partsOf returns a change's parts in the order they run; none for a no-op
// or an unknown action.
func partsOf(c *Change) []part {
	switch c.Action {
	case Create:
		return []part{{phaseWrite, OpCreate}}
	case Update:
		return []part{{phaseWrite, OpUpdate}}
	case Adopt:
		return []part{{phaseWrite, OpAdopt}}
	case Delete:
		return []part{{phaseDelete, OpDelete}}
	case Replace:
		switch {
		case c.Addr.Kind != KindFlowLog:
			return []part{{phaseEarlyDelete, OpDelete}, {phaseWrite, OpCreate}}
		case c.Order == DeleteBeforeCreate:
			return []part{{phaseWrite, OpDelete}, {phaseWrite, OpCreate}}
		default:
			return []part{{phaseWrite, OpCreate}, {phaseDelete, OpDelete}}
		}
	}
	return nil
}

// leadPart is the part of a change that waits for what the change depends
// on, and that places the change in the plan: the create of a role
// replacement (its early delete needs nothing), the first part otherwise,
// so that a flow log is deleted before its replacement only once what the
// replacement needs is in place.
func leadPart(c *Change) (part, bool) {
	parts := partsOf(c)
	switch {
	case len(parts) == 0:
		return part{}, false
	case c.Action == Replace && c.Addr.Kind != KindFlowLog:
		return parts[len(parts)-1], true
	}
	return parts[0], true
}

// writeOps are the operations of the write phase in the order they run.
var writeOps = []Op{OpDelete, OpCreate, OpUpdate, OpAdopt}

// step is the position of a part of a change of kind k in an
// account-region's apply: by phase; then by kind, in dependency order when
// writing and in reverse when deleting; then by operation.
func (p part) step(k Kind) int {
	kind := k.rank()
	if p.phase != phaseWrite {
		kind = len(Kinds) - kind
	}
	op := slices.Index(writeOps, p.op)
	if op < 0 {
		op = len(writeOps)
	}
	return (int(p.phase)*(len(Kinds)+1)+kind)*(len(writeOps)+1) + op
}

// stepOf is the step a change is listed at: its lead part's, or for a
// no-op the write step its kind would have.
func stepOf(c *Change) int {
	if p, ok := leadPart(c); ok {
		return p.step(c.Addr.Kind)
	}
	return part{phase: phaseWrite, op: "no-op"}.step(c.Addr.Kind)
}

// changeLess is the order of Plan.Changes: by step, then by address.
func changeLess(a, b *Change) bool { return ChangeLess(a, b) }

// ChangeLess is the order of Plan.Changes and of every output: by step,
// then by address.
func ChangeLess(a, b *Change) bool {
	if a.Step != b.Step {
		return a.Step < b.Step
	}
	return a.Addr.Less(b.Addr)
}

// StepLabel names a step for people: "create IAM roles", "delete flow logs
// being replaced", ...; "" for a step no part runs at.
func StepLabel(step int) string {
	for _, ph := range []phase{phaseEarlyDelete, phaseWrite, phaseDelete} {
		for _, k := range Kinds {
			for _, op := range writeOps {
				if (part{ph, op}).step(k) != step {
					continue
				}
				label := string(op) + " " + KindPlural(k)
				if op == OpDelete && ph != phaseDelete {
					label += " being replaced"
				}
				return label
			}
		}
	}
	return ""
}
