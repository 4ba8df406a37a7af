package awsemu

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// The emulator has no traffic, so it makes some up: each network interface
// that carries traffic sees a few flows every minute, chosen by a generator
// seeded with the world's seed, the interface and the minute. Each flow
// starts and ends within its minute, as on interfaces of Nitro instances,
// whose "aggregation interval is always 1 minute or less, regardless of
// the specified maximum aggregation interval"; a 10-minute capture window
// holds ten minutes of them. The same interface and minute always give the
// same flows, whichever flow log records them and whenever it is asked; a
// flow log's format then picks the fields of each record, and its traffic
// type which flows it records.
// Values follow the "Available fields" table of the VPC user guide's "Flow
// log records" page: ports and protocol numbers, packet and byte counts,
// Unix-second start and end times inside the capture window, ACCEPT or
// REJECT, log-status OK, and "-" where a field does not apply.

// flow is one flow an interface saw in one capture window.
type flow struct {
	account, region string
	eni             *eni
	subnet          *subnet // nil when the interface's subnet is unknown
	start, end      int64   // Unix seconds, start <= end, both in the flow's minute
	ingress         bool
	src, dst        string
	srcPort         int
	dstPort         int
	protocol        int
	packets, bytes  int64
	action          string
	tcpFlags        int
	trafficPath     int // 0: not applicable (ingress)
	srcService      string
	dstService      string
	encryption      int
	instanceID      string
}

// servicePorts are the ports inbound flows are aimed at.
var servicePorts = []int{443, 443, 80, 22, 5432, 8080, 3389}

// flowMinute is the span the generator makes flows for.
const flowMinute = time.Minute

// flowsFor returns the flows n saw in the minute that starts at ws; none
// when the interface carries no traffic.
func flowsFor(seed int64, acct, regionName string, n *eni, sub *subnet, ws time.Time) []flow {
	if n.NoTraffic {
		return nil
	}
	h := fnv.New64a()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	h.Write(b[:])
	h.Write([]byte(n.ID))
	binary.BigEndian.PutUint64(b[:], uint64(ws.Unix()))
	h.Write(b[:])
	sum := h.Sum64()
	r := rand.New(rand.NewPCG(sum, sum^0x9e3779b97f4a7c15))
	own := n.PrivateIP
	instance := "-"
	if n.Type == "interface" {
		// An interface of the "interface" type belongs to an instance
		// the emulator does not model; its ID is derived from the ENI's.
		instance = "i-" + strings.TrimPrefix(n.ID, "eni-")
	}
	winSecs := int64(flowMinute / time.Second)
	count := 1 + r.IntN(3)
	out := make([]flow, 0, count)
	for i := 0; i < count; i++ {
		f := flow{account: acct, region: regionName, eni: n, subnet: sub, instanceID: instance,
			action: "ACCEPT", protocol: 6, encryption: r.IntN(2)}
		f.start = ws.Unix() + r.Int64N(winSecs-1)
		f.end = f.start + r.Int64N(ws.Unix()+winSecs-f.start)
		f.packets = 1 + r.Int64N(400)
		f.bytes = f.packets * (52 + r.Int64N(1348))
		ephemeral := 32768 + r.IntN(28232)
		switch kind := r.IntN(10); {
		case kind < 6: // inbound to a service port
			f.ingress = true
			f.dstPort = servicePorts[r.IntN(len(servicePorts))]
			f.srcPort = ephemeral
			f.dst = own
			if r.IntN(3) == 0 {
				f.src = peerInSubnet(sub, r)
			} else {
				f.src = fmt.Sprintf("203.0.113.%d", 1+r.IntN(254))
			}
			// Remote administration from outside, and some scans, are refused.
			scan := r.IntN(8) == 0
			admin := f.dstPort == 22 || f.dstPort == 3389
			if scan || admin && strings.HasPrefix(f.src, "203.") {
				f.action = "REJECT"
				f.packets = 1 + r.Int64N(3)
				f.bytes = f.packets * 44
			}
		case kind < 8: // outbound HTTPS, to S3 or elsewhere
			f.src, f.srcPort, f.dstPort = own, ephemeral, 443
			if r.IntN(2) == 0 {
				f.dst = fmt.Sprintf("52.216.%d.%d", r.IntN(256), 1+r.IntN(254))
				f.dstService = "S3"
				f.trafficPath = 7 // through a gateway VPC endpoint
			} else {
				f.dst = fmt.Sprintf("198.51.100.%d", 1+r.IntN(254))
				f.trafficPath = 8 // through an internet gateway
			}
		case kind < 9: // DNS to the VPC resolver
			f.src, f.srcPort, f.dstPort, f.protocol = own, ephemeral, 53, 17
			f.dst = resolverOf(sub)
			f.trafficPath = 1
		default: // a ping from a neighbour
			f.ingress, f.protocol = true, 1
			f.src, f.dst = peerInSubnet(sub, r), own
			f.packets = 1 + r.Int64N(5)
			f.bytes = f.packets * 84
		}
		if f.protocol == 6 {
			switch {
			case f.action == "REJECT":
				f.tcpFlags = 2 // SYN only
			default:
				f.tcpFlags = []int{3, 18, 19, 1, 0}[r.IntN(5)]
			}
		}
		out = append(out, f)
	}
	return out
}

