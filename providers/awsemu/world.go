package awsemu

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// World is the YAML file that seeds an emulator: accounts and their
// credentials, networks, flow logs, log groups, roles, buckets and the
// organisation tree. IDs may be given or left out; missing IDs are generated
// deterministically from Seed in AWS's formats.
type World struct {
	// Seed drives generated IDs and secrets.
	Seed int64 `yaml:"seed"`
	// Credentials are long-lived access keys. The one marked sandbox (or the
	// first) is what SandboxCredentials returns. When none are given, one is
	// generated for the first account.
	Credentials []WorldCredential `yaml:"credentials"`
	Accounts    []WorldAccount    `yaml:"accounts"`
	// Organization, when set, makes the accounts an AWS Organization.
	Organization *WorldOrganization `yaml:"organization"`
}

// WorldCredential is an access key and the principal it belongs to.
type WorldCredential struct {
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
	Account         string `yaml:"account"`
	// ARN is the principal; default arn:PARTITION:iam::<account>:user/sandbox.
	ARN     string `yaml:"arn"`
	Sandbox bool   `yaml:"sandbox"`
}

// WorldAccount is one AWS account.
type WorldAccount struct {
	ID    string `yaml:"id"`
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
	// Status is the Organizations status: ACTIVE (default) or SUSPENDED.
	Status string `yaml:"status"`
	// Partition is aws, aws-cn or aws-us-gov. When absent it is the
	// partition of the account's regions (cn-north-1: aws-cn), else aws.
	Partition string `yaml:"partition"`
	// OptInRegions are opt-in regions the account has enabled.
	OptInRegions []string               `yaml:"opt_in_regions"`
	Regions      map[string]WorldRegion `yaml:"regions"`
	Roles        []WorldRole            `yaml:"roles"`
	Buckets      []WorldBucket          `yaml:"buckets"`
}

// WorldRegion holds an account-region's resources.
type WorldRegion struct {
	VPCs            []WorldVPC            `yaml:"vpcs"`
	NATGateways     []WorldNATGateway     `yaml:"nat_gateways"`
	TransitGateways []WorldTGW            `yaml:"transit_gateways"`
	LogGroups       []WorldLogGroup       `yaml:"log_groups"`
	DeliveryStreams []WorldDeliveryStream `yaml:"delivery_streams"`
	FlowLogs        []WorldFlowLog        `yaml:"flow_logs"`
}

// WorldVPC is a VPC. Name, when set, becomes the Name tag and lets flow
// logs and attachments refer to the VPC.
type WorldVPC struct {
	ID      string            `yaml:"id"`
	Name    string            `yaml:"name"`
	CIDR    string            `yaml:"cidr"`
	Default bool              `yaml:"default"`
	Tags    map[string]string `yaml:"tags"`
	Subnets []WorldSubnet     `yaml:"subnets"`
}

// WorldSubnet is a subnet of its VPC.
type WorldSubnet struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	CIDR string            `yaml:"cidr"`
	AZ   string            `yaml:"az"`
	Tags map[string]string `yaml:"tags"`
	ENIs []WorldENI        `yaml:"enis"`
}

// WorldENI is a network interface in its subnet.
type WorldENI struct {
	ID          string            `yaml:"id"`
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Type        string            `yaml:"type"`
	Tags        map[string]string `yaml:"tags"`
	// Traffic false makes an interface idle: its flow logs deliver no
	// records, so their newest record ages (a stale unit). Default true.
	Traffic *bool `yaml:"traffic"`
}

// WorldNATGateway is a NAT gateway. A regional one (availability_mode:
// regional) belongs to a VPC; a zonal one (the default) to a subnet, where
// it gets a requester-managed network interface. VPC and Subnet are IDs or
// world names.
type WorldNATGateway struct {
	ID               string            `yaml:"id"`
	Name             string            `yaml:"name"`
	AvailabilityMode string            `yaml:"availability_mode"`
	ConnectivityType string            `yaml:"connectivity_type"`
	VPC              string            `yaml:"vpc"`
	Subnet           string            `yaml:"subnet"`
	Tags             map[string]string `yaml:"tags"`
}

