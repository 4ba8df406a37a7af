package awsemu

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// clientTokenLifetime is how long CreateFlowLogs remembers a ClientToken.
// ASSUMPTION: EC2's idempotency page gives no lifetime for CreateFlowLogs;
// a day covers every retry and re-run of a saved plan.
const clientTokenLifetime = 24 * time.Hour

var (
	flowLogResourceTypes = []string{"VPC", "Subnet", "NetworkInterface", "TransitGateway", "TransitGatewayAttachment", "RegionalNatGateway"}
	trafficTypes         = []string{"ACCEPT", "REJECT", "ALL"}
	destinationTypes     = []string{"cloud-watch-logs", "s3", "kinesis-data-firehose"}
	tagFieldResources    = []string{"network-interface", "instance", "auto-scaling-group"}
)

// resourcePrefix is the ID prefix each ResourceType takes.
var resourcePrefix = map[string]string{
	"VPC": "vpc-", "Subnet": "subnet-", "NetworkInterface": "eni-",
	"TransitGateway": "tgw-", "TransitGatewayAttachment": "tgw-attach-", "RegionalNatGateway": "nat-",
}

// maxFlowLogResourceIDs is CreateFlowLogs' ResourceIds limit for the types
// other than transit gateways (see validate).
const maxFlowLogResourceIDs = 300

func isTGWType(t string) bool { return t == "TransitGateway" || t == "TransitGatewayAttachment" }

// createFlowLogsInput is CreateFlowLogs' request, shared by the API and
// world files.
type createFlowLogsInput struct {
	resourceIDs     []string
	resourceType    string
	trafficType     string
	destinationType string
	destination     string
	logGroupName    string
	roleARN         string
	crossAccount    string
	logFormat       string
	hasLogFormat    bool
	interval        int // 0: not given
	options         *destinationOptions
	tagFieldSpecs   []tagFieldSpec
	tags            map[string]string
}

// destination is a validated flow log destination.
type destination struct {
	kind string
	// arn is LogDestination as DescribeFlowLogs reports it: as given, or
	// built from LogGroupName.
	arn      string
	logGroup string
	// bucket and prefix for S3; prefix is "" or ends with "/".
	bucket, prefix string
	// stream, streamAccount and streamRegion for Firehose.
	stream, streamAccount, streamRegion string
}

// key identifies the destination for FlowLogAlreadyExists.
func (d destination) key() string {
	switch d.kind {
	case "cloud-watch-logs":
		return d.kind + "|" + d.logGroup
	case "s3":
		return d.kind + "|" + d.bucket + "/" + d.prefix
	}
	return d.kind + "|" + d.streamAccount + "|" + d.streamRegion + "|" + d.stream
}

// duplicateKey is what two flow logs of one resource must share to be
// duplicates, which CreateFlowLogs refuses with FlowLogAlreadyExists. AWS's
// words are "an existing Flow Log with the same configuration and log
// destination", without saying which settings count; the CloudWatch Logs
// guide ("Publish flow logs to CloudWatch Logs") says one network interface
// may be in several flow logs that publish to the same log group, one
// capturing accepted and one rejected traffic, so the traffic type counts.
// The emulator takes the strictest reading that allows that: the same
// destination (type and target: log group, bucket and prefix, or stream)
// and the same traffic type make a duplicate, whatever the format, interval
// or options. A CloudWatch Logs ARN with or without ":*" and an S3 prefix
// with or without its trailing "/" are the same destination.
func duplicateKey(d destination, trafficType string) string {
	return d.key() + "|" + trafficType
}

// flowLogContext is what creating a flow log needs: the locked state and
// the account-region.
type flowLogContext struct {
	st   *state
	e    *Emulator
	acct string
	reg  *region
	now  time.Time
	// mayAttach reports whether the caller may read and write a bucket's
	// policy, which AWS's automatic bucket policy needs; nil allows.
	mayAttach func(b *bucket) bool
}

// partition is the flow log account's partition.
func (x *flowLogContext) partition() string { return x.st.partitionOfAccount(x.acct) }

func invalidParameter(format string, args ...any) *apiError {
	return badRequest("InvalidParameter", format, args...)
}

