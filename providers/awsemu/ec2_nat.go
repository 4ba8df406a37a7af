package awsemu

import (
	"cmp"
	"slices"
	"time"
)

// NAT gateways, as CreateNatGateway, DescribeNatGateways and
// DeleteNatGateway document them. A NAT gateway's AvailabilityMode is zonal
// (the default: it lives in one subnet, with a requester-managed network
// interface there) or regional: "a single NAT Gateway that works across
// multiple availability zones (AZs) in your VPC", created for a VPC
// (VpcId) without a subnet. Only regional NAT gateways take flow logs of
// their own: the flow log resource type is RegionalNatGateway; a zonal one
// is logged through its network interface.
//
// Not modelled: Elastic IP addresses (so a public zonal NAT gateway, which
// needs AllocationId, cannot be created through the API; world files may
// still list one), secondary addresses, AvailabilityZoneAddresses.

const (
	natAvailable = "available"
	natDeleted   = "deleted"
	natZonal     = "zonal"
	natRegional  = "regional"
)

// natDeletedVisible is how long a deleted NAT gateway stays listed, in the
// deleted state. ASSUMPTION: AWS says deleted NAT gateways remain visible
// "for a short while" (about an hour in practice); the emulator keeps them
// an hour.
const natDeletedVisible = time.Hour

func init() {
	for name, a := range map[string]*action{
		"CreateNatGateway": {fn: createNatGateway, mutating: true, params: []string{"AllocationId", "AvailabilityMode",
			"AvailabilityZoneAddress", "ClientToken", "ConnectivityType", "DryRun", "PrivateIpAddress", "SecondaryAllocationId",
			"SecondaryPrivateIpAddressCount", "SecondaryPrivateIpAddress", "SubnetId", "TagSpecification", "VpcId"}},
		"DescribeNatGateways": {fn: describeNatGateways, params: append([]string{"NatGatewayId"}, describeParams...)},
		"DeleteNatGateway":    {fn: deleteNatGateway, mutating: true, params: []string{"DryRun", "NatGatewayId"}},
	} {
		ec2Actions[name] = a
	}
}

// natNotFound and natMalformed are the NAT gateway errors, which do not
// follow the Invalid<Type>ID.NotFound pattern of the other EC2 IDs.
func natNotFound(id string) *apiError {
	return badRequest("NatGatewayNotFound", "NAT gateway %s was not found", id)
}

func natMalformed(id string) *apiError {
	return badRequest("NatGatewayMalformed", "The NAT gateway ID '%s' is malformed", id)
}

// visible reports whether a NAT gateway is still listed.
func (g *natGateway) visible(now time.Time) bool {
	return g.State != natDeleted || now.Sub(g.Deleted) < natDeletedVisible
}

// live reports whether a NAT gateway exists and is not deleted.
func (g *natGateway) live() bool { return g != nil && g.State != natDeleted }

// --- CreateNatGateway ---

type natAddressXML struct {
	NetworkInterfaceID string `xml:"networkInterfaceId,omitempty"`
	PrivateIP          string `xml:"privateIp,omitempty"`
	IsPrimary          bool   `xml:"isPrimary"`
	Status             string `xml:"status"`
}

type natGatewayXML struct {
	CreateTime           string                  `xml:"createTime"`
	DeleteTime           string                  `xml:"deleteTime,omitempty"`
	NatGatewayAddressSet itemList[natAddressXML] `xml:"natGatewayAddressSet"`
	NatGatewayID         string                  `xml:"natGatewayId"`
	State                string                  `xml:"state"`
	SubnetID             string                  `xml:"subnetId,omitempty"`
	VpcID                string                  `xml:"vpcId"`
	TagSet               itemList[xmlTag]        `xml:"tagSet"`
	ConnectivityType     string                  `xml:"connectivityType"`
	AvailabilityMode     string                  `xml:"availabilityMode"`
}

type createNatGatewayXML struct {
	ec2Meta
	ClientToken string        `xml:"clientToken,omitempty"`
	NatGateway  natGatewayXML `xml:"natGateway"`
}

func natItem(r *region, g *natGateway, state string) natGatewayXML {
	x := natGatewayXML{CreateTime: ec2Time(g.Created), NatGatewayID: g.ID, State: state, SubnetID: g.SubnetID, VpcID: g.VPCID,
		TagSet: ec2Tags(g.Tags), ConnectivityType: g.ConnectivityType, AvailabilityMode: g.AvailabilityMode,
		NatGatewayAddressSet: items([]natAddressXML{})}
	if !g.Deleted.IsZero() {
		x.DeleteTime = ec2Time(g.Deleted)
	}
	if n := r.ENIs[g.ENIID]; n != nil {
		x.NatGatewayAddressSet = items([]natAddressXML{{NetworkInterfaceID: n.ID, PrivateIP: n.PrivateIP, IsPrimary: true, Status: "succeeded"}})
	}
	return x
}

