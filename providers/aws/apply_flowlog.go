package aws

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/spec"
)

// maxTagResources bounds the resource IDs of one CreateTags/DeleteTags
// call, as EC2 asks of every ID list.
const maxTagResources = 1000

// iamPropagationMessage is how EC2 refuses a delivery role IAM has not
// propagated yet (and a role that does not trust the service at all).
const iamPropagationMessage = "Unable to assume given IAM role"

func (a *applier) flowLogs(ctx context.Context) {
	switch a.b.Op {
	case engine.OpCreate:
		a.createFlowLogs(ctx)
	case engine.OpDelete:
		a.deleteFlowLogs(ctx)
	case engine.OpUpdate, engine.OpAdopt:
		a.tagFlowLogs(ctx)
	default:
		for i, c := range a.b.Changes {
			a.out[i].Err = a.wrap(c, fmt.Errorf("unknown operation %q", a.b.Op))
		}
	}
}

// createCall is one CreateFlowLogs call: changes (indexes into the batch)
// sharing one configuration and tag set, each resource at most once.
type createCall struct {
	changes []int
}

// flowLogKey is everything CreateFlowLogs takes once per call: the
// configuration but the resource ID, and the tags.
type flowLogKey struct {
	engine.FlowLog
	Tags map[string]string
}

// groupCreates groups the changes into CreateFlowLogs calls: changes with
// identical configuration and tags share calls of at most 300 resources
// (25 for transit gateway types), in the order of their first change. A
// resource repeated within a group goes to a later call. Changes without a
// flow log are returned as errors.
func groupCreates(changes []*engine.Change) ([]createCall, map[int]error) {
	errs := map[int]error{}
	var keys []string
	groups := map[string][]int{}
	for i, c := range changes {
		if c.After == nil || c.After.FlowLog == nil {
			errs[i] = errors.New("change has no desired flow log")
			continue
		}
		k := configKey(c.After)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	var calls []createCall
	for _, k := range keys {
		calls = append(calls, chunkCreates(changes, groups[k])...)
	}
	return calls, errs
}

func configKey(r *engine.Resource) string {
	k := flowLogKey{FlowLog: *r.FlowLog, Tags: r.Tags}
	k.ResourceID, k.Status = "", nil
	b, _ := json.Marshal(k) // map keys are sorted: equal keys, equal bytes
	return string(b)
}

// chunkCreates splits one group into calls, each under the limit of its
// resource type and free of repeated resources.
func chunkCreates(changes []*engine.Change, idx []int) []createCall {
	limit := engine.MaxCreateFlowLogsResources(changes[idx[0]].After.FlowLog.ResourceType)
	var calls []createCall
	var seen []map[string]bool
	for _, i := range idx {
		id := changes[i].After.FlowLog.ResourceID
		placed := false
		for n := range calls {
			if len(calls[n].changes) < limit && !seen[n][id] {
				calls[n].changes = append(calls[n].changes, i)
				seen[n][id] = true
				placed = true
				break
			}
		}
		if !placed {
			calls = append(calls, createCall{changes: []int{i}})
			seen = append(seen, map[string]bool{id: true})
		}
	}
	return calls
}

// clientToken derives a CreateFlowLogs ClientToken from the plan's ID and
// the addresses in the call (and a retry round, 0 for the first call): the
// same saved plan makes the same calls with the same tokens, so a retry or
// a re-run never creates a flow log twice, while another plan never reuses
// a token. It is 64 hex characters, the longest token EC2 accepts.
func clientToken(seed string, addrs []string, round int) string {
	sorted := slices.Clone(addrs)
	sort.Strings(sorted)
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%d\n%s", seed, round, strings.Join(sorted, "\n"))
	return hex.EncodeToString(h.Sum(nil))
}

// createFlowLogsInput builds the call for a configuration. TrafficType is
// left out for transit gateway types, which refuse it; DestinationOptions
// are sent only to S3; the delivery roles only when set.
func createFlowLogsInput(r *engine.Resource, ids []string, token string) *ec2.CreateFlowLogsInput {
	fl := r.FlowLog
	in := &ec2.CreateFlowLogsInput{
		ClientToken:        aws.String(token),
		ResourceIds:        ids,
		ResourceType:       ec2types.FlowLogsResourceType(fl.ResourceType),
		LogDestinationType: ec2types.LogDestinationType(fl.DestinationType),
		LogDestination:     aws.String(fl.Destination),
	}
	// A log group of the flow log's own account-region is named, not given
	// by ARN: AWS takes either (CreateFlowLogs: LogGroupName or
	// LogDestination), and moto reports every flow log made with an ARN
	// as failing delivery (MOTO_DIFFERENCES.md).
	if a, ok := arn.Parse(fl.Destination); ok && fl.DestinationType == string(ec2types.LogDestinationTypeCloudWatchLogs) &&
		a.Account == r.Addr.Account && a.Region == r.Addr.Region {
		if name, ok := arn.ParseLogGroup(fl.Destination); ok {
			in.LogDestination, in.LogGroupName = nil, aws.String(name)
		}
	}
	if !spec.IsTransitGatewayResourceType(fl.ResourceType) {
		in.TrafficType = ec2types.TrafficType(fl.TrafficType)
	}
	if fl.DeliverLogsPermissionARN != "" {
		in.DeliverLogsPermissionArn = aws.String(fl.DeliverLogsPermissionARN)
	}
	if fl.DeliverCrossAccountRole != "" {
		in.DeliverCrossAccountRole = aws.String(fl.DeliverCrossAccountRole)
	}
	if fl.LogFormat != "" {
		in.LogFormat = aws.String(fl.LogFormat)
	}
	if fl.MaxAggregationInterval != 0 {
		in.MaxAggregationInterval = aws.Int32(int32(fl.MaxAggregationInterval))
	}
	if fl.DestinationType == string(ec2types.LogDestinationTypeS3) {
		in.DestinationOptions = &ec2types.DestinationOptionsRequest{
			FileFormat:               ec2types.DestinationFileFormat(fl.FileFormat),
			HiveCompatiblePartitions: aws.Bool(fl.HiveCompatiblePartitions),
			PerHourPartition:         aws.Bool(fl.PerHourPartition),
		}
	}
	for _, t := range fl.TagFieldSpecifications {
		in.TagFieldSpecifications = append(in.TagFieldSpecifications, ec2types.TagFieldSpecificationRequest{
			ResourceType: ec2types.TaggableResourceType(t.ResourceType), TagKeys: t.TagKeys,
		})
	}
	if len(r.Tags) > 0 {
		in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcFlowLog, Tags: toEC2Tags(r.Tags)}}
	}
	return in
}

