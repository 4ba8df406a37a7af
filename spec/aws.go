package spec

// Flow log settings AWS fixes, each defined once: the validator applies
// them to the spec, and the engine to what it desires and reads back.
const (
	// DefaultInterval is the MaxAggregationInterval, in seconds, of VPC,
	// subnet and network interface flow logs created without one.
	DefaultInterval = 600
	// ShortInterval is the other interval those flow logs accept.
	ShortInterval = 60
	// TransitGatewayInterval is the only interval transit gateway flow
	// logs accept, and their default; they take no traffic type.
	TransitGatewayInterval = 60
)

// KindOfResourceType returns the target kind whose CreateFlowLogs
// ResourceType is rt.
func KindOfResourceType(rt string) (TargetKind, bool) {
	for _, k := range TargetKinds {
		if k.ResourceType() == rt {
			return k, true
		}
	}
	return "", false
}

// IsTransitGatewayResourceType reports whether a CreateFlowLogs
// ResourceType is a transit gateway or an attachment, which take a fixed
// interval and no traffic type.
func IsTransitGatewayResourceType(rt string) bool {
	k, ok := KindOfResourceType(rt)
	return ok && k.IsTransitGateway()
}
