package render

import (
	"fmt"
	"strings"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/spec"
)

// This file builds the plans and results the golden tests render, by hand,
// so that every action, kind, note kind and error shape is covered.

// secretExternalID is set on every account; no output may contain it.
const secretExternalID = "EXTERNAL-ID-must-never-be-printed-7f3a"

const defaultFormat = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} " +
	"${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"

const longFormat = defaultFormat + " ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} ${type} ${pkt-srcaddr} " +
	"${pkt-dstaddr} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${pkt-src-aws-service} " +
	"${pkt-dst-aws-service} ${flow-direction} ${traffic-path}"

func addr(account, region string, kind engine.Kind, name string) engine.Addr {
	return engine.Addr{Account: account, Region: region, Kind: kind, Name: name}
}

func ownerTags(rule string, extra ...string) map[string]string {
	t := map[string]string{engine.TagSpec: "prod", engine.TagRule: rule}
	for i := 0; i+1 < len(extra); i += 2 {
		t[extra[i]] = extra[i+1]
	}
	return t
}

func roleARN(account, name string) string { return "arn:aws:iam::" + account + ":role/" + name }

func logGroupARN(account, region string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:/vpc-flow-logs/%s/%s", region, account, account, region)
}

// cwFlowLog is a managed VPC flow log to CloudWatch Logs.
func cwFlowLog(account, region, rule, vpc, id, traffic string) *engine.Resource {
	return &engine.Resource{
		Addr: addr(account, region, engine.KindFlowLog, rule+"/"+vpc),
		ID:   id,
		Tags: ownerTags(rule),
		FlowLog: &engine.FlowLog{
			ResourceID: vpc, ResourceType: "VPC", TrafficType: traffic,
			DestinationType: "cloud-watch-logs", Destination: logGroupARN(account, region),
			DeliverLogsPermissionARN: roleARN(account, "flowplan-flow-logs"),
			LogFormat:                defaultFormat, MaxAggregationInterval: 600,
		},
	}
}

func accounts() []engine.Account {
	return []engine.Account{
		{ID: "111111111111", Alias: "prod-main", Regions: []string{"eu-west-1", "us-east-1"},
			AssumeRole: roleARN("111111111111", "flowplan-exec"), ExternalID: secretExternalID, Source: "accounts"},
		{ID: "222222222222", Regions: []string{"eu-west-1", "us-east-1"},
			AssumeRole: roleARN("222222222222", "OrganizationAccountAccessRole"), ExternalID: secretExternalID, Source: "organization"},
		{ID: "333333333333", Alias: "log-archive", Regions: []string{"us-east-1"},
			AssumeRole: roleARN("333333333333", "flowplan-exec"), ExternalID: secretExternalID, Source: "accounts"},
	}
}

func trustPolicy(regions ...string) string {
	var arns []string
	for _, r := range regions {
		arns = append(arns, `"arn:aws:ec2:`+r+`:111111111111:vpc-flow-log/*"`)
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},` +
		`"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"},` +
		`"ArnLike":{"aws:SourceArn":[` + strings.Join(arns, ",") + `]}}}]}`
}

const deliveryPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream",` +
	`"logs:PutLogEvents","logs:DescribeLogGroups","logs:DescribeLogStreams"],"Resource":[` +
	`"arn:aws:logs:eu-west-1:111111111111:log-group:/vpc-flow-logs/111111111111/eu-west-1:*",` +
	`"arn:aws:logs:us-east-1:111111111111:log-group:/vpc-flow-logs/111111111111/us-east-1:*"]}]}`

func bucketStatement(sid, action, resource string, accounts ...string) string {
	return `{"Sid":"` + sid + `","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"` + action +
		`","Resource":"` + resource + `","Condition":{"StringEquals":{"aws:SourceAccount":["` +
		strings.Join(accounts, `","`) + `"]}}}`
}

