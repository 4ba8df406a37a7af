package awsemu

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowplan/flowplan/providers/awsemu/iampolicy"
)

var describeParams = []string{"DryRun", "Filter", "MaxResults", "NextToken"}

var ec2Actions = map[string]*action{
	"DescribeVpcs":                      {fn: describeVpcs, params: append([]string{"VpcId"}, describeParams...)},
	"DescribeSubnets":                   {fn: describeSubnets, params: append([]string{"SubnetId"}, describeParams...)},
	"DescribeNetworkInterfaces":         {fn: describeNetworkInterfaces, params: append([]string{"NetworkInterfaceId", "IncludeManagedResources"}, describeParams...)},
	"DescribeTransitGateways":           {fn: describeTransitGateways, params: append([]string{"TransitGatewayIds"}, describeParams...)},
	"DescribeTransitGatewayAttachments": {fn: describeTransitGatewayAttachments, params: append([]string{"TransitGatewayAttachmentIds"}, describeParams...)},
	"DescribeFlowLogs":                  {fn: describeFlowLogs, pumps: true, params: append([]string{"FlowLogId"}, describeParams...)},
	"DescribeRegions":                   {fn: describeRegions, params: []string{"AllRegions", "DryRun", "Filter", "RegionName"}},
	"DescribeTags":                      {fn: describeTags, params: describeParams},
	"CreateFlowLogs": {fn: createFlowLogs, mutating: true, exclusive: createFlowLogsExclusive, params: []string{"ClientToken", "DeliverCrossAccountRole",
		"DeliverLogsPermissionArn", "DestinationOptions", "DryRun", "LogDestination", "LogDestinationType", "LogFormat",
		"LogGroupName", "MaxAggregationInterval", "ResourceId", "ResourceType", "TagFieldSpecification",
		"TagSpecification", "TrafficType"}},
	"DeleteFlowLogs": {fn: deleteFlowLogs, mutating: true, params: []string{"DryRun", "FlowLogId"}},
	"CreateTags":     {fn: createTags, mutating: true, params: []string{"DryRun", "ResourceId", "Tag"}},
	"DeleteTags":     {fn: deleteTags, mutating: true, params: []string{"DryRun", "ResourceId", "Tag"}},
}