// WorldTGW is a transit gateway with its attachments.
type WorldTGW struct {
	ID          string            `yaml:"id"`
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Tags        map[string]string `yaml:"tags"`
	Attachments []WorldAttachment `yaml:"attachments"`
}

// WorldAttachment attaches a VPC (by ID or name) to its transit gateway.
type WorldAttachment struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	VPC  string            `yaml:"vpc"`
	Tags map[string]string `yaml:"tags"`
}

// WorldLogGroup is a CloudWatch Logs log group.
type WorldLogGroup struct {
	Name          string            `yaml:"name"`
	RetentionDays int               `yaml:"retention_days"`
	KMSKeyID      string            `yaml:"kms_key_id"`
	Tags          map[string]string `yaml:"tags"`
}

// WorldDeliveryStream is a Firehose delivery stream.
type WorldDeliveryStream struct {
	Name   string            `yaml:"name"`
	Status string            `yaml:"status"`
	Tags   map[string]string `yaml:"tags"`
}

// WorldFlowLog is a flow log that exists before flowplan runs. It is
// created through the same validation as CreateFlowLogs.
type WorldFlowLog struct {
	ID string `yaml:"id"`
	// Resource is a VPC, subnet, ENI, regional NAT gateway, transit gateway
	// or attachment, by ID or world name.
	Resource    string `yaml:"resource"`
	TrafficType string `yaml:"traffic_type"`
	// DestinationType defaults to cloud-watch-logs.
	DestinationType string `yaml:"destination_type"`
	Destination     string `yaml:"destination"`
	LogGroup        string `yaml:"log_group"`
	// Role is the DeliverLogsPermissionArn; a bare name means a role of
	// this account.
	Role                   string                   `yaml:"role"`
	CrossAccountRole       string                   `yaml:"cross_account_role"`
	LogFormat              string                   `yaml:"log_format"`
	MaxAggregationInterval int                      `yaml:"max_aggregation_interval"`
	DestinationOptions     *WorldDestinationOptions `yaml:"destination_options"`
	Tags                   map[string]string        `yaml:"tags"`
}

// WorldDestinationOptions are an S3 flow log's destination options.
type WorldDestinationOptions struct {
	FileFormat               string `yaml:"file_format"`
	HiveCompatiblePartitions bool   `yaml:"hive_compatible_partitions"`
	PerHourPartition         bool   `yaml:"per_hour_partition"`
}

// WorldRole is an IAM role. Policies may be YAML mappings or JSON strings.
type WorldRole struct {
	// ID is the role's unique ID ("AROA" and 17 upper-case letters or
	// digits); generated when empty. Giving it keeps the IDs generated
	// after the role unchanged when a role is added to a world.
	ID                 string               `yaml:"id"`
	Name               string               `yaml:"name"`
	Path               string               `yaml:"path"`
	Description        string               `yaml:"description"`
	MaxSessionDuration int                  `yaml:"max_session_duration"`
	TrustPolicy        yaml.Node            `yaml:"trust_policy"`
	Policies           map[string]yaml.Node `yaml:"policies"`
	Tags               map[string]string    `yaml:"tags"`
}

// WorldBucket is an S3 bucket owned by its account.
type WorldBucket struct {
	Name   string    `yaml:"name"`
	Region string    `yaml:"region"`
	Policy yaml.Node `yaml:"policy"`
}

// WorldOrganization is the organisation tree.
type WorldOrganization struct {
	ID                string   `yaml:"id"`
	ManagementAccount string   `yaml:"management_account"`
	DelegatedAdmins   []string `yaml:"delegated_admins"`
	Root              WorldOU  `yaml:"root"`
}

// WorldOU is the root or an organizational unit.
type WorldOU struct {
	ID       string    `yaml:"id"`
	Name     string    `yaml:"name"`
	Accounts []string  `yaml:"accounts"`
	OUs      []WorldOU `yaml:"ous"`
}

// worldEpoch is the creation time of everything a world file creates, so
// that a world always produces the same state.
var worldEpoch = time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)

// ParseWorld decodes a world file strictly: unknown keys are errors.
func ParseWorld(r io.Reader) (*World, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var w World
	if err := dec.Decode(&w); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("world is empty")
		}
		return nil, err
	}
	return &w, nil
}