// toEC2Tags converts tags, sorted by key.
func toEC2Tags(m map[string]string) []ec2types.Tag {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]ec2types.Tag, len(keys))
	for i, k := range keys {
		out[i] = ec2types.Tag{Key: aws.String(k), Value: aws.String(m[k])}
	}
	return out
}

// createFlowLogs makes the batch's CreateFlowLogs calls, then reads every
// created flow log back with DescribeFlowLogs (1000 IDs a call) so that
// each outcome carries its flow log ID and delivery status. CreateFlowLogs
// does not say which ID belongs to which resource; within one call each
// resource appears once, so the described ResourceId settles it.
func (a *applier) createFlowLogs(ctx context.Context) {
	calls, errs := groupCreates(a.b.Changes)
	for i, err := range errs {
		a.out[i].Err = a.wrap(a.b.Changes[i], err)
	}
	c := a.p.ec2(a.s, a.b.Region)
	// created maps each new flow log ID to its call's changes by resource.
	created := map[string]map[string]int{}
	for _, call := range calls {
		ids, byResource := a.runCreateCall(ctx, c, call.changes)
		for _, id := range ids {
			created[id] = byResource
		}
	}
	described, readErr := a.readBack(ctx, c, slices.Sorted(maps.Keys(created)))
	for _, f := range described {
		if i, ok := created[aws.ToString(f.FlowLogId)][aws.ToString(f.ResourceId)]; ok {
			r := flowLogResource(a.b.Account.ID, a.b.Region, f)
			r.Addr = a.b.Changes[i].Addr
			a.out[i].Resource = r
		}
	}
	for _, call := range calls {
		for _, i := range call.changes {
			if a.out[i].Resource == nil && a.out[i].Err == nil {
				a.out[i].Err = a.wrap(a.b.Changes[i], cmp.Or(readErr,
					errors.New("CreateFlowLogs reported success, but DescribeFlowLogs shows no new flow log for this resource")))
			}
		}
	}
}