// peerInSubnet is another address of the interface's subnet (AWS reserves
// the first four and the last).
func peerInSubnet(sub *subnet, r *rand.Rand) string {
	if sub != nil {
		if p, err := netip.ParsePrefix(sub.CIDR); err == nil && p.Addr().Is4() {
			size := uint32(1) << (32 - p.Bits())
			base := binary.BigEndian.Uint32(p.Masked().Addr().AsSlice())
			host := 4 + uint32(r.IntN(int(min(size-5, 250))))
			var a [4]byte
			binary.BigEndian.PutUint32(a[:], base+host)
			return netip.AddrFrom4(a).String()
		}
	}
	return fmt.Sprintf("10.0.0.%d", 4+r.IntN(200))
}

// resolverOf is the Amazon DNS server an interface asks: the subnet's
// network address plus two. (The VPC guide places the resolver at the VPC
// CIDR's base plus two; the emulator uses the subnet's, which is the VPC's
// for the first subnet and a plausible private address otherwise.)
func resolverOf(sub *subnet) string {
	if sub != nil {
		if p, err := netip.ParsePrefix(sub.CIDR); err == nil && p.Addr().Is4() {
			var a [4]byte
			binary.BigEndian.PutUint32(a[:], binary.BigEndian.Uint32(p.Masked().Addr().AsSlice())+2)
			return netip.AddrFrom4(a).String()
		}
	}
	return "10.0.0.2"
}

// records sees f through flow log fl: false when the flow log's traffic
// type does not record it.
func (f *flow) recordedBy(fl *flowLog) bool {
	switch fl.TrafficType {
	case "ACCEPT":
		return f.action == "ACCEPT"
	case "REJECT":
		return f.action == "REJECT"
	}
	return true
}