// LoadWorldFile replaces the emulator's state with the world in path.
func (e *Emulator) LoadWorldFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("load world: %w", err)
	}
	defer f.Close()
	if err := e.LoadWorld(f); err != nil {
		return fmt.Errorf("load world %s: %w", path, err)
	}
	return nil
}

// LoadWorld replaces the emulator's state with the world read from r.
func (e *Emulator) LoadWorld(r io.Reader) error {
	w, err := ParseWorld(r)
	if err != nil {
		return err
	}
	return e.ApplyWorld(w)
}

// ApplyWorld replaces the emulator's state with w.
func (e *Emulator) ApplyWorld(w *World) error {
	seed := w.Seed
	if seed == 0 {
		seed = e.opts.Seed
	}
	b := &worldBuilder{e: e, st: newState(seed), names: map[string]map[string]string{}}
	if err := b.build(w); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st = b.st
	e.pumps.allChanged()
	return nil
}

type worldBuilder struct {
	e  *Emulator
	st *state
	// names maps "<account>/<region>" → world name → resource ID.
	names map[string]map[string]string
}

var (
	accountIDPattern = regexp.MustCompile(`^\d{12}$`)
	roleIDPattern    = regexp.MustCompile(`^AROA[A-Z0-9]{17}$`)
)

func (b *worldBuilder) build(w *World) error {
	if len(w.Accounts) == 0 {
		return fmt.Errorf("accounts: at least one account is required")
	}
	for i, wa := range w.Accounts {
		if err := b.addAccount(wa); err != nil {
			return fmt.Errorf("accounts[%d] (%s): %w", i, wa.ID, err)
		}
	}
	if err := b.addCredentials(w.Credentials, w.Accounts[0].ID); err != nil {
		return err
	}
	for _, wa := range w.Accounts {
		for _, wb := range wa.Buckets {
			if err := b.addBucket(wa.ID, wb); err != nil {
				return fmt.Errorf("account %s: bucket %q: %w", wa.ID, wb.Name, err)
			}
		}
	}
	for _, wa := range w.Accounts {
		for _, name := range sortedRegionNames(wa.Regions) {
			if err := b.addRegion(wa.ID, name, wa.Regions[name]); err != nil {
				return fmt.Errorf("account %s region %s: %w", wa.ID, name, err)
			}
		}
	}
	if w.Organization != nil {
		if err := b.addOrganization(w.Organization); err != nil {
			return fmt.Errorf("organization: %w", err)
		}
	}
	return nil
}

func sortedRegionNames(m map[string]WorldRegion) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (b *worldBuilder) addAccount(wa WorldAccount) error {
	if !accountIDPattern.MatchString(wa.ID) {
		return fmt.Errorf("id must be 12 digits")
	}
	if _, dup := b.st.Accounts[wa.ID]; dup {
		return fmt.Errorf("account listed twice")
	}
	a := b.st.accountOf(wa.ID)
	a.Name, a.Email, a.OptInRegions = wa.Name, wa.Email, wa.OptInRegions
	p := wa.Partition
	if p == "" {
		p = partitionAWS
		if names := sortedRegionNames(wa.Regions); len(names) > 0 {
			p = partitionOf(names[0])
		}
	}
	if !knownPartition(p) {
		return fmt.Errorf("partition %q must be aws, aws-cn or aws-us-gov", p)
	}
	if p != partitionAWS {
		a.Partition = p
	}
	if a.Email == "" && a.Name != "" {
		a.Email = a.Name + "@example.com"
	}
	switch wa.Status {
	case "", "ACTIVE":
		a.Status = "ACTIVE"
	case "SUSPENDED":
		a.Status = "SUSPENDED"
	default:
		return fmt.Errorf("status %q must be ACTIVE or SUSPENDED", wa.Status)
	}
	for _, name := range sortedRegionNames(wa.Regions) {
		if !a.regionEnabled(name) {
			return fmt.Errorf("region %q is not a known region enabled for the account (partition %s)", name, p)
		}
	}
	for i, wr := range wa.Roles {
		if err := b.addRole(a, wr); err != nil {
			return fmt.Errorf("roles[%d] (%s): %w", i, wr.Name, err)
		}
	}
	return nil
}