// readBack describes the created flow logs, 1000 IDs a call. EC2 is
// eventually consistent: a flow log just created may not show yet, and
// EC2's guide says to describe it again with a backoff "starting with a
// couple of seconds of wait time, and increasing gradually up to a few
// minutes". IDs not shown are described again, up to readBackTimeout.
func (a *applier) readBack(ctx context.Context, c *ec2.Client, ids []string) ([]ec2types.FlowLog, error) {
	deadline := time.Now().Add(a.p.readBackTimeout)
	wait := a.p.firstWait
	var out []ec2types.FlowLog
	for {
		shown := map[string]bool{}
		for chunk := range slices.Chunk(ids, engine.MaxFlowLogIDs) {
			fls, err := describeFlowLogs(ctx, c, chunk)
			if err != nil {
				return out, annotate("created flow logs, but could not read them back", err)
			}
			for _, f := range fls {
				shown[aws.ToString(f.FlowLogId)] = true
			}
			out = append(out, fls...)
		}
		ids = slices.DeleteFunc(ids, func(id string) bool { return shown[id] })
		if len(ids) == 0 || !fits(deadline, wait) {
			return out, nil
		}
		a.p.opts.Logger.InfoContext(ctx, "waiting for new flow logs to show in DescribeFlowLogs",
			"scope", scopeName(a.b.Account.ID, a.b.Region), "wait", wait, "flow_logs", len(ids))
		// Not stopped by an interrupt: the flow logs exist, and reading
		// them back is what tells which change made which.
		if !sleep(ctx, nil, &wait) {
			return out, nil
		}
	}
}

// runCreateCall makes one CreateFlowLogs call for changes sharing a
// configuration. It returns the created flow log IDs and the call's
// changes by resource ID; every failure is recorded in the change's
// outcome. While IAM propagates a new delivery role, EC2 refuses with
// "Unable to assume given IAM role": the call (with the same token) or the
// refused resources (with a token of their own) are retried with backoff up
// to IAMPropagationTimeout.
func (a *applier) runCreateCall(ctx context.Context, c *ec2.Client, pending []int) ([]string, map[string]int) {
	tmpl := a.b.Changes[pending[0]].After
	role := "delivery role " + cmp.Or(tmpl.FlowLog.DeliverLogsPermissionARN, tmpl.FlowLog.DeliverCrossAccountRole)
	byResource := map[string]int{}
	for _, i := range pending {
		byResource[a.b.Changes[i].After.FlowLog.ResourceID] = i
	}
	var created []string
	for round := 0; len(pending) > 0; round++ {
		ids := make([]string, len(pending))
		addrs := make([]string, len(pending))
		for n, i := range pending {
			ids[n] = a.b.Changes[i].After.FlowLog.ResourceID
			addrs[n] = a.b.Changes[i].Addr.String()
		}
		in := createFlowLogsInput(tmpl, ids, clientToken(a.b.ClientTokenSeed, addrs, round))
		out, err := c.CreateFlowLogs(ctx, in)
		for err != nil && isIAMPropagation(err) && a.waitIAM(ctx, role) {
			out, err = c.CreateFlowLogs(ctx, in)
		}
		if isIAMPropagation(err) {
			err = interruptedWait(ctx, role, err)
		}
		if ErrorCode(err) == "FlowLogAlreadyExists" && len(pending) > 1 {
			return append(created, a.createEach(ctx, c, pending)...), byResource
		}
		if err != nil {
			if ErrorCode(err) == "FlowLogAlreadyExists" {
				err = markAlreadyExists(err)
			}
			for _, i := range pending {
				a.out[i].Err = a.wrap(a.b.Changes[i], err)
			}
			return created, byResource
		}
		created = append(created, out.FlowLogIds...)
		var retry []int
		failed := map[int]error{}
		for _, u := range out.Unsuccessful {
			i, known := byResource[aws.ToString(u.ResourceId)]
			if !known {
				continue
			}
			failed[i] = unsuccessfulError(u)
			if isIAMPropagation(failed[i]) {
				retry = append(retry, i)
			}
		}
		if len(retry) > 0 && !a.waitIAM(ctx, role) {
			retry = nil
		}
		for i, err := range failed {
			if !slices.Contains(retry, i) {
				if isIAMPropagation(err) {
					err = interruptedWait(ctx, role, err)
				}
				a.out[i].Err = a.wrap(a.b.Changes[i], err)
			}
		}
		slices.Sort(retry)
		pending = retry
	}
	return created, byResource
}