// ec2Time is EC2's timestamp format.
func ec2Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// dryRun answers DryRun=true: the caller is always authorised here.
func dryRun(c *call) *apiError {
	if c.form.str("DryRun") == "true" {
		return newError(http.StatusPreconditionFailed, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
	}
	return nil
}

// idFamilies are the EC2 resource ID prefixes with their error-code stems
// and the noun EC2's NotFound messages use.
var idFamilies = map[string]struct{ code, noun string }{
	"vpc-":        {"InvalidVpcID", "vpc"},
	"subnet-":     {"InvalidSubnetID", "subnet"},
	"eni-":        {"InvalidNetworkInterfaceID", "networkInterface"},
	"tgw-":        {"InvalidTransitGatewayID", "transitGateway"},
	"tgw-attach-": {"InvalidTransitGatewayAttachmentID", "transitGatewayAttachment"},
	"fl-":         {"InvalidFlowLogId", "flowLog"},
	"nat-":        {"NatGateway", "natGateway"},
}

var idBody = regexp.MustCompile(`^([0-9a-f]{8}|[0-9a-f]{17})$`)

// validID reports whether id is prefix followed by 8 or 17 hex digits.
func validID(id, prefix string) bool {
	if !strings.HasPrefix(id, prefix) {
		return false
	}
	body := strings.TrimPrefix(id, prefix)
	if prefix == "tgw-" && strings.HasPrefix(body, "attach-") {
		return false
	}
	return idBody.MatchString(body)
}

func notFound(prefix, id string) *apiError {
	if prefix == "nat-" {
		return natNotFound(id)
	}
	f := idFamilies[prefix]
	if prefix == "tgw-" {
		return badRequest(f.code+".NotFound", "Transit Gateway %s was deleted or does not exist.", id)
	}
	if prefix == "tgw-attach-" {
		return badRequest(f.code+".NotFound", "Transit Gateway Attachment %s was deleted or does not exist.", id)
	}
	return badRequest(f.code+".NotFound", "The %s ID '%s' does not exist", f.noun, id)
}

func malformedID(prefix, id string) *apiError {
	if prefix == "nat-" {
		return natMalformed(id)
	}
	return badRequest(idFamilies[prefix].code+".Malformed", "Invalid id: \"%s\" (expecting \"%s...\")", id, prefix)
}

// lookupIDs checks that every requested ID is well formed and exists.
func lookupIDs(ids []string, prefix string, exists func(string) bool) *apiError {
	for _, id := range ids {
		if !validID(id, prefix) {
			return malformedID(prefix, id)
		}
		if !exists(id) {
			return notFound(prefix, id)
		}
	}
	return nil
}

// --- pagination ---

// pageToken is the opaque NextToken: the last ID returned and a hash of the
// request, so that a token cannot be replayed against a different query.
type pageToken struct {
	After string `json:"a"`
	Query string `json:"q"`
}

func encodeToken(after, query string) string {
	b, _ := json.Marshal(pageToken{after, query})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(token, query string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", false
	}
	var t pageToken
	if json.Unmarshal(raw, &t) != nil || t.Query != query || t.After == "" {
		return "", false
	}
	return t.After, true
}

// paginate returns the page of keys (sorted) after the token's position. A
// limit of 0 returns everything.
func paginate(keys []string, limit int, token, query string) (page []string, next string, ok bool) {
	sort.Strings(keys)
	start := 0
	if token != "" {
		after, valid := decodeToken(token, query)
		if !valid {
			return nil, "", false
		}
		start = sort.SearchStrings(keys, after)
		if start < len(keys) && keys[start] == after {
			start++
		}
	}
	end := len(keys)
	if limit > 0 && start+limit < end {
		end = start + limit
		next = encodeToken(keys[end-1], query)
	}
	return keys[start:end], next, true
}

// queryHash identifies a request's parameters, leaving out the pagination ones.
func (c *call) queryHash(skip ...string) string {
	h := sha256.New()
	h.Write([]byte(c.svc.name + "/" + c.action + "/" + c.key.Account + "/" + c.region + "\n"))
	if c.form != nil {
		var lines []string
		var walk func(prefix string, f *form)
		walk = func(prefix string, f *form) {
			if f.set {
				lines = append(lines, prefix+"="+f.value)
			}
			for k, child := range f.children {
				name := k
				if prefix != "" {
					name = prefix + "." + k
				}
				if prefix == "" && slices.Contains(skip, k) {
					continue
				}
				walk(name, child)
			}
		}
		walk("", c.form)
		sort.Strings(lines)
		h.Write([]byte(strings.Join(lines, "\n")))
	} else {
		var body map[string]json.RawMessage
		_ = json.Unmarshal(c.body, &body)
		for _, k := range skip {
			delete(body, k)
		}
		canon, _ := json.Marshal(body)
		h.Write(canon)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// ec2Page reads MaxResults and NextToken and pages the sorted keys. min and
// max are the action's MaxResults bounds; clampMax makes larger values
// return max results instead of failing.
func ec2Page(c *call, keys []string, min, max int, clampMax bool) ([]string, string, *apiError) {
	limit := 0
	if c.form.has("MaxResults") {
		n, err := strconv.Atoi(c.form.str("MaxResults"))
		if err != nil {
			return nil, "", badRequest("InvalidParameterValue", "Value (%s) for parameter maxResults is invalid. Expected: 'Integer'.", c.form.str("MaxResults"))
		}
		if n > max && clampMax {
			n = max
		}
		if n < min || n > max {
			return nil, "", badRequest("InvalidParameterValue", "Value ( %d ) for parameter maxResults is invalid. Parameter must be between %d and %d.", n, min, max)
		}
		limit = n
	}
	page, next, ok := paginate(keys, limit, c.form.str("NextToken"), c.queryHash("MaxResults", "NextToken"))
	if !ok {
		return nil, "", badRequest("InvalidPaginationToken", "The specified pagination token is not valid or is expired.")
	}
	return page, next, nil
}

// --- filters ---

type ec2Filter struct {
	name   string
	values []string
}

func readFilters(c *call) ([]ec2Filter, *apiError) {
	var out []ec2Filter
	for _, item := range c.form.items("Filter") {
		f := ec2Filter{name: item.str("Name"), values: item.strs("Value")}
		if f.name == "" {
			return nil, badRequest("InvalidParameterValue", "The filter name must not be empty")
		}
		if len(f.values) == 0 {
			// ASSUMPTION: AWS's message for a filter without values is not documented.
			return nil, badRequest("InvalidParameterValue", "The filter '%s' has no values", f.name)
		}
		out = append(out, f)
	}
	return out, nil
}

// filterSet describes the filters a Describe action supports for items of
// type T: named attributes plus the tag:<key> and tag-key filters.
type filterSet[T any] struct {
	attrs map[string]func(T) []string
	tags  func(T) tags
}

func (fs filterSet[T]) check(filters []ec2Filter) *apiError {
	for _, f := range filters {
		if _, ok := fs.attrs[f.name]; ok {
			continue
		}
		if fs.tags != nil && (strings.HasPrefix(f.name, "tag:") || f.name == "tag-key") {
			continue
		}
		return badRequest("InvalidParameterValue", "The filter '%s' is invalid", f.name)
	}
	return nil
}

func (fs filterSet[T]) values(item T, name string) []string {
	if fn, ok := fs.attrs[name]; ok {
		return fn(item)
	}
	t := fs.tags(item)
	switch {
	case strings.HasPrefix(name, "tag:"):
		if v, ok := t[strings.TrimPrefix(name, "tag:")]; ok {
			return []string{v}
		}
		return nil
	}
	return t.sortedKeys() // tag-key
}

// match reports whether item passes every filter. Filter values may use the
// * and ? wildcards, as EC2's do.
func (fs filterSet[T]) match(item T, filters []ec2Filter) bool {
	for _, f := range filters {
		if !anyValueMatches(fs.values(item, f.name), f.values) {
			return false
		}
	}
	return true
}

func anyValueMatches(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if iampolicy.Glob(w, h, false) {
				return true
			}
		}
	}
	return false
}

func one(s string) []string { return []string{s} }

func boolStr(b bool) []string { return []string{strconv.FormatBool(b)} }

// describe is the common shape of EC2's Describe actions: explicit IDs
// (which must exist), filters, then a page of the sorted IDs.
func describe[T any](c *call, all map[string]T, prefix, idParam string, fs filterSet[T], min, max int) ([]T, string, *apiError) {
	if err := dryRun(c); err != nil {
		return nil, "", err
	}
	filters, err := readFilters(c)
	if err != nil {
		return nil, "", err
	}
	if err := fs.check(filters); err != nil {
		return nil, "", err
	}
	ids := c.form.strs(idParam)
	if err := lookupIDs(ids, prefix, func(id string) bool { _, ok := all[id]; return ok }); err != nil {
		return nil, "", err
	}
	var keys []string
	for id, item := range all {
		if len(ids) > 0 && !slices.Contains(ids, id) {
			continue
		}
		if fs.match(item, filters) {
			keys = append(keys, id)
		}
	}
	page, next, err := ec2Page(c, keys, min, max, false)
	if err != nil {
		return nil, "", err
	}
	out := make([]T, len(page))
	for i, id := range page {
		out[i] = all[id]
	}
	return out, next, nil
}

// --- DescribeVpcs ---

type cidrStateXML struct {
	State string `xml:"state"`
}

type cidrAssocXML struct {
	AssociationID string       `xml:"associationId"`
	CidrBlock     string       `xml:"cidrBlock"`
	State         cidrStateXML `xml:"cidrBlockState"`
}

type vpcXML struct {
	VpcID                   string                 `xml:"vpcId"`
	OwnerID                 string                 `xml:"ownerId"`
	State                   string                 `xml:"state"`
	CidrBlock               string                 `xml:"cidrBlock"`
	CidrBlockAssociationSet itemList[cidrAssocXML] `xml:"cidrBlockAssociationSet"`
	DhcpOptionsID           string                 `xml:"dhcpOptionsId"`
	TagSet                  itemList[xmlTag]       `xml:"tagSet"`
	InstanceTenancy         string                 `xml:"instanceTenancy"`
	IsDefault               bool                   `xml:"isDefault"`
}

type describeVpcsXML struct {
	ec2Meta
	Vpcs      itemList[vpcXML] `xml:"vpcSet"`
	NextToken string           `xml:"nextToken,omitempty"`
}

var vpcFilters = filterSet[*vpc]{
	attrs: map[string]func(*vpc) []string{
		"vpc-id":                            func(v *vpc) []string { return one(v.ID) },
		"cidr":                              func(v *vpc) []string { return one(v.CIDR) },
		"cidr-block-association.cidr-block": func(v *vpc) []string { return one(v.CIDR) },
		"dhcp-options-id":                   func(v *vpc) []string { return one(v.DHCPOptionsID) },
		"is-default":                        func(v *vpc) []string { return boolStr(v.IsDefault) },
		"state":                             func(v *vpc) []string { return one("available") },
		"owner-id":                          nil, // filled per call below
	},
	tags: func(v *vpc) tags { return v.Tags },
}

func describeVpcs(c *call) (any, error) {
	fs := withOwner(vpcFilters, c.key.Account)
	list, next, err := describe(c, c.reg().VPCs, "vpc-", "VpcId", fs, 5, 1000)
	if err != nil {
		return nil, err
	}
	out := &describeVpcsXML{NextToken: next, Vpcs: items([]vpcXML{})}
	for _, v := range list {
		out.Vpcs.Items = append(out.Vpcs.Items, vpcItem(v, c.key.Account, "available"))
	}
	return out, nil
}

// withOwner returns fs with its owner-id filter answering acct.
func withOwner[T any](fs filterSet[T], acct string) filterSet[T] {
	attrs := make(map[string]func(T) []string, len(fs.attrs))
	for k, v := range fs.attrs {
		attrs[k] = v
	}
	for _, name := range []string{"owner-id", "resource-owner-id", "transit-gateway-owner-id"} {
		if _, ok := attrs[name]; ok {
			attrs[name] = func(T) []string { return one(acct) }
		}
	}
	return filterSet[T]{attrs: attrs, tags: fs.tags}
}

// --- DescribeSubnets ---

type subnetXML struct {
	SubnetID                    string           `xml:"subnetId"`
	SubnetArn                   string           `xml:"subnetArn"`
	State                       string           `xml:"state"`
	OwnerID                     string           `xml:"ownerId"`
	VpcID                       string           `xml:"vpcId"`
	CidrBlock                   string           `xml:"cidrBlock"`
	Ipv6CidrBlockAssociationSet itemList[string] `xml:"ipv6CidrBlockAssociationSet"`
	AvailableIPAddressCount     int              `xml:"availableIpAddressCount"`
	AvailabilityZone            string           `xml:"availabilityZone"`
	AvailabilityZoneID          string           `xml:"availabilityZoneId"`
	DefaultForAz                bool             `xml:"defaultForAz"`
	MapPublicIPOnLaunch         bool             `xml:"mapPublicIpOnLaunch"`
	AssignIpv6AddressOnCreation bool             `xml:"assignIpv6AddressOnCreation"`
	Ipv6Native                  bool             `xml:"ipv6Native"`
	TagSet                      itemList[xmlTag] `xml:"tagSet"`
}

type describeSubnetsXML struct {
	ec2Meta
	Subnets   itemList[subnetXML] `xml:"subnetSet"`
	NextToken string              `xml:"nextToken,omitempty"`
}

var subnetFilters = filterSet[*subnet]{
	attrs: map[string]func(*subnet) []string{
		"subnet-id":            func(s *subnet) []string { return one(s.ID) },
		"vpc-id":               func(s *subnet) []string { return one(s.VPCID) },
		"cidr-block":           func(s *subnet) []string { return one(s.CIDR) },
		"cidr":                 func(s *subnet) []string { return one(s.CIDR) },
		"cidrBlock":            func(s *subnet) []string { return one(s.CIDR) },
		"availability-zone":    func(s *subnet) []string { return one(s.AZ) },
		"availabilityZone":     func(s *subnet) []string { return one(s.AZ) },
		"availability-zone-id": func(s *subnet) []string { return one(s.AZID) },
		"default-for-az":       func(s *subnet) []string { return boolStr(s.Default) },
		"defaultForAz":         func(s *subnet) []string { return boolStr(s.Default) },
		"state":                func(s *subnet) []string { return one("available") },
		"owner-id":             nil,
	},
	tags: func(s *subnet) tags { return s.Tags },
}

// availableIPs is a subnet's size less the five addresses AWS reserves.
func availableIPs(cidr string) int {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return 0
	}
	return 1<<(32-p.Bits()) - 5
}