func (b *worldBuilder) addCredentials(creds []WorldCredential, firstAccount string) error {
	if len(creds) == 0 {
		creds = []WorldCredential{{Account: firstAccount, Sandbox: true}}
	}
	for i, wc := range creds {
		if b.st.Accounts[wc.Account] == nil {
			return fmt.Errorf("credentials[%d]: account %q is not in accounts", i, wc.Account)
		}
		k := &accessKey{AccessKeyID: wc.AccessKeyID, SecretAccessKey: wc.SecretAccessKey,
			Account: wc.Account, ARN: wc.ARN, Sandbox: wc.Sandbox}
		if k.AccessKeyID == "" {
			k.AccessKeyID = b.st.accessKeyID(false)
		}
		if k.SecretAccessKey == "" {
			k.SecretAccessKey = b.st.secret()
		}
		if k.ARN == "" {
			k.ARN = iamARN(b.st.Accounts[wc.Account].partition(), wc.Account, "user/sandbox")
		}
		k.UserID = userIDFor(b.st, k.ARN, wc.Account)
		if _, dup := b.st.Keys[k.AccessKeyID]; dup {
			return fmt.Errorf("credentials[%d]: access key %s listed twice", i, k.AccessKeyID)
		}
		b.st.Keys[k.AccessKeyID] = k
	}
	return nil
}

// userIDFor is GetCallerIdentity's UserId: the account ID for the root,
// "AIDA..." for an IAM user.
func userIDFor(st *state, arn, acct string) string {
	if strings.HasSuffix(arn, ":root") {
		return acct
	}
	return "AIDA" + st.alnum(upperAlnum, 17)
}

// policyText turns a world policy (a YAML mapping or a JSON string) into
// JSON, keeping the mapping's key order so that documents read as written.
func policyText(n yaml.Node) (string, error) {
	switch {
	case n.Kind == 0:
		return "", nil
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str":
		return n.Value, nil
	}
	var buf bytes.Buffer
	if err := yamlToJSON(&buf, &n); err != nil {
		return "", fmt.Errorf("line %d: policy is not representable as JSON: %w", n.Line, err)
	}
	return buf.String(), nil
}

func yamlToJSON(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.AliasNode:
		// A policy written once with an &anchor and reused with *anchor.
		if n.Alias == nil {
			return fmt.Errorf("alias %q names no anchor", n.Value)
		}
		return yamlToJSON(buf, n.Alias)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return fmt.Errorf("empty node")
		}
		return yamlToJSON(buf, n.Content[0])
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSONValue(buf, n.Content[i].Value); err != nil {
				return err
			}
			buf.WriteByte(':')
			if err := yamlToJSON(buf, n.Content[i+1]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := yamlToJSON(buf, c); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	default:
		switch n.Tag {
		case "!!int", "!!float", "!!bool":
			buf.WriteString(n.Value)
		case "!!null":
			buf.WriteString("null")
		default:
			return writeJSONValue(buf, n.Value)
		}
	}
	return nil
}

func writeJSONValue(buf *bytes.Buffer, v string) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1)
	return nil
}

func (b *worldBuilder) addRole(a *account, wr WorldRole) error {
	trust, err := policyText(wr.TrustPolicy)
	if err != nil {
		return err
	}
	policies := map[string]string{}
	for name, v := range wr.Policies {
		if policies[name], err = policyText(v); err != nil {
			return fmt.Errorf("policy %s: %w", name, err)
		}
	}
	var tagList []tagPair
	for _, k := range tags(wr.Tags).sortedKeys() {
		tagList = append(tagList, tagPair{k, wr.Tags[k]})
	}
	if wr.ID != "" && !roleIDPattern.MatchString(wr.ID) {
		return fmt.Errorf("id %q is not a role ID (AROA and 17 upper-case letters or digits)", wr.ID)
	}
	in := createRoleInput{id: wr.ID, name: wr.Name, path: wr.Path, trust: trust, description: wr.Description,
		maxSession: wr.MaxSessionDuration, tags: tagList}
	r, aerr := createRole(b.st, a, in, worldEpoch)
	if aerr != nil {
		return aerr
	}
	names := make([]string, 0, len(policies))
	for n := range policies {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if aerr := putRolePolicy(a, r, n, policies[n]); aerr != nil {
			return fmt.Errorf("policy %s: %w", n, aerr)
		}
	}
	return nil
}