func createNatGateway(c *call) (any, error) {
	if err := dryRun(c); err != nil {
		return nil, err
	}
	if err := unsupported(c, "AvailabilityZoneAddress", "SecondaryAllocationId", "SecondaryPrivateIpAddressCount",
		"SecondaryPrivateIpAddress"); err != nil {
		return nil, err
	}
	r := c.reg()
	token := c.form.str("ClientToken")
	if len(token) > 64 {
		return nil, badRequest("InvalidParameterValue", "Value (%s) for parameter clientToken is invalid. Length exceeds maximum of 64 characters.", token)
	}
	fingerprint := c.queryHash("ClientToken", "DryRun")
	if rec := r.tokenResult(c.action, token, c.now); rec != nil {
		if rec.Fingerprint != fingerprint {
			return nil, badRequest("IdempotentParameterMismatch", "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
		}
		if g := r.NATGateways[rec.ID]; g != nil {
			return &createNatGatewayXML{ClientToken: token, NatGateway: natItem(r, g, "pending")}, nil
		}
	}
	in := natGatewayInput{
		mode:         cmp.Or(c.form.str("AvailabilityMode"), natZonal),
		connectivity: cmp.Or(c.form.str("ConnectivityType"), "public"),
		vpc:          c.form.str("VpcId"),
		subnet:       c.form.str("SubnetId"),
		allocation:   c.form.str("AllocationId"),
		privateIP:    c.form.str("PrivateIpAddress"),
	}
	t, aerr := readTagSpecs(c, "natgateway")
	if aerr != nil {
		return nil, aerr
	}
	in.tags = t
	g, aerr := newNatGateway(c.st, r, in, c.now)
	if aerr != nil {
		return nil, aerr
	}
	r.rememberToken(c.action, token, fingerprint, g.ID, c.now)
	// A new NAT gateway is pending in CreateNatGateway's answer; the
	// emulator makes it available at once.
	return &createNatGatewayXML{ClientToken: token, NatGateway: natItem(r, g, "pending")}, nil
}

// natGatewayInput is CreateNatGateway's request, shared with world files.
type natGatewayInput struct {
	id, mode, connectivity, vpc, subnet, allocation, privateIP string
	tags                                                       tags
	// allowPublicZonal lets a world file have a public zonal NAT gateway
	// without an Elastic IP, which the emulator does not model.
	allowPublicZonal bool
}

// newNatGateway validates and creates a NAT gateway.
//
// ASSUMPTION: the reference says VpcId is "the ID of the VPC where you want
// to create a regional NAT gateway" and SubnetId where a (zonal) one goes,
// without saying what AWS answers to the other combinations. The emulator
// refuses them with InvalidParameterCombination, and a private regional
// NAT gateway too (regional mode is described for internet-bound traffic
// only).
func newNatGateway(st *state, r *region, in natGatewayInput, now time.Time) (*natGateway, *apiError) {
	switch {
	case in.mode != natZonal && in.mode != natRegional:
		return nil, badRequest("InvalidParameterValue", "Value (%s) for parameter availabilityMode is invalid. Valid values: zonal, regional", in.mode)
	case in.connectivity != "public" && in.connectivity != "private":
		return nil, badRequest("InvalidParameterValue", "Value (%s) for parameter connectivityType is invalid. Valid values: private, public", in.connectivity)
	}
	g := &natGateway{ID: in.id, AvailabilityMode: in.mode, ConnectivityType: in.connectivity, State: natAvailable,
		Tags: in.tags, Created: now}
	if g.ID == "" {
		g.ID = st.hexID("nat-")
	}
	if in.mode == natRegional {
		switch {
		case in.vpc == "":
			return nil, badRequest("MissingParameter", "The request must contain the parameter vpcId for a regional NAT gateway")
		case in.subnet != "" || in.privateIP != "":
			return nil, badRequest("InvalidParameterCombination", "A regional NAT gateway is created for a VPC: SubnetId and PrivateIpAddress are for zonal NAT gateways")
		case in.connectivity != "public":
			return nil, badRequest("InvalidParameterCombination", "A regional NAT gateway supports public connectivity only")
		}
		if aerr := lookupIDs([]string{in.vpc}, "vpc-", func(id string) bool { return r.VPCs[id] != nil }); aerr != nil {
			return nil, aerr
		}
		g.VPCID = in.vpc
		r.NATGateways[g.ID] = g
		return g, nil
	}
	switch {
	case in.subnet == "":
		return nil, badRequest("MissingParameter", "The request must contain the parameter subnetId")
	case in.vpc != "":
		return nil, badRequest("InvalidParameterCombination", "VpcId is for regional NAT gateways; a zonal NAT gateway takes SubnetId")
	case in.connectivity == "private" && in.allocation != "":
		return nil, badRequest("InvalidParameterCombination", "You cannot specify an Elastic IP address with a private NAT gateway")
	case in.connectivity == "public" && in.allocation == "" && !in.allowPublicZonal:
		return nil, badRequest("MissingParameter", "The request must contain the parameter allocationId for a public NAT gateway")
	case in.allocation != "":
		// The emulator models no Elastic IP addresses.
		return nil, badRequest("InvalidAllocationID.NotFound", "The allocation ID '%s' does not exist", in.allocation)
	}
	if aerr := lookupIDs([]string{in.subnet}, "subnet-", func(id string) bool { return r.Subnets[id] != nil }); aerr != nil {
		return nil, aerr
	}
	s := r.Subnets[in.subnet]
	ip, aerr := r.allocateIP(s, in.privateIP)
	if aerr != nil {
		return nil, aerr
	}
	n := &eni{ID: st.hexID("eni-"), SubnetID: s.ID, VPCID: s.VPCID, AZ: s.AZ, PrivateIP: ip, MAC: st.macAddress(),
		Description: "Interface for NAT Gateway " + g.ID, Type: "nat_gateway", Status: "in-use", RequesterManaged: true}
	r.ENIs[n.ID] = n
	g.VPCID, g.SubnetID, g.ENIID = s.VPCID, s.ID, n.ID
	r.NATGateways[g.ID] = g
	return g, nil
}

// --- DescribeNatGateways ---

type describeNatGatewaysXML struct {
	ec2Meta
	NatGateways itemList[natGatewayXML] `xml:"natGatewaySet"`
	NextToken   string                  `xml:"nextToken,omitempty"`
}

var natFilters = filterSet[*natGateway]{
	attrs: map[string]func(*natGateway) []string{
		"nat-gateway-id": func(g *natGateway) []string { return one(g.ID) },
		"state":          func(g *natGateway) []string { return one(g.State) },
		"subnet-id":      func(g *natGateway) []string { return one(g.SubnetID) },
		"vpc-id":         func(g *natGateway) []string { return one(g.VPCID) },
	},
	tags: func(g *natGateway) tags { return g.Tags },
}

// describeNatGateways lists visible NAT gateways. The model bounds
// MaxResults to 5..1000 (DescribeNatGatewaysMaxResults). An unknown ID is
// NatGatewayNotFound for the call.
func describeNatGateways(c *call) (any, error) {
	if err := dryRun(c); err != nil {
		return nil, err
	}
	r := c.reg()
	visible := map[string]*natGateway{}
	for id, g := range r.NATGateways {
		if g.visible(c.now) {
			visible[id] = g
		}
	}
	for _, id := range c.form.strs("NatGatewayId") {
		if !validID(id, "nat-") {
			return nil, natMalformed(id)
		}
		if visible[id] == nil {
			return nil, natNotFound(id)
		}
	}
	filters, err := readFilters(c)
	if err != nil {
		return nil, err
	}
	if err := natFilters.check(filters); err != nil {
		return nil, err
	}
	ids := c.form.strs("NatGatewayId")
	var keys []string
	for id, g := range visible {
		if (len(ids) == 0 || slices.Contains(ids, id)) && natFilters.match(g, filters) {
			keys = append(keys, id)
		}
	}
	page, next, err := ec2Page(c, keys, 5, 1000, false)
	if err != nil {
		return nil, err
	}
	out := &describeNatGatewaysXML{NextToken: next, NatGateways: items(make([]natGatewayXML, 0, len(page)))}
	for _, id := range page {
		out.NatGateways.Items = append(out.NatGateways.Items, natItem(r, visible[id], visible[id].State))
	}
	return out, nil
}

// --- DeleteNatGateway ---

type deleteNatGatewayXML struct {
	ec2Meta
	NatGatewayID string `xml:"natGatewayId"`
}

// deleteNatGateway moves the NAT gateway to deleted (AWS passes through
// deleting; the emulator is done at once), removes a zonal one's network
// interface, and starts the linger of its flow logs (see flowLogLinger).
func deleteNatGateway(c *call) (any, error) {
	if err := dryRun(c); err != nil {
		return nil, err
	}
	r := c.reg()
	id := c.form.str("NatGatewayId")
	switch g := r.NATGateways[id]; {
	case id == "":
		return nil, badRequest("MissingParameter", "The request must contain the parameter natGatewayId")
	case !validID(id, "nat-"):
		return nil, natMalformed(id)
	case !g.live():
		return nil, natNotFound(id)
	default:
		g.State, g.Deleted = natDeleted, c.now
		delete(r.ENIs, g.ENIID)
		r.resourceDeleted(id, c.now)
	}
	return &deleteNatGatewayXML{NatGatewayID: id}, nil
}