func describeSubnets(c *call) (any, error) {
	fs := withOwner(subnetFilters, c.key.Account)
	list, next, err := describe(c, c.reg().Subnets, "subnet-", "SubnetId", fs, 5, 1000)
	if err != nil {
		return nil, err
	}
	out := &describeSubnetsXML{NextToken: next, Subnets: items([]subnetXML{})}
	r := c.reg()
	for _, s := range list {
		out.Subnets.Items = append(out.Subnets.Items, subnetItem(r, s, c.key.Account, c.acct().partition()))
	}
	return out, nil
}

// --- DescribeNetworkInterfaces ---

type privateIPXML struct {
	PrivateIPAddress string `xml:"privateIpAddress"`
	PrivateDNSName   string `xml:"privateDnsName"`
	Primary          bool   `xml:"primary"`
}

type eniXML struct {
	NetworkInterfaceID    string                 `xml:"networkInterfaceId"`
	SubnetID              string                 `xml:"subnetId"`
	VpcID                 string                 `xml:"vpcId"`
	AvailabilityZone      string                 `xml:"availabilityZone"`
	Description           string                 `xml:"description"`
	OwnerID               string                 `xml:"ownerId"`
	RequesterManaged      bool                   `xml:"requesterManaged"`
	Status                string                 `xml:"status"`
	MacAddress            string                 `xml:"macAddress"`
	PrivateIPAddress      string                 `xml:"privateIpAddress"`
	PrivateDNSName        string                 `xml:"privateDnsName"`
	SourceDestCheck       bool                   `xml:"sourceDestCheck"`
	GroupSet              itemList[string]       `xml:"groupSet"`
	TagSet                itemList[xmlTag]       `xml:"tagSet"`
	PrivateIPAddressesSet itemList[privateIPXML] `xml:"privateIpAddressesSet"`
	Ipv6AddressesSet      itemList[string]       `xml:"ipv6AddressesSet"`
	InterfaceType         string                 `xml:"interfaceType"`
}