func (b *worldBuilder) addBucket(owner string, wb WorldBucket) error {
	p := b.st.partitionOfAccount(owner)
	if wb.Region == "" {
		wb.Region = regionsIn(p)[0]
		if p == partitionAWS {
			wb.Region = "us-east-1"
		}
	}
	if !isKnownRegion(wb.Region) || partitionOf(wb.Region) != p {
		return fmt.Errorf("region %q is not a known region of the owner's partition %s", wb.Region, p)
	}
	if err := validBucketName(wb.Name); err != nil {
		return err
	}
	if _, dup := b.st.Buckets[wb.Name]; dup {
		return fmt.Errorf("bucket name already used")
	}
	bk := &bucket{Name: wb.Name, Owner: owner, Region: wb.Region, Created: worldEpoch}
	b.st.Buckets[wb.Name] = bk
	doc, err := policyText(wb.Policy)
	if err != nil || doc == "" {
		return err
	}
	stored, aerr := checkBucketPolicy(b.st, bk, doc)
	if aerr != nil {
		return aerr
	}
	bk.Policy = stored
	return nil
}

func (b *worldBuilder) nameTable(acct, reg string) map[string]string {
	k := acct + "/" + reg
	if b.names[k] == nil {
		b.names[k] = map[string]string{}
	}
	return b.names[k]
}

func (b *worldBuilder) remember(acct, reg, name, id string) error {
	if name == "" {
		return nil
	}
	t := b.nameTable(acct, reg)
	if _, dup := t[name]; dup {
		return fmt.Errorf("name %q is used twice in the region", name)
	}
	t[name] = id
	return nil
}

// resolve turns a world name or an ID into an ID.
func (b *worldBuilder) resolve(acct, reg, ref string) string {
	if id, ok := b.nameTable(acct, reg)[ref]; ok {
		return id
	}
	return ref
}

func withName(t map[string]string, name string) tags {
	out := tags{}
	for k, v := range t {
		out[k] = v
	}
	if name != "" {
		if _, ok := out["Name"]; !ok {
			out["Name"] = name
		}
	}
	return out
}

func (b *worldBuilder) id(given, prefix string) string {
	if given != "" {
		return given
	}
	return b.st.hexID(prefix)
}

func (b *worldBuilder) addRegion(acct, name string, wr WorldRegion) error {
	a := b.st.Accounts[acct]
	r := a.regionOf(name)
	for i, wv := range wr.VPCs {
		if err := b.addVPC(acct, r, wv); err != nil {
			return fmt.Errorf("vpcs[%d] (%s): %w", i, cmp.Or(wv.Name, wv.ID), err)
		}
	}
	for i, wn := range wr.NATGateways {
		if err := b.addNATGateway(acct, r, wn); err != nil {
			return fmt.Errorf("nat_gateways[%d] (%s): %w", i, cmp.Or(wn.Name, wn.ID), err)
		}
	}
	for i, wt := range wr.TransitGateways {
		if err := b.addTGW(acct, r, wt); err != nil {
			return fmt.Errorf("transit_gateways[%d] (%s): %w", i, cmp.Or(wt.Name, wt.ID), err)
		}
	}
	for i, wl := range wr.LogGroups {
		if aerr := validLogGroupName(wl.Name); aerr != nil {
			return fmt.Errorf("log_groups[%d]: %s", i, aerr.Message)
		}
		if wl.RetentionDays != 0 && !slices.Contains(retentionDays, fmt.Sprint(wl.RetentionDays)) {
			return fmt.Errorf("log_groups[%d] (%s): retention_days %d is not a value CloudWatch Logs accepts", i, wl.Name, wl.RetentionDays)
		}
		r.LogGroups[wl.Name] = &logGroup{Name: wl.Name, Created: worldEpoch, RetentionDays: wl.RetentionDays,
			KMSKeyID: wl.KMSKeyID, Class: "STANDARD", Tags: withName(wl.Tags, "")}
	}
	for i, ws := range wr.DeliveryStreams {
		status := cmp.Or(ws.Status, "ACTIVE")
		if ws.Name == "" {
			return fmt.Errorf("delivery_streams[%d]: name is required", i)
		}
		r.DeliveryStreams[ws.Name] = &deliveryStream{Name: ws.Name, Status: status, Created: worldEpoch, Tags: withName(ws.Tags, "")}
	}
	for i, wf := range wr.FlowLogs {
		if err := b.addFlowLog(acct, r, wf); err != nil {
			return fmt.Errorf("flow_logs[%d] (%s): %w", i, wf.Resource, err)
		}
	}
	return nil
}