// recordField renders one field of a flow's record; "-" marks a value that
// does not apply, as AWS writes it.
type recordField func(f *flow, fl *flowLog) string

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// recordFields has an entry for every field of vpcFields except version,
// which depends on the whole format (see formatVersion).
var recordFields = map[string]recordField{
	"account-id":   func(f *flow, _ *flowLog) string { return f.account },
	"interface-id": func(f *flow, _ *flowLog) string { return f.eni.ID },
	"srcaddr":      func(f *flow, _ *flowLog) string { return f.src },
	"dstaddr":      func(f *flow, _ *flowLog) string { return f.dst },
	"srcport":      func(f *flow, _ *flowLog) string { return strconv.Itoa(f.srcPort) },
	"dstport":      func(f *flow, _ *flowLog) string { return strconv.Itoa(f.dstPort) },
	"protocol":     func(f *flow, _ *flowLog) string { return strconv.Itoa(f.protocol) },
	"packets":      func(f *flow, _ *flowLog) string { return strconv.FormatInt(f.packets, 10) },
	"bytes":        func(f *flow, _ *flowLog) string { return strconv.FormatInt(f.bytes, 10) },
	"start":        func(f *flow, _ *flowLog) string { return strconv.FormatInt(f.start, 10) },
	"end":          func(f *flow, _ *flowLog) string { return strconv.FormatInt(f.end, 10) },
	"action":       func(f *flow, _ *flowLog) string { return f.action },
	"log-status":   func(*flow, *flowLog) string { return "OK" },
	"vpc-id":       func(f *flow, _ *flowLog) string { return f.eni.VPCID },
	"subnet-id":    func(f *flow, _ *flowLog) string { return f.eni.SubnetID },
	"instance-id":  func(f *flow, _ *flowLog) string { return f.instanceID },
	"tcp-flags":    func(f *flow, _ *flowLog) string { return strconv.Itoa(f.tcpFlags) },
	"type":         func(*flow, *flowLog) string { return "IPv4" },
	"pkt-srcaddr":  func(f *flow, _ *flowLog) string { return f.src },
	"pkt-dstaddr":  func(f *flow, _ *flowLog) string { return f.dst },
	"region":       func(f *flow, _ *flowLog) string { return f.region },
	"az-id": func(f *flow, _ *flowLog) string {
		if f.subnet == nil {
			return "-"
		}
		return f.subnet.AZID
	},
	"sublocation-type":    func(*flow, *flowLog) string { return "-" },
	"sublocation-id":      func(*flow, *flowLog) string { return "-" },
	"pkt-src-aws-service": func(f *flow, _ *flowLog) string { return dash(f.srcService) },
	"pkt-dst-aws-service": func(f *flow, _ *flowLog) string { return dash(f.dstService) },
	"flow-direction": func(f *flow, _ *flowLog) string {
		if f.ingress {
			return "ingress"
		}
		return "egress"
	},
	"traffic-path": func(f *flow, _ *flowLog) string {
		if f.trafficPath == 0 {
			return "-"
		}
		return strconv.Itoa(f.trafficPath)
	},
	// No ECS tasks run in the emulator.
	"ecs-cluster-arn":            noValue,
	"ecs-cluster-name":           noValue,
	"ecs-container-instance-arn": noValue,
	"ecs-container-instance-id":  noValue,
	"ecs-container-id":           noValue,
	"ecs-second-container-id":    noValue,
	"ecs-service-name":           noValue,
	"ecs-task-definition-arn":    noValue,
	"ecs-task-arn":               noValue,
	"ecs-task-id":                noValue,
	// The emulator models no block public access, the only documented
	// reason AWS records.
	"reject-reason": noValue,
	// resource-id names a regional NAT gateway, which the emulator lacks.
	"resource-id":       noValue,
	"encryption-status": func(f *flow, _ *flowLog) string { return strconv.Itoa(f.encryption) },
	// Interfaces carry tags; instances and Auto Scaling groups are not
	// modelled, so their tag fields are always "-".
	"interface-tag":   func(f *flow, fl *flowLog) string { return tagValue(f.eni.Tags, fl, "network-interface", 0) },
	"interface-tag-2": func(f *flow, fl *flowLog) string { return tagValue(f.eni.Tags, fl, "network-interface", 1) },
	"instance-tag":    noValue,
	"instance-tag-2":  noValue,
	"asg-tag":         noValue,
	"asg-tag-2":       noValue,
}

func noValue(*flow, *flowLog) string { return "-" }

// tagValue is the value of the i-th tag key a TagFieldSpecification of the
// resource type names, or "-".
func tagValue(t tags, fl *flowLog, resourceType string, i int) string {
	for _, s := range fl.TagFieldSpecs {
		if s.ResourceType == resourceType && i < len(s.TagKeys) {
			return dash(t[s.TagKeys[i]])
		}
	}
	return "-"
}

// formatFields splits a stored LogFormat into field names.
func formatFields(format string) []string {
	names := strings.Fields(format)
	for i, n := range names {
		names[i] = strings.TrimSuffix(strings.TrimPrefix(n, "${"), "}")
	}
	return names
}

// formatVersion is the version of records in the format: "the highest
// version among the specified fields".
func formatVersion(fields []string) int {
	v := 2
	for _, f := range fields {
		v = max(v, fieldVersion[f])
	}
	return v
}

// record renders a flow's record in the flow log's fields.
func (f *flow) record(fields []string, version int, fl *flowLog) []string {
	out := make([]string, len(fields))
	for i, name := range fields {
		if name == "version" {
			out[i] = strconv.Itoa(version)
			continue
		}
		if fn := recordFields[name]; fn != nil {
			out[i] = fn(f, fl)
		} else {
			out[i] = "-"
		}
	}
	return out
}