type describeENIsXML struct {
	ec2Meta
	NetworkInterfaces itemList[eniXML] `xml:"networkInterfaceSet"`
	NextToken         string           `xml:"nextToken,omitempty"`
}

func privateDNS(ip, region string) string {
	name := "ip-" + strings.ReplaceAll(ip, ".", "-")
	if region == "us-east-1" {
		return name + ".ec2.internal"
	}
	return name + "." + region + ".compute.internal"
}

var eniFilters = filterSet[*eni]{
	attrs: map[string]func(*eni) []string{
		"network-interface-id": func(n *eni) []string { return one(n.ID) },
		"subnet-id":            func(n *eni) []string { return one(n.SubnetID) },
		"vpc-id":               func(n *eni) []string { return one(n.VPCID) },
		"availability-zone":    func(n *eni) []string { return one(n.AZ) },
		"description":          func(n *eni) []string { return one(n.Description) },
		"status":               func(n *eni) []string { return one(n.Status) },
		"interface-type":       func(n *eni) []string { return one(n.Type) },
		"mac-address":          func(n *eni) []string { return one(n.MAC) },
		"private-ip-address":   func(n *eni) []string { return one(n.PrivateIP) },
		"addresses.private-ip-address": func(n *eni) []string {
			return one(n.PrivateIP)
		},
		"requester-managed": func(n *eni) []string { return boolStr(n.RequesterManaged) },
		"group-id":          func(n *eni) []string { return nil },
		"private-dns-name":  nil, // needs the region; filled per call
		"owner-id":          nil,
	},
	tags: func(n *eni) tags { return n.Tags },
}