func (b *worldBuilder) addVPC(acct string, r *region, wv WorldVPC) error {
	prefix, aerr := parseIPv4CIDR(wv.CIDR, "cidr")
	if aerr == nil {
		aerr = checkVPCCIDR(prefix)
	}
	if aerr != nil {
		return fmt.Errorf("cidr %q must be an IPv4 block between /16 and /28, as CreateVpc takes: %s", wv.CIDR, aerr.Message)
	}
	v := &vpc{ID: b.id(wv.ID, "vpc-"), CIDR: prefix.String(), IsDefault: wv.Default,
		Tags: withName(wv.Tags, wv.Name), Created: worldEpoch}
	if !validID(v.ID, "vpc-") {
		return fmt.Errorf("id %q is not a VPC ID", v.ID)
	}
	v.DHCPOptionsID = b.st.hexID("dopt-")
	v.AssociationID = b.st.hexID("vpc-cidr-assoc-")
	if err := b.unique(r, v.ID); err != nil {
		return err
	}
	r.VPCs[v.ID] = v
	if err := b.remember(acct, r.Name, wv.Name, v.ID); err != nil {
		return err
	}
	for i, ws := range wv.Subnets {
		if err := b.addSubnet(acct, r, v, ws); err != nil {
			return fmt.Errorf("subnets[%d] (%s): %w", i, cmp.Or(ws.Name, ws.ID), err)
		}
	}
	return nil
}

func (b *worldBuilder) unique(r *region, id string) error {
	if r.VPCs[id] != nil || r.Subnets[id] != nil || r.ENIs[id] != nil || r.TGWs[id] != nil || r.TGWAttachments[id] != nil ||
		r.NATGateways[id] != nil {
		return fmt.Errorf("id %s is used twice", id)
	}
	return nil
}

func (b *worldBuilder) addSubnet(acct string, r *region, v *vpc, ws WorldSubnet) error {
	prefix, aerr := parseIPv4CIDR(ws.CIDR, "cidr")
	if aerr == nil {
		aerr = checkSubnetCIDR(r, v, prefix)
	}
	if aerr != nil {
		return fmt.Errorf("cidr %q must be an IPv4 block of at most /28 inside the VPC's %s, overlapping no other subnet: %s", ws.CIDR, v.CIDR, aerr.Message)
	}
	if !slices.Contains(availabilityZones(r.Name), ws.AZ) {
		return fmt.Errorf("az %q is not an availability zone of %s (%s)", ws.AZ, r.Name, strings.Join(availabilityZones(r.Name), ", "))
	}
	s := &subnet{ID: b.id(ws.ID, "subnet-"), VPCID: v.ID, CIDR: prefix.String(), AZ: ws.AZ,
		AZID: azID(ws.AZ), Tags: withName(ws.Tags, ws.Name)}
	if !validID(s.ID, "subnet-") {
		return fmt.Errorf("id %q is not a subnet ID", s.ID)
	}
	if err := b.unique(r, s.ID); err != nil {
		return err
	}
	r.Subnets[s.ID] = s
	if err := b.remember(acct, r.Name, ws.Name, s.ID); err != nil {
		return err
	}
	for i, we := range ws.ENIs {
		if err := b.addENI(acct, r, s, prefix, i, we); err != nil {
			return fmt.Errorf("enis[%d]: %w", i, err)
		}
	}
	return nil
}

