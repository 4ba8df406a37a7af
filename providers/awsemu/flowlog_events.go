package awsemu

import "slices"

// FlowLogEvent is one flow log that CreateFlowLogs made or DeleteFlowLogs
// removed.
type FlowLogEvent struct {
	// Op is "create" or "delete".
	Op                                     string
	Account, Region, FlowLogID, ResourceID string
}

// maxFlowLogEvents bounds the record of a long-running sandbox; the oldest
// events go first.
const maxFlowLogEvents = 10000

// FlowLogEvents returns the flow logs created and deleted through the API
// since the emulator started or ResetFlowLogEvents, in the order they were
// made: AWS's own record of the same would be CloudTrail. Tests read it to
// see whether a replacement left a resource without its flow log for a
// while (a delete before the create). Flow logs of world files and
// out-of-band changes (DeleteFlowLog) are not in it.
func (e *Emulator) FlowLogEvents() []FlowLogEvent {
	e.eventsMu.Lock()
	defer e.eventsMu.Unlock()
	return slices.Clone(e.flowLogEvents)
}

// ResetFlowLogEvents forgets the recorded events.
func (e *Emulator) ResetFlowLogEvents() {
	e.eventsMu.Lock()
	defer e.eventsMu.Unlock()
	e.flowLogEvents = nil
}

// recordFlowLogEvent appends an event. Calls in different account-regions
// record theirs at once; eventsMu orders them.
func (c *call) recordFlowLogEvent(op, flowLogID, resourceID string) {
	e := c.e
	e.eventsMu.Lock()
	defer e.eventsMu.Unlock()
	if len(e.flowLogEvents) >= maxFlowLogEvents {
		e.flowLogEvents = slices.Delete(e.flowLogEvents, 0, maxFlowLogEvents/2)
	}
	e.flowLogEvents = append(e.flowLogEvents, FlowLogEvent{Op: op, Account: c.key.Account, Region: c.region,
		FlowLogID: flowLogID, ResourceID: resourceID})
}