// DescribeNetworkInterfaces "fails unless you use pagination or one of the
// following filters: group-id, mac-address, private-dns-name,
// private-ip-address, subnet-id, or vpc-id" when an account has "a large
// number of network interfaces" (API reference). The emulator takes the
// stricter reading and refuses such calls whatever the number, unless they
// name interfaces by ID. ASSUMPTION: the error code AWS uses is not
// documented; InvalidParameterCombination is the closest EC2 code.
var eniNarrowingFilters = []string{"group-id", "mac-address", "private-dns-name", "private-ip-address", "subnet-id", "vpc-id"}

func describeNetworkInterfaces(c *call) (any, error) {
	paged := c.form.has("MaxResults") || c.form.has("NextToken")
	ids := c.form.strs("NetworkInterfaceId")
	if paged && len(ids) > 0 {
		return nil, badRequest("InvalidParameterCombination", "You cannot specify both MaxResults and NetworkInterfaceIds in the same request.")
	}
	if !paged && len(ids) == 0 && !hasFilter(c, eniNarrowingFilters) {
		return nil, badRequest("InvalidParameterCombination",
			"DescribeNetworkInterfaces must be paginated (MaxResults) or use one of the filters %s.", strings.Join(eniNarrowingFilters, ", "))
	}
	fs := withOwner(eniFilters, c.key.Account)
	fs.attrs["private-dns-name"] = func(n *eni) []string { return one(privateDNS(n.PrivateIP, c.region)) }
	list, next, err := describe(c, c.reg().ENIs, "eni-", "NetworkInterfaceId", fs, 5, 1000)
	if err != nil {
		return nil, err
	}
	out := &describeENIsXML{NextToken: next, NetworkInterfaces: items([]eniXML{})}
	for _, n := range list {
		out.NetworkInterfaces.Items = append(out.NetworkInterfaces.Items, eniItem(n, c.key.Account, c.region, n.Status))
	}
	return out, nil
}