func (b *worldBuilder) addENI(acct string, r *region, s *subnet, prefix netip.Prefix, index int, we WorldENI) error {
	addr := prefix.Masked().Addr()
	for i := 0; i < 10+index; i++ {
		addr = addr.Next()
	}
	if !prefix.Contains(addr) {
		return fmt.Errorf("subnet %s has no room for another interface", s.CIDR)
	}
	n := &eni{ID: b.id(we.ID, "eni-"), SubnetID: s.ID, VPCID: s.VPCID, AZ: s.AZ, PrivateIP: addr.String(),
		MAC: b.st.macAddress(), Description: we.Description, Type: cmp.Or(we.Type, "interface"),
		Status: "in-use", Tags: withName(we.Tags, we.Name), NoTraffic: we.Traffic != nil && !*we.Traffic}
	if !validID(n.ID, "eni-") {
		return fmt.Errorf("id %q is not a network interface ID", n.ID)
	}
	if err := b.unique(r, n.ID); err != nil {
		return err
	}
	r.ENIs[n.ID] = n
	return b.remember(acct, r.Name, we.Name, n.ID)
}

// addNATGateway goes through CreateNatGateway's rules, except that a
// public zonal NAT gateway needs no Elastic IP (the emulator models none).
func (b *worldBuilder) addNATGateway(acct string, r *region, wn WorldNATGateway) error {
	in := natGatewayInput{id: wn.ID, mode: cmp.Or(wn.AvailabilityMode, natZonal), connectivity: cmp.Or(wn.ConnectivityType, "public"),
		tags: withName(wn.Tags, wn.Name), allowPublicZonal: true}
	if wn.VPC != "" {
		in.vpc = b.resolve(acct, r.Name, wn.VPC)
	}
	if wn.Subnet != "" {
		in.subnet = b.resolve(acct, r.Name, wn.Subnet)
	}
	if in.id != "" {
		if !validID(in.id, "nat-") {
			return fmt.Errorf("id %q is not a NAT gateway ID", in.id)
		}
		if err := b.unique(r, in.id); err != nil {
			return err
		}
	}
	g, aerr := newNatGateway(b.st, r, in, worldEpoch)
	if aerr != nil {
		return fmt.Errorf("%s: %s", aerr.Code, aerr.Message)
	}
	return b.remember(acct, r.Name, wn.Name, g.ID)
}

func (b *worldBuilder) addTGW(acct string, r *region, wt WorldTGW) error {
	t := &tgw{ID: b.id(wt.ID, "tgw-"), Description: wt.Description, ASN: 64512,
		Tags: withName(wt.Tags, wt.Name), Created: worldEpoch}
	if !validID(t.ID, "tgw-") {
		return fmt.Errorf("id %q is not a transit gateway ID", t.ID)
	}
	t.RouteTable = b.st.hexID("tgw-rtb-")
	if err := b.unique(r, t.ID); err != nil {
		return err
	}
	r.TGWs[t.ID] = t
	if err := b.remember(acct, r.Name, wt.Name, t.ID); err != nil {
		return err
	}
	for i, wa := range wt.Attachments {
		vpcID := b.resolve(acct, r.Name, wa.VPC)
		if r.VPCs[vpcID] == nil {
			return fmt.Errorf("attachments[%d]: vpc %q is not a VPC of this region", i, wa.VPC)
		}
		at := &tgwAttachment{ID: b.id(wa.ID, "tgw-attach-"), TGWID: t.ID, TGWOwner: acct, ResourceType: "vpc",
			ResourceID: vpcID, ResourceOwner: acct, RouteTable: t.RouteTable, Tags: withName(wa.Tags, wa.Name), Created: worldEpoch}
		if !validID(at.ID, "tgw-attach-") {
			return fmt.Errorf("attachments[%d]: id %q is not a transit gateway attachment ID", i, at.ID)
		}
		if err := b.unique(r, at.ID); err != nil {
			return err
		}
		r.TGWAttachments[at.ID] = at
		if err := b.remember(acct, r.Name, wa.Name, at.ID); err != nil {
			return err
		}
	}
	return nil
}