// fullPlan has every action on every kind, notes of every kind, discovery
// errors, tag and policy diffs and long values.
func fullPlan() *engine.Plan {
	const a1, a2, a3 = "111111111111", "222222222222", "333333333333"
	roleAddr := addr(a1, engine.GlobalRegion, engine.KindRole, "flowplan-flow-logs")
	policyAddr := addr(a1, engine.GlobalRegion, engine.KindRolePolicy, "flowplan-flow-logs/flowplan-delivery")
	lgEU := addr(a1, "eu-west-1", engine.KindLogGroup, "/vpc-flow-logs/111111111111/eu-west-1")
	lgUS := addr(a1, "us-east-1", engine.KindLogGroup, "/vpc-flow-logs/111111111111/us-east-1")

	roleBefore := &engine.Resource{Addr: roleAddr, ID: roleARN(a1, "flowplan-flow-logs"),
		Tags: ownerTags("prod-vpcs", "owner", "network-team"),
		Role: &engine.Role{Name: "flowplan-flow-logs", Path: "/flowplan/", AssumeRolePolicy: trustPolicy("us-east-1")}}
	roleAfter := &engine.Resource{Addr: roleAddr, Tags: ownerTags("prod-vpcs", "owner", "platform-team"),
		Role: &engine.Role{Name: "flowplan-flow-logs", Path: "/flowplan/", AssumeRolePolicy: trustPolicy("eu-west-1", "us-east-1")}}

	replaceBefore := cwFlowLog(a1, "us-east-1", "prod-vpcs", "vpc-0bbb", "fl-0bbb000000000000", "REJECT")
	replaceAfter := cwFlowLog(a1, "us-east-1", "prod-vpcs", "vpc-0bbb", "", "ALL")
	replaceAfter.FlowLog.LogFormat = longFormat

	adoptBefore := cwFlowLog(a1, "us-east-1", "prod-vpcs", "vpc-0ccc", "fl-0ccc000000000000", "ALL")
	adoptBefore.Tags = map[string]string{"Name": "hand-made"}
	adoptAfter := cwFlowLog(a1, "us-east-1", "prod-vpcs", "vpc-0ccc", "", "ALL")

	tagsBefore := cwFlowLog(a1, "us-east-1", "prod-vpcs", "vpc-0fff", "fl-0fff000000000000", "ALL")
	tagsBefore.Tags["team"], tagsBefore.Tags["old"] = "net", "remove-me"
	tagsAfter := cwFlowLog(a1, "us-east-1", "prod-vpcs", "vpc-0fff", "", "ALL")
	tagsAfter.Tags["team"], tagsAfter.Tags["cost-center"] = "platform", strings.Repeat("cc-1234-", 20)

	tgw := &engine.Resource{
		Addr: addr(a2, "us-east-1", engine.KindFlowLog, "tgw/tgw-0123456789abcdef0"),
		Tags: ownerTags("tgw"),
		FlowLog: &engine.FlowLog{
			ResourceID: "tgw-0123456789abcdef0", ResourceType: "TransitGateway",
			DestinationType: "s3", Destination: "arn:aws:s3:::org-flow-logs/tgw/",
			LogFormat: longFormat, MaxAggregationInterval: 60,
			FileFormat: "parquet", HiveCompatiblePartitions: true, PerHourPartition: true,
		},
	}
	eni := &engine.Resource{
		Addr: addr(a1, "eu-west-1", engine.KindFlowLog, "eni-firehose/eni-0abc"),
		Tags: ownerTags("eni-firehose"),
		FlowLog: &engine.FlowLog{
			ResourceID: "eni-0abc", ResourceType: "NetworkInterface", TrafficType: "ACCEPT",
			DestinationType:          "kinesis-data-firehose",
			Destination:              "arn:aws:firehose:eu-west-1:333333333333:deliverystream/flow-logs",
			DeliverLogsPermissionARN: roleARN(a1, "flowplan-flow-logs"),
			DeliverCrossAccountRole:  roleARN(a3, "flowplan-firehose-writer"),
			LogFormat:                defaultFormat + " ${ecs-cluster-name} ${resource-type}",
			MaxAggregationInterval:   600,
			TagFieldSpecifications: []spec.TagFieldSpecification{
				{ResourceType: "network-interface", TagKeys: []string{"Name", "env"}},
				{ResourceType: "instance", TagKeys: []string{"team"}},
			},
		},
	}
	oldRole := &engine.Resource{Addr: addr(a2, engine.GlobalRegion, engine.KindRole, "flowplan-old"),
		ID: roleARN(a2, "flowplan-old"), Tags: ownerTags("retired"),
		Role: &engine.Role{Name: "flowplan-old", Path: "/flowplan/", AssumeRolePolicy: trustPolicy("us-east-1")}}
	movedBefore := &engine.Resource{Addr: addr(a2, engine.GlobalRegion, engine.KindRole, "flowplan-flow-logs"),
		ID: roleARN(a2, "flowplan-flow-logs"), Tags: ownerTags("tgw"),
		Role: &engine.Role{Name: "flowplan-flow-logs", Path: "/", AssumeRolePolicy: trustPolicy("us-east-1")}}
	movedAfter := &engine.Resource{Addr: movedBefore.Addr, Tags: ownerTags("tgw"),
		Role: &engine.Role{Name: "flowplan-flow-logs", Path: "/flowplan/", AssumeRolePolicy: trustPolicy("us-east-1")}}
	writeSid := "flowplan-prod-write-3f2a9c1e"
	aclSid := "flowplan-prod-aclcheck"
	stmtAddr := addr(a3, engine.GlobalRegion, engine.KindBucketPolicyStatement, "org-flow-logs/"+writeSid)
	aclAddr := addr(a3, engine.GlobalRegion, engine.KindBucketPolicyStatement, "org-flow-logs/"+aclSid)
	aclBefore := bucketStatement(aclSid, "s3:GetBucketAcl", "arn:aws:s3:::org-flow-logs", a1)
	aclAfter := bucketStatement(aclSid, "s3:GetBucketAcl", "arn:aws:s3:::org-flow-logs", a1, a2)

	changes := []*engine.Change{
		{Addr: roleAddr, Action: engine.Update, Before: roleBefore, After: roleAfter,
			Diffs: []engine.AttrDiff{
				{Attr: "tags.owner", Before: "network-team", After: "platform-team"},
				{Attr: "assume_role_policy", Before: roleBefore.Role.AssumeRolePolicy, After: roleAfter.Role.AssumeRolePolicy},
			},
			Reason: "the trust policy must allow eu-west-1", Fingerprint: "sha256:role"},
		{Addr: policyAddr, Action: engine.Create, Reason: "the delivery role needs its policy",
			After: &engine.Resource{Addr: policyAddr, RolePolicy: &engine.RolePolicy{
				RoleName: "flowplan-flow-logs", PolicyName: "flowplan-delivery", Document: deliveryPolicy}},
			DependsOn: []engine.Addr{roleAddr}},
		{Addr: lgEU, Action: engine.Create, Reason: "rule prod-vpcs sends eu-west-1 flow logs here",
			After: &engine.Resource{Addr: lgEU, Tags: ownerTags("prod-vpcs"), LogGroup: &engine.LogGroup{
				Name: lgEU.Name, RetentionDays: 90, KMSKeyARN: "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}},
		{Addr: lgUS, Action: engine.Update, Reason: "retention differs from the spec",
			Before: &engine.Resource{Addr: lgUS, ID: logGroupARN(a1, "us-east-1"), Tags: ownerTags("prod-vpcs"),
				LogGroup: &engine.LogGroup{Name: lgUS.Name, RetentionDays: 30}},
			After: &engine.Resource{Addr: lgUS, Tags: ownerTags("prod-vpcs"),
				LogGroup: &engine.LogGroup{Name: lgUS.Name, RetentionDays: 90}},
			Diffs: []engine.AttrDiff{{Attr: "retention_days", Before: "30", After: "90"}}},
		{Addr: cwFlowLog(a1, "us-east-1", "prod-vpcs", "vpc-0aaa", "", "").Addr, Action: engine.Create,
			After:  cwFlowLog(a1, "us-east-1", "prod-vpcs", "vpc-0aaa", "", "ALL"),
			Reason: "VPC vpc-0aaa (env=prod) matches rule prod-vpcs", DependsOn: []engine.Addr{policyAddr, lgUS}},
		{Addr: replaceBefore.Addr, Action: engine.Replace, Before: replaceBefore, After: replaceAfter,
			Diffs: []engine.AttrDiff{
				{Attr: "traffic_type", Before: "REJECT", After: "ALL", ForcesReplacement: true},
				{Attr: "log_format", Before: defaultFormat, After: longFormat, ForcesReplacement: true},
			},
			Reason: "traffic_type: REJECT → ALL forces replacement; log_format forces replacement"},
		{Addr: adoptBefore.Addr, Action: engine.Adopt, Before: adoptBefore, After: adoptAfter,
			Diffs: []engine.AttrDiff{
				{Attr: "tags.flowplan:spec", After: "prod"},
				{Attr: "tags.flowplan:rule", After: "prod-vpcs"},
			},
			Reason: "fl-0ccc000000000000 already matches rule prod-vpcs"},
		{Addr: addr(a1, "us-east-1", engine.KindFlowLog, "prod-vpcs/vpc-0ddd"), Action: engine.NoOp,
			Before: cwFlowLog(a1, "us-east-1", "prod-vpcs", "vpc-0ddd", "fl-0ddd000000000000", "ALL"),
			After:  cwFlowLog(a1, "us-east-1", "prod-vpcs", "vpc-0ddd", "", "ALL")},
		{Addr: addr(a1, "us-east-1", engine.KindFlowLog, "legacy/vpc-0eee"), Action: engine.Delete,
			Before: cwFlowLog(a1, "us-east-1", "legacy", "vpc-0eee", "fl-0eee000000000000", "REJECT"),
			Reason: "no rule wants it any more and prune is on"},
		{Addr: tagsBefore.Addr, Action: engine.Update, Before: tagsBefore, After: tagsAfter,
			Diffs: []engine.AttrDiff{
				{Attr: "tags.team", Before: "net", After: "platform"},
				{Attr: "tags.old", Before: "remove-me"},
				{Attr: "tags.cost-center", After: tagsAfter.Tags["cost-center"]},
			},
			Reason: "tags differ"},
		{Addr: stmtAddr, Action: engine.Create, Reason: "222222222222 and 111111111111 write to this bucket",
			After: &engine.Resource{Addr: stmtAddr, BucketPolicyStatement: &engine.BucketPolicyStatement{
				Bucket: "org-flow-logs", Sid: writeSid,
				Statement: bucketStatement(writeSid, "s3:PutObject", "arn:aws:s3:::org-flow-logs/tgw/AWSLogs/*", a1, a2)}}},
		{Addr: aclAddr, Action: engine.Update, Reason: "a new account writes to this bucket",
			Before: &engine.Resource{Addr: aclAddr, ID: "arn:aws:s3:::org-flow-logs#" + aclSid,
				BucketPolicyStatement: &engine.BucketPolicyStatement{Bucket: "org-flow-logs", Sid: aclSid, Statement: aclBefore}},
			After: &engine.Resource{Addr: aclAddr,
				BucketPolicyStatement: &engine.BucketPolicyStatement{Bucket: "org-flow-logs", Sid: aclSid, Statement: aclAfter}},
			Diffs: []engine.AttrDiff{{Attr: "statement", Before: aclBefore, After: aclAfter}}},
		{Addr: tgw.Addr, Action: engine.Create, After: tgw, Reason: "transit gateway tgw-0123456789abcdef0 matches rule tgw"},
		{Addr: addr(a2, "us-east-1", engine.KindFlowLog, "prod-vpcs/vpc-0999"), Action: engine.NoOp},
		{Addr: eni.Addr, Action: engine.Create, After: eni, Reason: "ENI eni-0abc matches rule eni-firehose"},
		{Addr: oldRole.Addr, Action: engine.Delete, Before: oldRole, Reason: "no flow log uses this role any more and prune is on"},
		{Addr: movedBefore.Addr, Action: engine.Replace, Before: movedBefore, After: movedAfter,
			Diffs:  []engine.AttrDiff{{Attr: "path", Before: "/", After: "/flowplan/", ForcesReplacement: true}},
			Reason: "path: / → /flowplan/ forces replacement; the role is deleted, then created again"},
	}
	return &engine.Plan{
		FormatVersion: engine.PlanFormatVersion,
		ID:            "3b9f0c2e-plan-full",
		Spec:          engine.SpecRef{Name: "prod", File: "specs/prod.yaml", SHA256: strings.Repeat("ab", 32)},
		Accounts:      accounts(),
		Changes:       changes,
		Notes: []engine.Note{
			{Kind: engine.NoteWarning, Addr: stmtAddr, Message: "the bucket policy of org-flow-logs is 17 KB; the limit is 20 KB"},
			{Kind: engine.NoteUnmanaged, Addr: addr(a1, "us-east-1", engine.KindFlowLog, "vpc-0aaa/fl-0hand000000000000"),
				Message: "flow log without flowplan's ownership tags (to arn:aws:s3:::team-bucket); kept, never touched",
				Resource: &engine.Resource{Addr: addr(a1, "us-east-1", engine.KindFlowLog, "vpc-0aaa/fl-0hand000000000000"),
					ID: "fl-0hand000000000000", Tags: map[string]string{"Name": "team"}}},
			{Kind: engine.NoteUnmanaged, Addr: addr(a2, "us-east-1", engine.KindFlowLog, "vpc-0999/fl-0stag000000000000"),
				Message: `managed by another spec ("staging")`},
			{Kind: engine.NoteOrphan, Addr: addr(a1, "us-east-1", engine.KindFlowLog, "old-rule/vpc-0old"),
				Message: "no rule wants it any more; kept because prune is off"},
			{Kind: engine.NoteConflict, Addr: addr(a1, engine.GlobalRegion, engine.KindRole, "flowplan-flow-logs-eu"),
				Message: "a role with this name exists without flowplan's ownership tags; flowplan will not change it, so rule eu-vpcs cannot be planned"},
		},
		Errors: []engine.ScopeError{
			{Scope: "222222222222/eu-west-1", Code: "UnauthorizedOperation",
				Message: "describe flow logs: You are not authorized to perform this operation. User: arn:aws:sts::222222222222:assumed-role/OrganizationAccountAccessRole/flowplan is not authorized to perform: ec2:DescribeFlowLogs"},
			{Scope: "444444444444", Code: "AccessDenied", Message: "assume role arn:aws:iam::444444444444:role/flowplan-exec: not authorized"},
		},
	}
}

// unchangedPlan has only no-ops and an unmanaged note.
func unchangedPlan() *engine.Plan {
	p := &engine.Plan{FormatVersion: engine.PlanFormatVersion, ID: "plan-unchanged",
		Spec:     engine.SpecRef{Name: "prod", File: "specs/prod.yaml", SHA256: strings.Repeat("cd", 32)},
		Accounts: accounts()[:1]}
	for _, vpc := range []string{"vpc-0002", "vpc-0001"} {
		r := cwFlowLog("111111111111", "us-east-1", "prod-vpcs", vpc, "fl-"+vpc, "ALL")
		p.Changes = append(p.Changes, &engine.Change{Addr: r.Addr, Action: engine.NoOp, Before: r, After: r})
	}
	p.Notes = []engine.Note{{Kind: engine.NoteUnmanaged, Addr: addr("111111111111", "us-east-1", engine.KindFlowLog, "vpc-0001/fl-0x"),
		Message: "flow log without flowplan's ownership tags"}}
	return p
}

// emptyPlan covers nothing at all.
func emptyPlan() *engine.Plan {
	return &engine.Plan{FormatVersion: engine.PlanFormatVersion, ID: "plan-empty",
		Spec: engine.SpecRef{Name: "empty", File: "empty.yaml"}}
}

// manyPlan spreads creates over many accounts and regions, limited by
// --target.
func manyPlan(nAccounts, nRegions, perScope int) *engine.Plan {
	regions := []string{"ap-northeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-north-1",
		"eu-west-1", "eu-west-2", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2"}
	p := &engine.Plan{FormatVersion: engine.PlanFormatVersion, ID: "plan-many",
		Spec:    engine.SpecRef{Name: "org", File: "org.yaml"},
		Targets: []string{"1000000000", "2000000000"}}
	for i := 0; i < nAccounts; i++ {
		id := fmt.Sprintf("%012d", 100000000000+i*1111)
		acct := engine.Account{ID: id, Regions: regions[:nRegions], ExternalID: secretExternalID, Source: "organization"}
		if i%2 == 0 {
			acct.Alias = fmt.Sprintf("team-%02d", i)
		}
		p.Accounts = append(p.Accounts, acct)
		role := addr(id, engine.GlobalRegion, engine.KindRole, "flowplan-flow-logs")
		p.Changes = append(p.Changes, &engine.Change{Addr: role, Action: engine.Create,
			After: &engine.Resource{Addr: role, Tags: ownerTags("all-vpcs"),
				Role: &engine.Role{Name: "flowplan-flow-logs", Path: "/", AssumeRolePolicy: trustPolicy("us-east-1")}}})
		for _, region := range regions[:nRegions] {
			for k := 0; k < perScope; k++ {
				r := cwFlowLog(id, region, "all-vpcs", fmt.Sprintf("vpc-%04d", k), "", "ALL")
				action := engine.Create
				if k%3 == 2 {
					action = engine.NoOp
				}
				p.Changes = append(p.Changes, &engine.Change{Addr: r.Addr, Action: action, After: r,
					Reason: "VPC " + r.FlowLog.ResourceID + " matches rule all-vpcs"})
			}
		}
	}
	// The last account has nothing to do.
	last := p.Accounts[len(p.Accounts)-1].ID
	for _, c := range p.Changes {
		if c.Addr.Account == last {
			c.Action = engine.NoOp
		}
	}
	return p
}

// escapingPlan puts Markdown and HTML metacharacters everywhere users'
// text can reach.
func escapingPlan() *engine.Plan {
	r := cwFlowLog("111111111111", "us-east-1", "pipes", "vpc-0pipe", "", "ALL")
	r.Tags["note"] = "a|b <script>alert(1)</script> `tick` ```fence``` *bold* [link](x) & done"
	before := cwFlowLog("111111111111", "us-east-1", "pipes", "vpc-0pipe", "fl-0pipe", "ALL")
	before.Tags["note"] = "old|value"
	return &engine.Plan{FormatVersion: engine.PlanFormatVersion, ID: "plan-escaping",
		Spec:     engine.SpecRef{Name: "we|ird`<name>", File: "specs/we|ird.yaml"},
		Accounts: []engine.Account{{ID: "111111111111", Alias: "a|b <i>`x`</i>", Regions: []string{"us-east-1"}, ExternalID: secretExternalID}},
		Changes: []*engine.Change{{Addr: r.Addr, Action: engine.Update, Before: before, After: r,
			Diffs:  []engine.AttrDiff{{Attr: "tags.note", Before: before.Tags["note"], After: r.Tags["note"]}},
			Reason: "tags differ: <b>note</b> | *changed*\nsecond line"}},
		Notes: []engine.Note{{Kind: engine.NoteWarning, Addr: r.Addr,
			Message: "message with | pipe, <html>, `code` and\nnewline"}},
		Errors: []engine.ScopeError{{Scope: "111111111111/eu-west-1", Message: "<error> | `bad`"}},
	}
}

// fullResult is the outcome of applying fullPlan: applied, failed and
// skipped changes, and a replacement that fell back to delete-then-create.
func fullResult() *engine.Result {
	const a1, a2 = "111111111111", "222222222222"
	created := cwFlowLog(a1, "us-east-1", "prod-vpcs", "vpc-0aaa", "fl-0new0000000000aaa", "ALL")
	replaced := cwFlowLog(a1, "us-east-1", "prod-vpcs", "vpc-0bbb", "fl-0new0000000000bbb", "ALL")
	policy := addr(a1, engine.GlobalRegion, engine.KindRolePolicy, "flowplan-flow-logs/flowplan-delivery")
	return &engine.Result{Changes: []engine.ChangeResult{
		{Addr: created.Addr, Action: engine.Create, Status: engine.StatusApplied, Resource: created},
		{Addr: addr(a1, engine.GlobalRegion, engine.KindRole, "flowplan-flow-logs"), Action: engine.Update, Status: engine.StatusApplied},
		{Addr: policy, Action: engine.Create, Status: engine.StatusApplied},
		{Addr: replaced.Addr, Action: engine.Replace, Status: engine.StatusApplied, Resource: replaced,
			Detail: "AWS refused the new flow log as a duplicate (FlowLogAlreadyExists), so flowplan deleted fl-0bbb000000000000 first, then created fl-0new0000000000bbb; logging stopped for about 2s"},
		{Addr: addr(a1, "us-east-1", engine.KindFlowLog, "prod-vpcs/vpc-0ccc"), Action: engine.Adopt, Status: engine.StatusApplied},
		{Addr: addr(a1, "us-east-1", engine.KindFlowLog, "prod-vpcs/vpc-0ddd"), Action: engine.NoOp, Status: engine.StatusApplied},
		{Addr: addr(a1, "us-east-1", engine.KindFlowLog, "legacy/vpc-0eee"), Action: engine.Delete, Status: engine.StatusApplied},
		{Addr: addr(a2, "us-east-1", engine.KindFlowLog, "tgw/tgw-0123456789abcdef0"), Action: engine.Create, Status: engine.StatusFailed,
			Error: "create flow log 222222222222/us-east-1/flow_log/tgw/tgw-0123456789abcdef0: InvalidParameter: MaxAggregationInterval must be 60 for transit gateways"},
		{Addr: addr(a1, "eu-west-1", engine.KindFlowLog, "eni-firehose/eni-0abc"), Action: engine.Create, Status: engine.StatusSkipped,
			Error: "depends on 111111111111/eu-west-1/log_group//vpc-flow-logs/111111111111/eu-west-1, which failed"},
		{Addr: addr(a1, "eu-west-1", engine.KindLogGroup, "/vpc-flow-logs/111111111111/eu-west-1"), Action: engine.Create, Status: engine.StatusFailed,
			Error: "create log group 111111111111/eu-west-1/log_group//vpc-flow-logs/111111111111/eu-west-1: AccessDeniedException: kms key not usable | see <docs>"},
	}}
}

// interruptedResult is the outcome of applying fullPlan when the apply was
// interrupted: what was in flight was applied, the rest not made.
func interruptedResult() *engine.Result {
	const a1 = "111111111111"
	created := cwFlowLog(a1, "us-east-1", "prod-vpcs", "vpc-0aaa", "fl-0new0000000000aaa", "ALL")
	return &engine.Result{Changes: []engine.ChangeResult{
		{Addr: created.Addr, Action: engine.Create, Status: engine.StatusApplied, Resource: created},
		{Addr: addr(a1, engine.GlobalRegion, engine.KindRole, "flowplan-flow-logs"), Action: engine.Update, Status: engine.StatusApplied},
		{Addr: addr(a1, "us-east-1", engine.KindFlowLog, "prod-vpcs/vpc-0ccc"), Action: engine.Adopt, Status: engine.StatusInterrupted,
			Error: "adopt flow log 111111111111/us-east-1/flow_log/prod-vpcs/vpc-0ccc: not attempted: the apply was interrupted (interrupted by SIGINT)"},
		{Addr: addr(a1, "eu-west-1", engine.KindLogGroup, "/vpc-flow-logs/111111111111/eu-west-1"), Action: engine.Create, Status: engine.StatusInterrupted,
			Error: "create log group 111111111111/eu-west-1/log_group//vpc-flow-logs/111111111111/eu-west-1: not attempted: the apply was interrupted (interrupted by SIGINT)"},
	}}
}

// examplePlan is the example in docs/plan-json.md.
func examplePlan() *engine.Plan {
	const a = "111111111111"
	newer := cwFlowLog(a, "us-east-1", "prod-vpcs", "vpc-0aaa", "", "ALL")
	before := cwFlowLog(a, "us-east-1", "prod-vpcs", "vpc-0bbb", "fl-0bbb", "REJECT")
	after := cwFlowLog(a, "us-east-1", "prod-vpcs", "vpc-0bbb", "", "ALL")
	delete(before.Tags, engine.TagRule)
	delete(after.Tags, engine.TagRule)
	delete(newer.Tags, engine.TagRule)
	before.FlowLog.Status = &engine.FlowLogStatus{FlowLogStatus: "ACTIVE", DeliverLogsStatus: "SUCCESS", CreationTime: "2026-01-02T03:04:05Z"}
	return &engine.Plan{
		FormatVersion: engine.PlanFormatVersion,
		ID:            "7d1c2f0a9b8e4d6c",
		Spec:          engine.SpecRef{Name: "prod", File: "flowplan.yaml", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		Accounts: []engine.Account{{ID: a, Alias: "prod-main", Regions: []string{"us-east-1"},
			AssumeRole: roleARN(a, "flowplan-exec"), ExternalID: secretExternalID, Source: "accounts"}},
		Changes: []*engine.Change{
			{Addr: newer.Addr, Action: engine.Create, After: newer,
				Reason:      "no flow log with this configuration on vpc-0aaa",
				DependsOn:   []engine.Addr{addr(a, engine.GlobalRegion, engine.KindRole, "flowplan-flow-logs")},
				Fingerprint: "sha256:5e8f"},
			{Addr: before.Addr, Action: engine.Replace, Before: before, After: after,
				Diffs:       []engine.AttrDiff{{Attr: "traffic_type", Before: "REJECT", After: "ALL", ForcesReplacement: true}},
				Reason:      "traffic_type: REJECT → ALL forces replacement",
				Fingerprint: "sha256:a41c"},
		},
		Notes: []engine.Note{{Kind: engine.NoteUnmanaged, Addr: addr(a, "us-east-1", engine.KindFlowLog, "vpc-0aaa/fl-0hand"),
			Message: "flow log without flowplan's ownership tags; kept, never touched"}},
		Errors: []engine.ScopeError{{Scope: "222222222222/us-east-1", Code: "AccessDenied", Message: "describe flow logs: not authorized"}},
	}
}

// exampleResult is the result example in docs/plan-json.md.
func exampleResult() *engine.Result {
	r := cwFlowLog("111111111111", "us-east-1", "prod-vpcs", "vpc-0aaa", "fl-0new", "ALL")
	delete(r.Tags, engine.TagRule)
	return &engine.Result{Changes: []engine.ChangeResult{
		{Addr: r.Addr, Action: engine.Create, Status: engine.StatusApplied, Resource: r},
		{Addr: addr("111111111111", "us-east-1", engine.KindFlowLog, "prod-vpcs/vpc-0bbb"), Action: engine.Replace, Status: engine.StatusFailed,
			Error: "create flow log 111111111111/us-east-1/flow_log/prod-vpcs/vpc-0bbb: InvalidParameter: ..."},
	}}
}

// exampleDrift is the drift of docs/drift-json.md's example.
func exampleDrift() *engine.Drift {
	fl := engine.ManagedFlowLogAddr("111111111111", "us-east-1", "prod-vpcs", "vpc-0aaa")
	return &engine.Drift{
		Spec:     engine.SpecRef{Name: "prod", File: "flowplan.yaml", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		Accounts: []engine.Account{{ID: "111111111111", Regions: []string{"us-east-1"}, Source: "accounts"}, {ID: "222222222222", Regions: []string{"us-east-1"}, Source: "accounts"}},
		Findings: []engine.Finding{
			{Kind: engine.DriftMissing, Severity: engine.SeverityHigh, Addr: fl, ResourceID: "vpc-0aaa",
				Expected: "ALL to s3 arn:aws:s3:::org-flow-logs, default format, 600 s", Actual: "no flow log",
				Detail: "vpc-0aaa has no flow log at all: it is unlogged", Fix: engine.FixCommand("flowplan.yaml", fl), Drift: true},
			{Kind: engine.DriftUnmanaged, Severity: engine.SeverityLow, Addr: engine.OtherFlowLogAddr("111111111111", "us-east-1", "vpc-0bbb", "fl-0bbb"),
				ResourceID: "fl-0bbb", Actual: "REJECT to cloud-watch-logs arn:aws:logs:us-east-1:111111111111:log-group:legacy, default format, 600 s",
				Detail: "flow log fl-0bbb on vpc-0bbb is not managed by this spec (no flowplan ownership tags); never modified", Fix: "none needed; flowplan never touches it"},
		},
		Errors: []engine.ScopeError{{Scope: "222222222222/us-east-1", Code: "AccessDenied", Message: "discover region: not authorized to perform ec2:DescribeFlowLogs", Stage: engine.StageDiscover}},
	}
}