func hasFilter(c *call, names []string) bool {
	for _, item := range c.form.items("Filter") {
		if slices.Contains(names, item.str("Name")) {
			return true
		}
	}
	return false
}

// --- DescribeTransitGateways ---

type tgwOptionsXML struct {
	AmazonSideAsn                  int64  `xml:"amazonSideAsn"`
	AutoAcceptSharedAttachments    string `xml:"autoAcceptSharedAttachments"`
	DefaultRouteTableAssociation   string `xml:"defaultRouteTableAssociation"`
	AssociationDefaultRouteTableID string `xml:"associationDefaultRouteTableId"`
	DefaultRouteTablePropagation   string `xml:"defaultRouteTablePropagation"`
	PropagationDefaultRouteTableID string `xml:"propagationDefaultRouteTableId"`
	VpnEcmpSupport                 string `xml:"vpnEcmpSupport"`
	DNSSupport                     string `xml:"dnsSupport"`
	MulticastSupport               string `xml:"multicastSupport"`
}

type tgwXML struct {
	TransitGatewayID  string           `xml:"transitGatewayId"`
	TransitGatewayArn string           `xml:"transitGatewayArn"`
	State             string           `xml:"state"`
	OwnerID           string           `xml:"ownerId"`
	Description       string           `xml:"description"`
	CreationTime      string           `xml:"creationTime"`
	Options           tgwOptionsXML    `xml:"options"`
	TagSet            itemList[xmlTag] `xml:"tagSet"`
}