func (b *worldBuilder) addFlowLog(acct string, r *region, wf WorldFlowLog) error {
	resourceID := b.resolve(acct, r.Name, wf.Resource)
	in := createFlowLogsInput{
		resourceIDs:     []string{resourceID},
		resourceType:    resourceTypeOf(resourceID),
		trafficType:     wf.TrafficType,
		destinationType: cmp.Or(wf.DestinationType, "cloud-watch-logs"),
		destination:     wf.Destination,
		logGroupName:    wf.LogGroup,
		roleARN:         wf.Role,
		crossAccount:    wf.CrossAccountRole,
		logFormat:       wf.LogFormat,
		hasLogFormat:    wf.LogFormat != "",
		interval:        wf.MaxAggregationInterval,
		tags:            wf.Tags,
	}
	if in.roleARN != "" && !strings.HasPrefix(in.roleARN, "arn:") {
		if role := b.st.Accounts[acct].roleByName(in.roleARN); role != nil {
			in.roleARN = b.st.Accounts[acct].roleARN(role)
		}
	}
	if o := wf.DestinationOptions; o != nil {
		in.options = &destinationOptions{FileFormat: o.FileFormat, HiveCompatiblePartitions: o.HiveCompatiblePartitions,
			PerHourPartition: o.PerHourPartition}
	}
	ctx := &flowLogContext{st: b.st, e: b.e, acct: acct, reg: r, now: worldEpoch}
	_, failed, aerr := ctx.create(in, wf.ID)
	if aerr != nil {
		return aerr
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s: %s", failed[0].Code, failed[0].Message)
	}
	return nil
}

// resourceTypeOf infers CreateFlowLogs' ResourceType from an ID's prefix.
func resourceTypeOf(id string) string {
	switch {
	case strings.HasPrefix(id, "vpc-"):
		return "VPC"
	case strings.HasPrefix(id, "subnet-"):
		return "Subnet"
	case strings.HasPrefix(id, "eni-"):
		return "NetworkInterface"
	case strings.HasPrefix(id, "tgw-attach-"):
		return "TransitGatewayAttachment"
	case strings.HasPrefix(id, "tgw-"):
		return "TransitGateway"
	case strings.HasPrefix(id, "nat-"):
		return "RegionalNatGateway"
	}
	return "VPC"
}

func (b *worldBuilder) addOrganization(wo *WorldOrganization) error {
	if b.st.Accounts[wo.ManagementAccount] == nil {
		return fmt.Errorf("management_account %q is not in accounts", wo.ManagementAccount)
	}
	o := &organization{ID: cmp.Or(wo.ID, b.st.orgID()), ManagementAccount: wo.ManagementAccount,
		DelegatedAdmins: wo.DelegatedAdmins, Joined: map[string]time.Time{}}
	seen := map[string]bool{}
	var build func(w WorldOU, root string, path string) (*orgUnit, error)
	build = func(w WorldOU, root string, path string) (*orgUnit, error) {
		u := &orgUnit{ID: w.ID, Name: w.Name}
		if u.ID == "" {
			if root == "" {
				u.ID = b.st.rootID()
			} else {
				u.ID = b.st.ouID(root)
			}
		}
		if root == "" {
			root, u.Name = u.ID, cmp.Or(u.Name, "Root")
		}
		for _, id := range w.Accounts {
			if b.st.Accounts[id] == nil {
				return nil, fmt.Errorf("%s: account %q is not in accounts", path, id)
			}
			if p := b.st.partitionOfAccount(id); p != b.st.partitionOfAccount(wo.ManagementAccount) {
				return nil, fmt.Errorf("%s: account %s is in partition %s, the management account in %s", path, id, p, b.st.partitionOfAccount(wo.ManagementAccount))
			}
			if seen[id] {
				return nil, fmt.Errorf("%s: account %s appears twice in the tree", path, id)
			}
			seen[id] = true
			u.Accounts = append(u.Accounts, id)
			o.Joined[id] = worldEpoch
		}
		for i, child := range w.OUs {
			if child.Name == "" {
				return nil, fmt.Errorf("%s.ous[%d]: name is required", path, i)
			}
			c, err := build(child, root, fmt.Sprintf("%s.ous[%d]", path, i))
			if err != nil {
				return nil, err
			}
			u.Children = append(u.Children, c)
		}
		return u, nil
	}
	root, err := build(wo.Root, "", "root")
	if err != nil {
		return err
	}
	o.Root = root
	if !seen[wo.ManagementAccount] {
		return fmt.Errorf("management_account %s must be in the tree", wo.ManagementAccount)
	}
	for _, d := range wo.DelegatedAdmins {
		if !seen[d] {
			return fmt.Errorf("delegated admin %s must be in the tree", d)
		}
	}
	b.st.Organization = o
	return nil
}