// validate applies CreateFlowLogs' request-level rules. Failures are
// top-level errors; per-resource failures come later, in Unsuccessful.
func (x *flowLogContext) validate(in *createFlowLogsInput) (destination, *apiError) {
	switch {
	case in.resourceType == "":
		return destination{}, badRequest("MissingParameter", "The request must contain the parameter ResourceType")
	case !slices.Contains(flowLogResourceTypes, in.resourceType):
		return destination{}, badRequest("InvalidParameterValue", "Value (%s) for parameter resourceType is invalid. Valid values: %s", in.resourceType, strings.Join(flowLogResourceTypes, ", "))
	case len(in.resourceIDs) == 0:
		return destination{}, badRequest("MissingParameter", "The request must contain the parameter ResourceIds")
	}
	tgwTarget := isTGWType(in.resourceType)
	// ASSUMPTION: the wording of the two limits; the numbers are the API reference's.
	if tgwTarget && len(in.resourceIDs) > 25 {
		return destination{}, invalidParameter("Maximum of 25 resource IDs allowed for resource-type %s, got %d", in.resourceType, len(in.resourceIDs))
	}
	// "Maximum of 25 for transit gateway resource types. Maximum of 300 for
	// the other resource types" (the ResourceIds constraint in
	// aws-sdk-go-v2 ec2 v1.346.0, the newest model at hand; older pages
	// and botocore 1.43 say 1000). The emulator enforces the stricter 300.
	if len(in.resourceIDs) > maxFlowLogResourceIDs {
		return destination{}, invalidParameter("Maximum of %d resource IDs allowed, got %d", maxFlowLogResourceIDs, len(in.resourceIDs))
	}
	if err := checkTrafficAndInterval(in, tgwTarget); err != nil {
		return destination{}, err
	}
	if in.destinationType == "" {
		in.destinationType = "cloud-watch-logs"
	}
	if !slices.Contains(destinationTypes, in.destinationType) {
		return destination{}, badRequest("InvalidParameterValue", "Value (%s) for parameter logDestinationType is invalid. Valid values: %s", in.destinationType, strings.Join(destinationTypes, ", "))
	}
	dest, err := x.parseDestination(in)
	if err != nil {
		return destination{}, err
	}
	if err := checkRoles(in, dest, x.acct); err != nil {
		return destination{}, err
	}
	if in.options != nil {
		if dest.kind != "s3" {
			// ASSUMPTION: AWS's wording for options on a non-S3 destination.
			return destination{}, invalidParameter("DestinationOptions is only applicable for s3 delivery")
		}
		if in.options.FileFormat == "" {
			in.options.FileFormat = "plain-text"
		}
		if in.options.FileFormat != "plain-text" && in.options.FileFormat != "parquet" {
			return destination{}, badRequest("InvalidParameterValue", "Value (%s) for parameter fileFormat is invalid. Valid values: plain-text, parquet", in.options.FileFormat)
		}
	}
	if err := checkFormat(in, tgwTarget); err != nil {
		return destination{}, err
	}
	for k, v := range in.tags {
		if err := checkTagKey(k, v); err != nil {
			return destination{}, err
		}
	}
	if len(in.tags) > maxTagsPerResource {
		return destination{}, badRequest("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
	}
	return dest, x.checkRoleUsable(in.roleARN)
}

func checkTrafficAndInterval(in *createFlowLogsInput, tgwTarget bool) *apiError {
	if in.trafficType != "" && !slices.Contains(trafficTypes, in.trafficType) {
		return badRequest("InvalidParameterValue", "Value (%s) for parameter trafficType is invalid. Valid values: ACCEPT, REJECT, ALL", in.trafficType)
	}
	if tgwTarget {
		if in.trafficType != "" {
			// "An error is returned if you provide this for transit gateway
			// resource types" (TGW guide). ASSUMPTION: the wording, modelled
			// on the documented interval message below.
			return invalidParameter("traffic-type is not supported when the resource-type is TransitGateway or TransitGatewayAttachment")
		}
		if in.interval != 0 && in.interval != 60 {
			return invalidParameter("max-aggregation-interval other than 60 sec / 1 min is not supported when the resource-type is TransitGateway or TransitGatewayAttachment")
		}
		return nil
	}
	if in.trafficType == "" {
		return invalidParameter("traffic-type is required when the resource-type is VPC, Subnet, NetworkInterface or RegionalNatGateway")
	}
	if in.interval != 0 && in.interval != 60 && in.interval != 600 {
		return invalidParameter("Invalid Flow Log Max Aggregation Interval")
	}
	return nil
}

// parseDestination checks LogDestination / LogGroupName for the type.
func (x *flowLogContext) parseDestination(in *createFlowLogsInput) (destination, *apiError) {
	d := destination{kind: in.destinationType}
	switch d.kind {
	case "cloud-watch-logs":
		switch {
		case in.logGroupName != "" && in.destination != "":
			return d, invalidParameter("Please only provide LogGroupName or only provide LogDestination.")
		case in.logGroupName == "" && in.destination == "":
			return d, invalidParameter("LogDestination can't be empty if LogGroupName is not provided.")
		case in.logGroupName != "":
			if err := validLogGroupName(in.logGroupName); err != nil {
				return d, invalidParameter("Invalid LogGroupName: %s", err.Message)
			}
			d.logGroup = in.logGroupName
			d.arn = logGroupARN(x.partition(), x.reg.Name, x.acct, in.logGroupName)
			return d, nil
		}
		a, ok := parseARN(strings.TrimSuffix(in.destination, ":*"))
		group, isGroup := strings.CutPrefix(a.Resource, "log-group:")
		if !ok || a.Partition != x.partition() || a.Service != "logs" || !isGroup || group == "" {
			return d, invalidParameter("LogDestination %s is not a valid CloudWatch Logs log group ARN", in.destination)
		}
		if a.Region != x.reg.Name || a.Account != x.acct {
			// ASSUMPTION: flow logs publish only to log groups of their own
			// account and region; AWS's wording is not documented.
			return d, invalidParameter("LogDestination %s must be a log group in %s/%s", in.destination, x.acct, x.reg.Name)
		}
		d.arn, d.logGroup = in.destination, group
		return d, nil
	case "s3":
		if in.logGroupName != "" {
			return d, invalidParameter("LogDestination type must be cloud-watch-logs if LogGroupName is provided.")
		}
		rest, ok := strings.CutPrefix(in.destination, s3ARN(x.partition(), ""))
		if !ok || rest == "" {
			return d, invalidParameter("LogDestination %q is not a valid S3 ARN", in.destination)
		}
		d.arn = in.destination
		d.bucket, d.prefix, _ = strings.Cut(rest, "/")
		if d.prefix != "" && !strings.HasSuffix(d.prefix, "/") {
			d.prefix += "/"
		}
		if d.prefix == "AWSLogs/" || strings.HasPrefix(d.prefix, "AWSLogs/") {
			return d, invalidParameter("LogDestination subfolder cannot be AWSLogs")
		}
		return d, nil
	default:
		if in.logGroupName != "" {
			return d, invalidParameter("LogDestination type must be cloud-watch-logs if LogGroupName is provided.")
		}
		a, ok := parseARN(in.destination)
		stream, isStream := strings.CutPrefix(a.Resource, "deliverystream/")
		if !ok || a.Partition != x.partition() || a.Service != "firehose" || !isStream {
			return d, invalidParameter("LogDestination %q is not a valid Firehose delivery stream ARN", in.destination)
		}
		d.arn, d.streamRegion, d.streamAccount, d.stream = in.destination, a.Region, a.Account, stream
		return d, nil
	}
}

// checkRoles applies the rules on DeliverLogsPermissionArn and
// DeliverCrossAccountRole.
func checkRoles(in *createFlowLogsInput, d destination, acct string) *apiError {
	switch d.kind {
	case "cloud-watch-logs":
		if in.roleARN == "" {
			return invalidParameter("DeliverLogsPermissionArn can't be empty if LogDestinationType is cloud-watch-logs.")
		}
		if in.crossAccount != "" {
			return invalidParameter("DeliverCrossAccountRole is only applicable for kinesis-data-firehose delivery")
		}
	case "s3":
		if in.roleARN != "" {
			return invalidParameter("DeliverLogsPermissionArn is not applicable for s3 delivery")
		}
		if in.crossAccount != "" {
			return invalidParameter("DeliverCrossAccountRole is only applicable for kinesis-data-firehose delivery")
		}
	default:
		if d.streamAccount == acct {
			if in.roleARN != "" {
				// ASSUMPTION: the S3 message, with the destination type.
				return invalidParameter("DeliverLogsPermissionArn is not applicable for kinesis-data-firehose delivery in the same account")
			}
			if in.crossAccount != "" {
				return invalidParameter("DeliverCrossAccountRole is only applicable for cross-account kinesis-data-firehose delivery")
			}
			return nil
		}
		if in.roleARN == "" || in.crossAccount == "" {
			return invalidParameter("DeliverLogsPermissionArn and DeliverCrossAccountRole are required for cross-account kinesis-data-firehose delivery")
		}
	}
	return nil
}

// checkFormat validates LogFormat and TagFieldSpecifications.
func checkFormat(in *createFlowLogsInput, tgwTarget bool) *apiError {
	specs := map[string]int{}
	for _, s := range in.tagFieldSpecs {
		if !slices.Contains(tagFieldResources, s.ResourceType) {
			return badRequest("InvalidParameterValue", "Value (%s) for parameter TagFieldSpecification.ResourceType is invalid. Valid values: %s", s.ResourceType, strings.Join(tagFieldResources, ", "))
		}
		if _, dup := specs[s.ResourceType]; dup {
			return invalidParameter("TagFieldSpecifications lists resource type %s twice", s.ResourceType)
		}
		if len(s.TagKeys) < 1 || len(s.TagKeys) > 2 {
			return invalidParameter("TagFieldSpecifications for %s must have 1 or 2 tag keys", s.ResourceType)
		}
		for _, k := range s.TagKeys {
			if k == "" || len(k) > 128 {
				return invalidParameter("Tag keys in TagFieldSpecifications must be 1 to 128 characters")
			}
		}
		specs[s.ResourceType] = len(s.TagKeys)
	}
	if !in.hasLogFormat {
		return nil
	}
	tagFields, p := checkLogFormat(in.logFormat, tgwTarget)
	if p != nil {
		if p.syntax {
			return invalidParameter("1 validation error detected: Value '%s' at 'logFormat' has an invalid format", in.logFormat)
		}
		return invalidParameter("Invalid LogFormat: field ${%s} %s", p.field, p.reason)
	}
	for _, f := range tagFields {
		n, ok := specs[tagFieldResource[f]]
		if !ok {
			return invalidParameter("The TagFieldSpecifications parameter must be set when including tag fields in the log format")
		}
		if strings.HasSuffix(f, "-2") && n < 2 {
			// ASSUMPTION: a "-2" field reads the specification's second key.
			return invalidParameter("Log format field ${%s} needs a second tag key in the %s TagFieldSpecification", f, tagFieldResource[f])
		}
	}
	return nil
}

// checkRoleUsable refuses a delivery role the flow logs service cannot
// assume yet: one in another account, one that does not exist, or one
// created (or whose trust policy changed) within the IAM propagation delay.
// AWS answers this at the top level, not per resource: Terraform retries
// CreateFlowLogs itself on InvalidParameter "Unable to assume given IAM
// role" (internal/service/ec2/vpc_flow_log.go), and reads Unsuccessful only
// after the call succeeds.
func (x *flowLogContext) checkRoleUsable(roleARN string) *apiError {
	if roleARN == "" {
		return nil
	}
	unable := invalidParameter("Unable to assume given IAM role: '%s'", roleARN)
	acct, name, ok := parseRoleARN(roleARN)
	if !ok || acct != x.acct {
		return unable
	}
	a := x.st.Accounts[acct]
	r := a.roleByName(name)
	if r == nil || a.roleARN(r) != roleARN || !x.e.rolePropagated(r, x.now) {
		return unable
	}
	return nil
}

// parseRoleARN splits arn:PARTITION:iam::<acct>:role/<path/>name. Callers
// compare the whole ARN with account.roleARN, which checks the partition.
func parseRoleARN(s string) (acct, name string, ok bool) {
	a, ok := parseARN(s)
	if !ok || a.Service != "iam" || a.Region != "" || !accountIDPattern.MatchString(a.Account) || !strings.HasPrefix(a.Resource, "role/") {
		return "", "", false
	}
	path := strings.TrimPrefix(a.Resource, "role")
	i := strings.LastIndex(path, "/")
	return a.Account, path[i+1:], path[i+1:] != ""
}

// rolePropagated reports whether the IAM propagation delay has passed
// since the role was created or its trust policy last changed.
func (e *Emulator) rolePropagated(r *role, now time.Time) bool {
	changed := r.Created
	if r.TrustUpdated.After(changed) {
		changed = r.TrustUpdated
	}
	return !now.Before(changed.Add(e.opts.IAMPropagationDelay))
}

// create makes one flow log per resource. A top-level error means nothing
// was created; per-resource failures are returned as Unsuccessful items.
// givenID names the flow log (world files only; one resource).
func (x *flowLogContext) create(in createFlowLogsInput, givenID string) ([]string, []unsuccessful, *apiError) {
	dest, err := x.validate(&in)
	if err != nil {
		return nil, nil, err
	}
	ids := []string{}
	var failed []unsuccessful
	prefix := resourcePrefix[in.resourceType]
	existing := x.destinationsOf(in.resourceIDs)
	for _, rid := range in.resourceIDs {
		if f := x.checkResource(rid, prefix); f != nil {
			failed = append(failed, *f)
			continue
		}
		if f := x.checkDestination(dest, rid, in.options); f != nil {
			failed = append(failed, *f)
			continue
		}
		if existing[rid][duplicateKey(dest, in.trafficType)] {
			failed = append(failed, unsuccessful{rid, "FlowLogAlreadyExists",
				"Error. There is an existing Flow Log with the same configuration and log destination."})
			continue
		}
		fl := x.newFlowLog(in, dest, rid, givenID)
		x.reg.FlowLogs[fl.ID] = fl
		ids = append(ids, fl.ID)
		existing[rid][duplicateKey(dest, in.trafficType)] = true
	}
	return ids, failed, nil
}

// checkResource reports a missing or mistyped resource.
func (x *flowLogContext) checkResource(id, prefix string) *unsuccessful {
	if !validID(id, prefix) {
		e := malformedID(prefix, id)
		return &unsuccessful{id, e.Code, e.Message}
	}
	var exists bool
	switch prefix {
	case "vpc-":
		exists = x.reg.VPCs[id] != nil
	case "subnet-":
		exists = x.reg.Subnets[id] != nil
	case "eni-":
		exists = x.reg.ENIs[id] != nil
	case "tgw-":
		exists = x.reg.TGWs[id] != nil
	case "tgw-attach-":
		exists = x.reg.TGWAttachments[id] != nil
	case "nat-":
		g := x.reg.NATGateways[id]
		exists = g.live()
		if exists && g.AvailabilityMode != natRegional {
			// ASSUMPTION: the RegionalNatGateway type takes regional NAT
			// gateways only, by its name; AWS's answer for a zonal one is
			// not documented. A zonal NAT gateway is logged through its
			// network interface.
			return &unsuccessful{id, "InvalidParameterValue",
				fmt.Sprintf("NAT gateway %s is zonal: resource type RegionalNatGateway takes regional NAT gateways only", id)}
		}
	}
	if !exists {
		e := notFound(prefix, id)
		return &unsuccessful{id, e.Code, e.Message}
	}
	return nil
}

// checkDestination reports an S3 bucket or Firehose stream that does not
// exist, as AWS does per resource with code "400". For a bucket owned by
// the flow log's own account it also performs AWS's automatic bucket
// policy attachment.
func (x *flowLogContext) checkDestination(d destination, rid string, o *destinationOptions) *unsuccessful {
	switch d.kind {
	case "s3":
		b := x.st.Buckets[d.bucket]
		if b == nil {
			return &unsuccessful{rid, "400", fmt.Sprintf("LogDestination: %s does not exist.", d.bucket)}
		}
		if b.Owner == x.acct && (x.mayAttach == nil || x.mayAttach(b)) {
			x.e.autoAttachBucketPolicy(x.st, b, x.acct, x.reg.Name, d.prefix, o)
		}
	case "kinesis-data-firehose":
		a := x.st.Accounts[d.streamAccount]
		if a == nil || a.Regions[d.streamRegion] == nil || a.Regions[d.streamRegion].DeliveryStreams[d.stream] == nil {
			// ASSUMPTION: modelled on the S3 message.
			return &unsuccessful{rid, "400", fmt.Sprintf("LogDestination: %s does not exist.", d.arn)}
		}
	}
	return nil
}

// destinationsOf returns, for each of the resources, the destination keys
// of its flow logs, reading the account-region's flow logs once.
//
// They decide FlowLogAlreadyExists (see duplicateKey).
func (x *flowLogContext) destinationsOf(resourceIDs []string) map[string]map[string]bool {
	out := make(map[string]map[string]bool, len(resourceIDs))
	for _, rid := range resourceIDs {
		out[rid] = map[string]bool{}
	}
	for _, fl := range x.reg.FlowLogs {
		// Most calls name one resource: a string comparison is cheaper
		// than a map lookup on every flow log of the account-region.
		if len(resourceIDs) == 1 && fl.ResourceID != resourceIDs[0] {
			continue
		}
		if keys, ok := out[fl.ResourceID]; ok {
			keys[duplicateKey(x.destinationOf(fl), fl.TrafficType)] = true
		}
	}
	return out
}

// destinationOf rebuilds a stored flow log's destination.
func (x *flowLogContext) destinationOf(fl *flowLog) destination {
	in := createFlowLogsInput{destinationType: fl.DestinationType, destination: fl.Destination}
	if fl.DestinationType == "cloud-watch-logs" {
		in.destination = ""
		in.logGroupName = fl.LogGroupName
	}
	d, _ := x.parseDestination(&in)
	return d
}

func (x *flowLogContext) newFlowLog(in createFlowLogsInput, d destination, rid, givenID string) *flowLog {
	tgwTarget := isTGWType(in.resourceType)
	fl := &flowLog{
		ID: givenID, ResourceID: rid, ResourceType: in.resourceType, TrafficType: in.trafficType,
		DestinationType: d.kind, Destination: d.arn, DeliverLogsPermissionArn: in.roleARN,
		DeliverCrossAccountRole: in.crossAccount, LogFormat: in.logFormat, MaxAggregationInterval: in.interval,
		TagFieldSpecs: in.tagFieldSpecs, Tags: tags{}, Created: x.now,
	}
	if fl.ID == "" {
		fl.ID = x.st.hexID("fl-")
	}
	if d.kind == "cloud-watch-logs" {
		fl.LogGroupName = d.logGroup
	}
	if !in.hasLogFormat {
		fl.LogFormat = defaultFormat(tgwTarget)
	}
	if fl.MaxAggregationInterval == 0 {
		fl.MaxAggregationInterval = 600
		if tgwTarget {
			fl.MaxAggregationInterval = 60
		}
	}
	if d.kind == "s3" {
		fl.DestinationOptions = &destinationOptions{FileFormat: "plain-text"}
		if in.options != nil {
			fl.DestinationOptions = in.options
		}
	}
	for k, v := range in.tags {
		fl.Tags[k] = v
	}
	return fl
}

// --- CreateFlowLogs ---

type unsuccessfulErrorXML struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

type unsuccessfulXML struct {
	Error      unsuccessfulErrorXML `xml:"error"`
	ResourceID string               `xml:"resourceId"`
}

type createFlowLogsXML struct {
	ec2Meta
	ClientToken  string                    `xml:"clientToken,omitempty"`
	FlowLogIDs   itemList[string]          `xml:"flowLogIdSet"`
	Unsuccessful itemList[unsuccessfulXML] `xml:"unsuccessful"`
}

func unsuccessfulItems(list []unsuccessful) itemList[unsuccessfulXML] {
	out := make([]unsuccessfulXML, 0, len(list))
	for _, u := range list {
		out = append(out, unsuccessfulXML{unsuccessfulErrorXML{u.Code, u.Message}, u.ResourceID})
	}
	return items(out)
}

func readCreateFlowLogs(c *call) (createFlowLogsInput, *apiError) {
	f := c.form
	in := createFlowLogsInput{
		resourceIDs: f.strs("ResourceId"), resourceType: f.str("ResourceType"), trafficType: f.str("TrafficType"),
		destinationType: f.str("LogDestinationType"), destination: f.str("LogDestination"),
		logGroupName: f.str("LogGroupName"), roleARN: f.str("DeliverLogsPermissionArn"),
		crossAccount: f.str("DeliverCrossAccountRole"), logFormat: f.str("LogFormat"), hasLogFormat: f.has("LogFormat"),
	}
	if f.has("MaxAggregationInterval") {
		n, err := strconv.Atoi(f.str("MaxAggregationInterval"))
		if err != nil {
			return in, badRequest("InvalidParameterValue", "Value (%s) for parameter maxAggregationInterval is invalid. Expected: 'Integer'.", f.str("MaxAggregationInterval"))
		}
		if n == 0 {
			return in, invalidParameter("Invalid Flow Log Max Aggregation Interval")
		}
		in.interval = n
	}
	if o := f.child("DestinationOptions"); o != nil {
		in.options = &destinationOptions{FileFormat: o.str("FileFormat"),
			HiveCompatiblePartitions: o.str("HiveCompatiblePartitions") == "true", PerHourPartition: o.str("PerHourPartition") == "true"}
	}
	for _, s := range f.items("TagFieldSpecification") {
		in.tagFieldSpecs = append(in.tagFieldSpecs, tagFieldSpec{ResourceType: s.str("ResourceType"), TagKeys: s.strs("TagKey")})
	}
	for _, spec := range f.items("TagSpecification") {
		if rt := spec.str("ResourceType"); rt != "vpc-flow-log" {
			return in, badRequest("InvalidParameterValue", "'%s' is not a valid taggable resource type for this operation.", rt)
		}
		if in.tags == nil {
			in.tags = map[string]string{}
		}
		for _, t := range readEC2Tags(spec.items("Tag")) {
			in.tags[t.key] = t.value
		}
	}
	return in, nil
}

// createFlowLogsExclusive reports whether a CreateFlowLogs call must
// exclude every other call: one to S3 may attach a policy to the bucket
// (autoAttachBucketPolicy), and buckets are global data (locks.go). To
// CloudWatch Logs (the default) and Firehose it only reads global data.
// An unknown destination type is refused by the handler; it locks
// exclusively too, the safe side.
func createFlowLogsExclusive(c *call) bool {
	t := c.form.str("LogDestinationType")
	return t != "" && t != "cloud-watch-logs" && t != "kinesis-data-firehose"
}

func createFlowLogs(c *call) (any, error) {
	if err := dryRun(c); err != nil {
		return nil, err
	}
	token := c.form.str("ClientToken")
	if len(token) > 64 {
		return nil, badRequest("InvalidParameterValue", "Value (%s) for parameter clientToken is invalid. Length exceeds maximum of 64 characters.", token)
	}
	r := c.reg()
	fingerprint := c.queryHash("ClientToken", "DryRun")
	if rec := r.ClientTokens[token]; token != "" && rec != nil && c.now.Sub(rec.Created) <= clientTokenLifetime {
		if rec.Fingerprint != fingerprint {
			return nil, badRequest("IdempotentParameterMismatch", "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
		}
		return &createFlowLogsXML{ClientToken: token, FlowLogIDs: items(append([]string{}, rec.FlowLogIDs...)),
			Unsuccessful: unsuccessfulItems(rec.Unsuccessful)}, nil
	}
	in, err := readCreateFlowLogs(c)
	if err != nil {
		return nil, err
	}
	r.purgeGoneFlowLogs(c.now)
	x := &flowLogContext{st: c.st, e: c.e, acct: c.key.Account, reg: r, now: c.now, mayAttach: c.mayAttachBucketPolicy}
	ids, failed, err := x.create(in, "")
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		c.recordFlowLogEvent("create", id, r.FlowLogs[id].ResourceID)
	}
	if token != "" {
		r.ClientTokens[token] = &clientTokenRecord{Fingerprint: fingerprint, FlowLogIDs: ids, Unsuccessful: failed, Created: c.now}
	}
	return &createFlowLogsXML{ClientToken: token, FlowLogIDs: items(ids), Unsuccessful: unsuccessfulItems(failed)}, nil
}

// --- DescribeFlowLogs ---

type destinationOptionsXML struct {
	FileFormat               string `xml:"fileFormat"`
	HiveCompatiblePartitions bool   `xml:"hiveCompatiblePartitions"`
	PerHourPartition         bool   `xml:"perHourPartition"`
}

type tagFieldSpecXML struct {
	ResourceType string           `xml:"resourceType"`
	TagKeySet    itemList[string] `xml:"tagKeySet"`
}

type flowLogXML struct {
	CreationTime             string                     `xml:"creationTime"`
	DeliverLogsErrorMessage  string                     `xml:"deliverLogsErrorMessage,omitempty"`
	DeliverLogsPermissionArn string                     `xml:"deliverLogsPermissionArn,omitempty"`
	DeliverCrossAccountRole  string                     `xml:"deliverCrossAccountRole,omitempty"`
	DeliverLogsStatus        string                     `xml:"deliverLogsStatus"`
	FlowLogID                string                     `xml:"flowLogId"`
	FlowLogStatus            string                     `xml:"flowLogStatus"`
	LogGroupName             string                     `xml:"logGroupName,omitempty"`
	ResourceID               string                     `xml:"resourceId"`
	TrafficType              string                     `xml:"trafficType,omitempty"`
	LogDestinationType       string                     `xml:"logDestinationType"`
	LogDestination           string                     `xml:"logDestination,omitempty"`
	LogFormat                string                     `xml:"logFormat"`
	TagSet                   itemList[xmlTag]           `xml:"tagSet"`
	MaxAggregationInterval   int                        `xml:"maxAggregationInterval"`
	DestinationOptions       *destinationOptionsXML     `xml:"destinationOptions,omitempty"`
	TagFieldSpecificationSet *itemList[tagFieldSpecXML] `xml:"tagFieldSpecificationSet,omitempty"`
}

type describeFlowLogsXML struct {
	ec2Meta
	FlowLogs  itemList[flowLogXML] `xml:"flowLogSet"`
	NextToken string               `xml:"nextToken,omitempty"`
}

// flowLogView pairs a flow log with its computed delivery status.
type flowLogView struct {
	fl      *flowLog
	status  string
	message string
}

var flowLogFilters = filterSet[flowLogView]{
	attrs: map[string]func(flowLogView) []string{
		"resource-id":          func(v flowLogView) []string { return one(v.fl.ResourceID) },
		"flow-log-id":          func(v flowLogView) []string { return one(v.fl.ID) },
		"log-destination-type": func(v flowLogView) []string { return one(v.fl.DestinationType) },
		"traffic-type":         func(v flowLogView) []string { return one(v.fl.TrafficType) },
		"deliver-log-status":   func(v flowLogView) []string { return one(v.status) },
		"log-group-name":       func(v flowLogView) []string { return one(v.fl.LogGroupName) },
	},
	tags: func(v flowLogView) tags { return v.fl.Tags },
}

func describeFlowLogs(c *call) (any, error) {
	if err := dryRun(c); err != nil {
		return nil, err
	}
	filters, err := readFilters(c)
	if err != nil {
		return nil, err
	}
	if err := flowLogFilters.check(filters); err != nil {
		return nil, err
	}
	ids := c.form.strs("FlowLogId")
	if len(ids) > 1000 {
		return nil, badRequest("InvalidParameterValue", "The maximum number of flow log IDs is 1000")
	}
	if len(ids) > 0 && c.form.has("MaxResults") {
		// The API reference said of MaxResults: "You cannot specify this
		// parameter and the flow log IDs parameter in the same request"
		// (as mirrored by rusoto_ec2 0.30 and Paws 0.15); the current page
		// no longer says it. The emulator takes the stricter reading.
		// ASSUMPTION: the wording, modelled on EC2's other combinations.
		return nil, badRequest("InvalidParameterCombination", "The parameter flowLogIds cannot be used with the parameter maxResults")
	}
	r := c.reg()
	wanted := make(map[string]bool, len(ids))
	for _, id := range ids {
		wanted[id] = true
	}
	// Working out a delivery status evaluates policies: do it before
	// filtering only when a filter asks for it, else for the page alone.
	statusFirst := slices.ContainsFunc(filters, func(f ec2Filter) bool { return f.name == "deliver-log-status" })
	views := map[string]flowLogView{}
	var keys []string
	for id, fl := range r.FlowLogs {
		// Unknown IDs are not an error: DescribeFlowLogs returns an empty
		// set for them (Terraform's findFlowLogByID relies on it).
		if (len(ids) > 0 && !wanted[id]) || fl.gone(c.now) {
			continue
		}
		v := flowLogView{fl: fl}
		if statusFirst {
			v.status, v.message = c.e.deliveryStatus(c.st, c.key.Account, c.region, fl)
		}
		if flowLogFilters.match(v, filters) {
			views[id] = v
			keys = append(keys, id)
		}
	}
	// The current API reference states no MaxResults bounds; the older text
	// says "between 5 and 1000; if MaxResults is given a value larger than
	// 1000, only 1000 results are returned". The emulator follows that text.
	page, next, err := ec2Page(c, keys, 5, 1000, true)
	if err != nil {
		return nil, err
	}
	out := &describeFlowLogsXML{NextToken: next, FlowLogs: items(make([]flowLogXML, 0, len(page)))}
	for _, id := range page {
		v := views[id]
		if !statusFirst {
			v.status, v.message = c.e.deliveryStatus(c.st, c.key.Account, c.region, v.fl)
		}
		out.FlowLogs.Items = append(out.FlowLogs.Items, flowLogItem(v))
	}
	return out, nil
}

func flowLogItem(v flowLogView) flowLogXML {
	fl := v.fl
	x := flowLogXML{
		CreationTime: ec2Time(fl.Created), DeliverLogsStatus: v.status, DeliverLogsErrorMessage: v.message,
		DeliverLogsPermissionArn: fl.DeliverLogsPermissionArn, DeliverCrossAccountRole: fl.DeliverCrossAccountRole,
		FlowLogID: fl.ID, FlowLogStatus: "ACTIVE", LogGroupName: fl.LogGroupName, ResourceID: fl.ResourceID,
		TrafficType: fl.TrafficType, LogDestinationType: fl.DestinationType, LogDestination: fl.Destination,
		LogFormat: fl.LogFormat, TagSet: ec2Tags(fl.Tags), MaxAggregationInterval: fl.MaxAggregationInterval,
	}
	if o := fl.DestinationOptions; o != nil {
		x.DestinationOptions = &destinationOptionsXML{o.FileFormat, o.HiveCompatiblePartitions, o.PerHourPartition}
	}
	if len(fl.TagFieldSpecs) > 0 {
		specs := make([]tagFieldSpecXML, 0, len(fl.TagFieldSpecs))
		for _, s := range fl.TagFieldSpecs {
			specs = append(specs, tagFieldSpecXML{s.ResourceType, items(s.TagKeys)})
		}
		list := items(specs)
		x.TagFieldSpecificationSet = &list
	}
	return x
}

// --- DeleteFlowLogs ---

type deleteFlowLogsXML struct {
	ec2Meta
	Unsuccessful itemList[unsuccessfulXML] `xml:"unsuccessful"`
}

// deleteFlowLogs deletes what exists and reports each unknown or malformed
// ID in Unsuccessful, as the response shape's Unsuccessful set implies.
// (moto raises InvalidFlowLogId.NotFound for the whole call instead.)
func deleteFlowLogs(c *call) (any, error) {
	if err := dryRun(c); err != nil {
		return nil, err
	}
	ids := c.form.strs("FlowLogId")
	if len(ids) == 0 {
		return nil, badRequest("MissingParameter", "The request must contain the parameter FlowLogIds")
	}
	if len(ids) > 1000 {
		return nil, badRequest("InvalidParameterValue", "The maximum number of flow log IDs is 1000")
	}
	r := c.reg()
	r.purgeGoneFlowLogs(c.now)
	var failed []unsuccessful
	for _, id := range ids {
		switch {
		case !validID(id, "fl-"):
			failed = append(failed, unsuccessful{id, "InvalidFlowLogId.Malformed", fmt.Sprintf("Invalid id: \"%s\" (expecting \"fl-...\")", id)})
		case r.FlowLogs[id] == nil:
			failed = append(failed, unsuccessful{id, "InvalidFlowLogId.NotFound",
				fmt.Sprintf("These flow log ids in the input list are not found: [TotalCount: 1] %s", id)})
		default:
			c.recordFlowLogEvent("delete", id, r.FlowLogs[id].ResourceID)
			delete(r.FlowLogs, id)
		}
	}
	return &deleteFlowLogsXML{Unsuccessful: unsuccessfulItems(failed)}, nil
}