type describeTGWsXML struct {
	ec2Meta
	TransitGateways itemList[tgwXML] `xml:"transitGatewaySet"`
	NextToken       string           `xml:"nextToken,omitempty"`
}

var tgwFilterSet = filterSet[*tgw]{
	attrs: map[string]func(*tgw) []string{
		"transit-gateway-id": func(t *tgw) []string { return one(t.ID) },
		"state":              func(t *tgw) []string { return one("available") },
		"owner-id":           nil,
		"options.amazon-side-asn": func(t *tgw) []string {
			return one(strconv.FormatInt(t.ASN, 10))
		},
	},
	tags: func(t *tgw) tags { return t.Tags },
}

func describeTransitGateways(c *call) (any, error) {
	fs := withOwner(tgwFilterSet, c.key.Account)
	list, next, err := describe(c, c.reg().TGWs, "tgw-", "TransitGatewayIds", fs, 5, 1000)
	if err != nil {
		return nil, err
	}
	out := &describeTGWsXML{NextToken: next, TransitGateways: items([]tgwXML{})}
	for _, t := range list {
		out.TransitGateways.Items = append(out.TransitGateways.Items, tgwXML{
			TransitGatewayID: t.ID, TransitGatewayArn: c.arn("ec2", "transit-gateway/"+t.ID),
			State: "available", OwnerID: c.key.Account, Description: t.Description, CreationTime: ec2Time(t.Created),
			Options: tgwOptionsXML{AmazonSideAsn: t.ASN, AutoAcceptSharedAttachments: "disable",
				DefaultRouteTableAssociation: "enable", AssociationDefaultRouteTableID: t.RouteTable,
				DefaultRouteTablePropagation: "enable", PropagationDefaultRouteTableID: t.RouteTable,
				VpnEcmpSupport: "enable", DNSSupport: "enable", MulticastSupport: "disable"},
			TagSet: ec2Tags(t.Tags),
		})
	}
	return out, nil
}

// --- DescribeTransitGatewayAttachments ---

type tgwAssociationXML struct {
	TransitGatewayRouteTableID string `xml:"transitGatewayRouteTableId"`
	State                      string `xml:"state"`
}

type tgwAttachmentXML struct {
	TransitGatewayAttachmentID string            `xml:"transitGatewayAttachmentId"`
	TransitGatewayID           string            `xml:"transitGatewayId"`
	TransitGatewayOwnerID      string            `xml:"transitGatewayOwnerId"`
	ResourceOwnerID            string            `xml:"resourceOwnerId"`
	ResourceType               string            `xml:"resourceType"`
	ResourceID                 string            `xml:"resourceId"`
	State                      string            `xml:"state"`
	Association                tgwAssociationXML `xml:"association"`
	CreationTime               string            `xml:"creationTime"`
	TagSet                     itemList[xmlTag]  `xml:"tagSet"`
}

type describeTGWAttachmentsXML struct {
	ec2Meta
	Attachments itemList[tgwAttachmentXML] `xml:"transitGatewayAttachments"`
	NextToken   string                     `xml:"nextToken,omitempty"`
}