// createEach creates the flow logs one call each. It is the fallback when
// a whole call is refused as FlowLogAlreadyExists, as moto does (awsemu,
// following AWS's response shape, reports duplicates per resource in
// Unsuccessful[]), to find which resources are duplicates and create the
// others.
func (a *applier) createEach(ctx context.Context, c *ec2.Client, pending []int) []string {
	var created []string
	for _, i := range pending {
		ids, _ := a.runCreateCall(ctx, c, []int{i})
		created = append(created, ids...)
	}
	return created
}

func isIAMPropagation(err error) bool {
	return ErrorCode(err) == "InvalidParameter" && strings.Contains(err.Error(), iamPropagationMessage)
}

func unsuccessfulError(u ec2types.UnsuccessfulItem) error {
	if u.Error == nil {
		return &itemError{code: "Unknown", message: "AWS reported the resource unsuccessful without a reason"}
	}
	return &itemError{code: aws.ToString(u.Error.Code), message: aws.ToString(u.Error.Message)}
}

// liveFlowLogs describes the batch's flow logs by ID, 1000 a call, just
// before it writes to them: ownership is checked on what AWS says, never
// on the change's copy. It returns them by index into the batch; a change
// whose flow log AWS no longer has is left out, and so is every change when
// the describe fails, with its error recorded.
func (a *applier) liveFlowLogs(ctx context.Context, c *ec2.Client) map[int]*engine.Resource {
	byID := map[string][]int{}
	for i, ch := range a.b.Changes {
		if ch.Before == nil || ch.Before.ID == "" {
			a.out[i].Err = a.wrap(ch, errors.New("change names no flow log ID"))
			continue
		}
		byID[ch.Before.ID] = append(byID[ch.Before.ID], i)
	}
	live := map[int]*engine.Resource{}
	for chunk := range slices.Chunk(slices.Sorted(maps.Keys(byID)), engine.MaxFlowLogIDs) {
		fls, err := describeFlowLogs(ctx, c, chunk)
		if err != nil {
			for _, id := range chunk {
				for _, i := range byID[id] {
					a.out[i].Err = a.wrap(a.b.Changes[i], annotate("read the flow log before changing it", err))
				}
			}
			continue
		}
		for _, f := range fls {
			for _, i := range byID[aws.ToString(f.FlowLogId)] {
				live[i] = flowLogResource(a.b.Account.ID, a.b.Region, f)
			}
		}
	}
	return live
}

// deleteFlowLogs deletes the batch's flow logs this spec owns, as AWS
// says just before the delete, 1000 IDs a call. A flow log already gone is
// reported as engine.ErrNotFound, which the engine counts as done.
func (a *applier) deleteFlowLogs(ctx context.Context) {
	c := a.p.ec2(a.s, a.b.Region)
	live := a.liveFlowLogs(ctx, c)
	byID := map[string]int{}
	for i, ch := range a.b.Changes {
		switch {
		case a.out[i].Err != nil:
		case live[i] == nil:
			a.out[i].Err = a.wrap(ch, markNotFound(fmt.Errorf("flow log %s no longer exists", ch.Before.ID)))
		default:
			if err := a.checkManaged(ch, live[i]); err != nil {
				a.out[i].Err = a.wrap(ch, err)
				continue
			}
			byID[ch.Before.ID] = i
		}
	}
	for chunk := range slices.Chunk(slices.Sorted(maps.Keys(byID)), engine.MaxFlowLogIDs) {
		a.deleteFlowLogIDs(ctx, c, chunk, byID)
	}
}

// deleteFlowLogIDs makes one DeleteFlowLogs call. AWS reports IDs already
// gone in Unsuccessful[]; moto, which refuses the whole call for them
// (InvalidFlowLogId.NotFound) is answered by deleting the IDs one by one.
func (a *applier) deleteFlowLogIDs(ctx context.Context, c *ec2.Client, ids []string, byID map[string]int) {
	out, err := c.DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: ids})
	if ErrorCode(err) == "InvalidFlowLogId.NotFound" {
		if len(ids) > 1 {
			for _, id := range ids {
				a.deleteFlowLogIDs(ctx, c, []string{id}, byID)
			}
			return
		}
		err = markNotFound(err)
	}
	if err != nil {
		for _, id := range ids {
			a.out[byID[id]].Err = a.wrap(a.b.Changes[byID[id]], err)
		}
		return
	}
	for _, u := range out.Unsuccessful {
		if i, ok := byID[aws.ToString(u.ResourceId)]; ok {
			a.out[i].Err = a.wrap(a.b.Changes[i], unsuccessfulError(u))
		}
	}
}

// tagFlowLogs sets the desired tags of managed flow logs (OpUpdate) or
// adds them, ownership tags included, to an unmanaged flow log being
// adopted (OpAdopt). Flow logs needing the same tags share CreateTags calls.
// No tag is ever removed (see tagsToSet).
func (a *applier) tagFlowLogs(ctx context.Context) {
	c := a.p.ec2(a.s, a.b.Region)
	live := a.liveFlowLogs(ctx, c)
	sets := map[string][]int{}
	setTags := map[string]map[string]string{}
	for i, ch := range a.b.Changes {
		if a.out[i].Err != nil {
			continue
		}
		if err := a.checkTaggable(ch, live[i]); err != nil {
			a.out[i].Err = a.wrap(ch, err)
			continue
		}
		if set := tagsToSet(live[i].Tags, ch.After.Tags); len(set) > 0 {
			k := configKeyTags(set)
			sets[k] = append(sets[k], i)
			setTags[k] = set
		}
	}
	for _, k := range slices.Sorted(maps.Keys(sets)) {
		a.tagCall(ctx, c, sets[k], toEC2Tags(setTags[k]))
	}
	for i, ch := range a.b.Changes {
		if a.out[i].Err != nil {
			continue
		}
		r := *live[i]
		r.Addr = ch.After.Addr
		r.Tags = resultTags(live[i].Tags, ch.After.Tags)
		a.out[i].Resource = &r
	}
}

// checkTaggable allows updating a flow log this spec manages, and adopting
// one no spec manages, as AWS describes it now (live).
func (a *applier) checkTaggable(ch *engine.Change, live *engine.Resource) error {
	switch {
	case ch.After == nil:
		return errors.New("change has no desired flow log")
	case live == nil:
		return fmt.Errorf("flow log %s no longer exists", ch.Before.ID)
	case a.b.Op == engine.OpUpdate:
		return a.checkManaged(ch, live)
	}
	if owner, _ := live.Owner(); owner != "" {
		return fmt.Errorf("refusing to adopt a flow log managed by spec %q", owner)
	}
	return nil
}

// tagCall tags the changes' flow logs, 1000 a call. CreateTags fails as a
// whole when one flow log is gone (deleted since discovery): the call's
// flow logs are then tagged one by one, so that only the gone one fails.
func (a *applier) tagCall(ctx context.Context, c *ec2.Client, idx []int, tags []ec2types.Tag) {
	for chunk := range slices.Chunk(idx, maxTagResources) {
		ids := make([]string, len(chunk))
		for n, i := range chunk {
			ids[n] = a.b.Changes[i].Before.ID
		}
		_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: tags})
		if len(chunk) > 1 && strings.HasSuffix(ErrorCode(err), ".NotFound") {
			for _, i := range chunk {
				a.tagCall(ctx, c, []int{i}, tags)
			}
			continue
		}
		if err != nil {
			for _, i := range chunk {
				a.out[i].Err = a.wrap(a.b.Changes[i], err)
			}
		}
	}
}

func configKeyTags(m map[string]string) string {
	b, _ := json.Marshal(m)
	return string(b)
}