var tgwAttachmentFilters = filterSet[*tgwAttachment]{
	attrs: map[string]func(*tgwAttachment) []string{
		"transit-gateway-attachment-id": func(a *tgwAttachment) []string { return one(a.ID) },
		"transit-gateway-id":            func(a *tgwAttachment) []string { return one(a.TGWID) },
		"resource-id":                   func(a *tgwAttachment) []string { return one(a.ResourceID) },
		"resource-type":                 func(a *tgwAttachment) []string { return one(a.ResourceType) },
		"state":                         func(a *tgwAttachment) []string { return one("available") },
		"association.state":             func(a *tgwAttachment) []string { return one("associated") },
		"association.transit-gateway-route-table-id": func(a *tgwAttachment) []string {
			return one(a.RouteTable)
		},
		"resource-owner-id":        func(a *tgwAttachment) []string { return one(a.ResourceOwner) },
		"transit-gateway-owner-id": func(a *tgwAttachment) []string { return one(a.TGWOwner) },
	},
	tags: func(a *tgwAttachment) tags { return a.Tags },
}

func describeTransitGatewayAttachments(c *call) (any, error) {
	list, next, err := describe(c, c.reg().TGWAttachments, "tgw-attach-", "TransitGatewayAttachmentIds", tgwAttachmentFilters, 5, 1000)
	if err != nil {
		return nil, err
	}
	out := &describeTGWAttachmentsXML{NextToken: next, Attachments: items([]tgwAttachmentXML{})}
	for _, a := range list {
		out.Attachments.Items = append(out.Attachments.Items, tgwAttachmentXML{
			TransitGatewayAttachmentID: a.ID, TransitGatewayID: a.TGWID, TransitGatewayOwnerID: a.TGWOwner,
			ResourceOwnerID: a.ResourceOwner, ResourceType: a.ResourceType, ResourceID: a.ResourceID, State: "available",
			Association:  tgwAssociationXML{a.RouteTable, "associated"},
			CreationTime: ec2Time(a.Created), TagSet: ec2Tags(a.Tags),
		})
	}
	return out, nil
}

// --- DescribeRegions ---

type regionXML struct {
	RegionName     string `xml:"regionName"`
	RegionEndpoint string `xml:"regionEndpoint"`
	OptInStatus    string `xml:"optInStatus"`
}

type describeRegionsXML struct {
	ec2Meta
	Regions itemList[regionXML] `xml:"regionInfo"`
}

var regionFilters = filterSet[regionXML]{
	attrs: map[string]func(regionXML) []string{
		"region-name":   func(r regionXML) []string { return one(r.RegionName) },
		"endpoint":      func(r regionXML) []string { return one(r.RegionEndpoint) },
		"opt-in-status": func(r regionXML) []string { return one(r.OptInStatus) },
	},
}

func describeRegions(c *call) (any, error) {
	if err := dryRun(c); err != nil {
		return nil, err
	}
	filters, aerr := readFilters(c)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := regionFilters.check(filters); aerr != nil {
		return nil, aerr
	}
	a := c.acct()
	var all []regionXML
	for _, name := range regionsIn(a.partition()) {
		status := "opt-in-not-required"
		if isOptInRegion(name) {
			status = "not-opted-in"
			if a.regionEnabled(name) {
				status = "opted-in"
			}
		}
		// "You can specify any Regions, whether they are enabled and
		// disabled for your account" (RegionName.N): a region named is
		// listed whatever its status; otherwise disabled ones only with
		// AllRegions.
		if status == "not-opted-in" && c.form.str("AllRegions") != "true" && !slices.Contains(c.form.strs("RegionName"), name) {
			continue
		}
		endpoint := "ec2." + name + ".amazonaws.com"
		if a.partition() == "aws-cn" {
			endpoint += ".cn"
		}
		all = append(all, regionXML{name, endpoint, status})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].RegionName < all[j].RegionName })
	names := c.form.strs("RegionName")
	for _, n := range names {
		if !slices.Contains(regionsIn(a.partition()), n) {
			return nil, badRequest("InvalidParameterValue", "Invalid region: %s", n)
		}
	}
	out := &describeRegionsXML{Regions: items([]regionXML{})}
	for _, r := range all {
		if (len(names) == 0 || slices.Contains(names, r.RegionName)) && regionFilters.match(r, filters) {
			out.Regions.Items = append(out.Regions.Items, r)
		}
	}
	return out, nil
}
