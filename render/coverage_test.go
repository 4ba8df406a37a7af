package render

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/spec"
)

// TestSpecFieldCoverage walks every field of the validated spec (package
// spec's types, by reflection, from spec.Spec down) and shows that each
// one reaches what the engine wants (the desired state of engine.Expand,
// through MakeSurvey) and the plan output (JSON): changing the field in a
// spec that uses everything (coverageSpec) changes both, on an emulator
// world made for it (coverageWorld). A field that reaches neither fails
// the test with its name, as does a field the base spec leaves empty
// (nothing could show it reaching anything), a field added to the spec
// package that the test does not know, and a field of the exceptions below
// that starts reaching what it should not. It fails naming the field, for
// example when engine.Expand stops copying S3's per_hour_partition (tried).
//
// The test cannot pass vacuously: it asserts how many fields it walked.
func TestSpecFieldCoverage(t *testing.T) {
	w := newEmuWorld(t, coverageWorld())
	base := parseSpec(t, "specs/coverage.yaml", []byte(coverageSpec))
	// What the engine wants: the desired state, and the accounts it
	// resolved from the spec (which Expand takes).
	type wanted struct {
		desired  *engine.State
		accounts []engine.Account
	}
	survey := func(s *spec.Spec) (desired *wanted, out string) {
		t.Helper()
		sv, err := engine.MakeSurvey(context.Background(), w.p, s, goldenOptions())
		if err != nil {
			return nil, "error: " + err.Error()
		}
		sv.Plan.ID = "coverage"
		var b bytes.Buffer
		if err := Plan(&b, sv.Plan, JSON, Options{}); err != nil {
			t.Fatal(err)
		}
		return &wanted{sv.Desired, sv.Current.Accounts}, b.String()
	}
	baseDesired, baseJSON := survey(base)
	if baseDesired == nil {
		t.Fatalf("the base spec does not plan: %s", baseJSON)
	}
	if p := planOf(t, baseJSON); len(p.Errors) > 0 {
		t.Fatalf("the base plan has errors: %+v", p.Errors)
	}
	// The same spec twice gives the same desired state and output: a
	// difference below is the field's doing.
	if d, j := survey(base); !reflect.DeepEqual(d, baseDesired) || j != baseJSON {
		t.Fatal("planning the base spec twice gives two answers")
	}

	fields := specFields(reflect.TypeFor[spec.Spec](), "")
	if got, want := len(fields), 85; got != want {
		t.Errorf("walked %d spec fields, want %d: a field was added or removed; give it a mutation and update the count:\n%s",
			got, want, strings.Join(fields, "\n"))
	}
	// A field is covered when changing it in one place it is used (its
	// first, or another: a rule's interval means nothing to a transit
	// gateway rule) changes both.
	reached := map[string]bool{}
	tried := map[string][]string{}
	for _, m := range mutations(reflect.ValueOf(base).Elem(), "") {
		if _, ok := fieldExceptions[m.field]; ok && !isSecret(m.field) {
			continue
		}
		s := cloneSpec(t, base)
		m.apply(reflect.ValueOf(s).Elem())
		if fix := fixups[m.field]; fix != nil {
			fix(s, reflect.ValueOf(base).Elem(), m)
		}
		desired, out := survey(s)
		if strings.HasPrefix(out, "error: ") {
			tried[m.field] = append(tried[m.field], m.path+": the changed spec does not plan: "+firstLines(out, 1))
			continue
		}
		reachesDesired := !reflect.DeepEqual(desired, baseDesired)
		reachesJSON := out != baseJSON
		if isSecret(m.field) {
			// A secret: it reaches the accounts the engine assumes roles
			// in, never the output.
			if !reachesDesired || reachesJSON || strings.Contains(out, "mutated") {
				t.Errorf("%s: reaches the engine's accounts %t, the output %t; want the accounts only", m.path, reachesDesired, reachesJSON)
			}
			reached[m.field] = true
			continue
		}
		if reachesDesired && reachesJSON {
			reached[m.field] = true
			continue
		}
		tried[m.field] = append(tried[m.field], fmt.Sprintf("%s: changes the desired state: %t, the plan JSON: %t", m.path, reachesDesired, reachesJSON))
	}
	for _, f := range fields {
		if _, ok := fieldExceptions[f]; ok && !isSecret(f) {
			continue
		}
		switch {
		case reached[f]:
		case len(tried[f]) == 0:
			t.Errorf("%s: the base spec leaves it empty, so the test cannot show it reaches anything", f)
		default:
			t.Errorf("%s reaches neither the desired state nor the plan JSON:\n\t%s", f, strings.Join(tried[f], "\n\t"))
		}
	}
	for f := range fieldExceptions {
		if !slices.Contains(fields, f) {
			t.Errorf("exception %s names no spec field", f)
		}
	}
}

func isSecret(field string) bool { return strings.HasSuffix(field, ".ExternalID") }

// fixups keep a changed spec consistent where one fact is named twice: a
// delivery role renamed is renamed where the rules use it.
var fixups = map[string]func(s *spec.Spec, base reflect.Value, m mutation){
	"DeliveryRoles.Name": func(s *spec.Spec, base reflect.Value, m mutation) {
		var i int
		fmt.Sscanf(m.path, "DeliveryRoles[%d]", &i)
		old, renamed := base.Interface().(spec.Spec).DeliveryRoles[i].Name, s.DeliveryRoles[i].Name
		for _, r := range s.Rules {
			if cw := r.Destination.CloudWatchLogs; cw != nil && cw.DeliveryRole == old {
				cw.DeliveryRole = renamed
			}
			if fh := r.Destination.Firehose; fh != nil && fh.DeliveryRole == old {
				fh.DeliveryRole = renamed
			}
		}
	},
}

// fieldExceptions are the fields that by design reach neither the desired
// state nor the output, with why. The external IDs are checked for what
// they do reach: the accounts, never the output.
var fieldExceptions = map[string]string{
	"Version":                                     "the spec language version: Load accepts only 1",
	"RegionRefs":                                  "where regions are named, for the checks of flowplan validate",
	"Accounts.Pos":                                "a position in the spec file, for messages",
	"Organization.Pos":                            "a position in the spec file, for messages",
	"DeliveryRoles.Pos":                           "a position in the spec file, for messages",
	"Rules.Pos":                                   "a position in the spec file, for messages",
	"Rules.Targets.VPCs.Pos":                      "a position in the spec file, for messages",
	"Rules.Targets.Subnets.Pos":                   "a position in the spec file, for messages",
	"Rules.Targets.NetworkInterfaces.Pos":         "a position in the spec file, for messages",
	"Rules.Targets.TransitGateways.Pos":           "a position in the spec file, for messages",
	"Rules.Targets.TransitGatewayAttachments.Pos": "a position in the spec file, for messages",
	"Rules.Targets.RegionalNatGateways.Pos":       "a position in the spec file, for messages",
	// Checked: the desired accounts, never the output.
	"Accounts.ExternalID":     "",
	"Organization.ExternalID": "",
}

// specFields lists the leaf fields under t, as dotted paths without
// indices (Rules.Destination.S3.Prefix). A Pos or a RegionRef is one leaf.
func specFields(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeFor[spec.Pos]() || t == reflect.TypeFor[spec.RegionRef]() {
		return []string{prefix}
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		out = append(out, specFields(f.Type, join(prefix, f.Name))...)
	}
	sort.Strings(out)
	return out
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// mutation changes one field of one value in a spec.
type mutation struct {
	field string // as specFields names it
	path  string // with indices, for messages
	apply func(s reflect.Value)
}

// mutations returns a change of every leaf field set in v (a spec.Spec).
// Each applies to a copy of the spec by walking path again.
func mutations(v reflect.Value, prefix string) []mutation {
	var out []mutation
	var walk func(v reflect.Value, field, path string, get func(s reflect.Value) reflect.Value)
	walk = func(v reflect.Value, field, path string, get func(s reflect.Value) reflect.Value) {
		switch {
		case v.Kind() == reflect.Pointer:
			if v.IsNil() {
				return
			}
			walk(v.Elem(), field, path, func(s reflect.Value) reflect.Value { return get(s).Elem() })
			return
		case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct && v.Type().Elem() != reflect.TypeFor[spec.RegionRef]():
			for i := range v.Len() {
				walk(v.Index(i), field, fmt.Sprintf("%s[%d]", path, i), func(s reflect.Value) reflect.Value { return get(s).Index(i) })
			}
			return
		case v.Kind() == reflect.Struct && v.Type() != reflect.TypeFor[spec.Pos]():
			for i := range v.NumField() {
				f := v.Type().Field(i)
				if !f.IsExported() {
					continue
				}
				walk(v.Field(i), join(field, f.Name), join(path, f.Name), func(s reflect.Value) reflect.Value { return get(s).Field(i) })
			}
			return
		}
		if v.IsZero() && !zeroMutable(field) {
			return // left empty: the check of unchecked fields names it
		}
		out = append(out, mutation{field: field, path: path, apply: func(s reflect.Value) { mutate(get(s), field) }})
	}
	walk(v, prefix, prefix, func(s reflect.Value) reflect.Value { return s })
	return out
}

// zeroMutable are fields whose zero value is their meaningful setting in
// the base spec (a false flag), so that a change sets them.
func zeroMutable(field string) bool {
	return field == "Prune" || strings.HasSuffix(field, ".All")
}

// valueMutations are the changes of fields that a generic change would
// make point at nothing (an unknown account, a bucket nobody owns), by
// field: each must still plan.
var valueMutations = map[string]any{
	"Accounts.ID":    "777777777777",
	"Rules.Accounts": []string(nil), // every account
	"Rules.Regions":  []string(nil), // every region of the accounts
	"Rules.Destination.CloudWatchLogs.DeliveryRole":    "cov-alt",
	"Rules.Destination.CloudWatchLogs.DeliveryRoleARN": "arn:aws:iam::{account_id}:role/cov-other",
	"Rules.Destination.CloudWatchLogs.KMSKeyARN":       "arn:aws:kms:us-east-1:111111111111:key/2222abcd-12ab-34cd-56ef-1234567890ab",
	"Rules.Destination.S3.BucketARN":                   "arn:aws:s3:::cov-bucket2",
	"Rules.Destination.S3.BucketAccount":               "444444444444",
	"Rules.Destination.S3.FileFormat":                  "plain-text",
	"Rules.Destination.Firehose.DeliveryRole":          "cov-alt",
	"Rules.Destination.Firehose.DeliveryRoleARN":       "arn:aws:iam::{account_id}:role/cov-other",
	"Rules.Destination.Firehose.DeliveryStreamARN":     "arn:aws:firehose:us-east-1:222222222222:deliverystream/cov-stream2",
	"Rules.TrafficType":                                "ACCEPT",
	"Rules.MaxAggregationInterval":                     600,
	"Rules.TagFieldSpecifications.ResourceType":        "instance",
	"Organization.AssumeRoleName":                      "OtherRunner",
	"Organization.ExternalID":                          "mutated-external-id",
	"Accounts.ExternalID":                              "mutated-external-id",
	"Accounts.AssumeRole":                              "arn:aws:iam::111111111111:role/OtherRunner",
	"Organization.Regions":                             []string{"us-east-1", "eu-west-1"},
	"Accounts.Regions":                                 []string{"eu-west-1"},
}

// mutate changes v, the field named field, to another value.
func mutate(v reflect.Value, field string) {
	if x, ok := valueMutations[field]; ok {
		if x == nil || reflect.ValueOf(x).Kind() == reflect.Slice && reflect.ValueOf(x).IsNil() {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		v.Set(reflect.ValueOf(x).Convert(v.Type()))
		return
	}
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		switch {
		case strings.HasSuffix(s, "/"):
			v.SetString(s + "mutated/")
		case strings.Contains(s, "${"):
			v.SetString(s + " ${vpc-id}")
		default:
			v.SetString(s + "-mutated")
		}
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int:
		v.SetInt(v.Int() + 1)
	case reflect.Slice:
		// Drop the last element: a selector's IDs or exclusions select
		// other targets, a list of keys or OUs changes.
		v.Set(v.Slice(0, v.Len()-1))
		if v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
		}
	case reflect.Map:
		// Drop every entry: a selector's tags select other targets, a
		// rule's tags change.
		v.Set(reflect.Zero(v.Type()))
	default:
		panic(fmt.Sprintf("no mutation for %s (%s)", field, v.Kind()))
	}
}

// cloneSpec returns a fresh copy of the base spec: parsed again from its
// text, the simplest deep copy.
func cloneSpec(t *testing.T, s *spec.Spec) *spec.Spec {
	t.Helper()
	return parseSpec(t, s.File, []byte(coverageSpec))
}

func planOf(t *testing.T, out string) *engine.Plan {
	t.Helper()
	p, err := engine.ReadPlan(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// cid is a world ID: prefix and 17 hex digits, from n.
func cid(prefix string, n int) string { return fmt.Sprintf("%s-%017x", prefix, n) }

// coverageWorld has, for each target kind, five targets in 111111111111's
// us-east-1 that the base spec's selector of that kind tells apart:
//
//	1: no tags, selected by ids;
//	2: sel=yes, selected by tags;
//	3: sel=yes, left out by exclude_ids;
//	4: sel=yes and skip=yes, left out by exclude_tags;
//	5: no tags, selected only by all.
//
// Besides: a VPC in eu-west-1 (for regions), organisation accounts with a
// VPC each (for the organization block), the buckets, streams and roles
// the destinations name, and a flow log of a rule the spec no longer has
// (for prune).
func coverageWorld() []byte {
	tags := func(i int) string {
		switch i {
		case 2, 3:
			return "{sel: \"yes\"}"
		case 4:
			return "{sel: \"yes\", skip: \"yes\"}"
		}
		return "{}"
	}
	var b strings.Builder
	b.WriteString(`seed: 1900
credentials:
  - {account: "333333333333", sandbox: true}
organization:
  management_account: "333333333333"
  root:
    id: r-cov1
    accounts: ["333333333333", "111111111111", "222222222222", "777777777777"]
    ous:
      - {name: Prod, id: ou-cov1-prod0001, accounts: ["444444444444", "666666666666"]}
      - {name: Dev, id: ou-cov1-dev00001, accounts: ["555555555555"]}
accounts:
  - id: "111111111111"
    roles:
      - {name: cov-existing, trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: vpc-flow-logs.amazonaws.com}, Action: "sts:AssumeRole"}]}}
      - {name: cov-role, path: /flowplan/, trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: vpc-flow-logs.amazonaws.com}, Action: "sts:AssumeRole"}]}}
    regions:
      eu-west-1:
        vpcs:
          - {id: ` + cid("vpc", 0xe1) + `, name: w1, cidr: 10.200.0.0/16, tags: {sel: "yes"}}
      us-east-1:
        vpcs:
`)
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&b, "          - {id: %s, name: v%d, cidr: 10.%d.0.0/16, tags: %s", cid("vpc", 0xa0+i), i, i, tags(i))
		if i == 1 {
			b.WriteString(",\n             subnets: [")
			for j := 1; j <= 5; j++ {
				fmt.Fprintf(&b, "{id: %s, name: s%d, cidr: 10.1.%d.0/24, az: us-east-1a, tags: %s", cid("subnet", 0xb0+j), j, j, tags(j))
				if j == 1 {
					b.WriteString(", enis: [")
					for k := 1; k <= 5; k++ {
						fmt.Fprintf(&b, "{id: %s, name: e%d, tags: %s}, ", cid("eni", 0xc0+k), k, tags(k))
					}
					b.WriteString("]")
				}
				b.WriteString("}, ")
			}
			b.WriteString("]")
		}
		b.WriteString("}\n")
	}
	b.WriteString("        nat_gateways:\n")
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&b, "          - {id: %s, name: n%d, availability_mode: regional, vpc: v1, tags: %s}\n", cid("nat", 0xd0+i), i, tags(i))
	}
	b.WriteString("        transit_gateways:\n")
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&b, "          - {id: %s, name: t%d, tags: %s", cid("tgw", 0xf0+i), i, tags(i))
		if i == 1 {
			b.WriteString(", attachments: [")
			for j := 1; j <= 5; j++ {
				fmt.Fprintf(&b, "{id: %s, name: a%d, vpc: v%d, tags: %s}, ", cid("tgw-attach", 0x10+j), j, j, tags(j))
			}
			b.WriteString("]")
		}
		b.WriteString("}\n")
	}
	b.WriteString(`        flow_logs:
          - {resource: v5, traffic_type: ALL, destination_type: s3, destination: "arn:aws:s3:::cov-bucket", tags: {"flowplan:spec": coverage, "flowplan:rule": gone}}
  - id: "222222222222"
    buckets:
      - {name: cov-bucket}
      - {name: cov-bucket2}
    roles:
      - {name: AWSLogDeliveryFirehoseCrossAccountRole-cov, trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::111111111111:root"}, Action: "sts:AssumeRole"}]}}
    regions:
      us-east-1:
        delivery_streams:
          - {name: cov-stream}
          - {name: cov-stream2}
  - id: "333333333333"
  - id: "777777777777"
    regions:
      us-east-1:
        vpcs:
          - {name: z1, cidr: 10.7.0.0/16, tags: {sel: "yes"}}
`)
	for i, id := range []string{"444444444444", "555555555555", "666666666666"} {
		fmt.Fprintf(&b, "  - id: %q\n    buckets:\n      - {name: cov-org-%d}\n    regions:\n      us-east-1:\n        vpcs:\n          - {name: o%d, cidr: 10.%d.0.0/16, tags: {sel: \"yes\"}}\n      eu-west-1:\n        vpcs:\n          - {name: oe%d, cidr: 10.%d.0.0/16, tags: {sel: \"yes\"}}\n",
			id, i, i, 50+i, i, 60+i)
	}
	return []byte(b.String())
}

// selector is the base spec's selector of a kind (see coverageWorld):
// tags with both exclusions; the ids rules name target 1.
func selector(prefix string, base int) string {
	return fmt.Sprintf("{tags: {sel: \"yes\"}, exclude_ids: [%s], exclude_tags: {skip: \"yes\"}}", cid(prefix, base+3))
}

// coverageSpec uses every field of the spec, each in a way that
// coverageWorld shows.
var coverageSpec = `version: 1
name: coverage
accounts:
  - {id: "111111111111", alias: prod, assume_role: "arn:aws:iam::111111111111:role/FlowplanRunner", external_id: EXTERNAL-ID-must-never-be-printed-7f3a, regions: [us-east-1, eu-west-1]}
  - {id: "222222222222", alias: streams, assume_role: "arn:aws:iam::222222222222:role/FlowplanRunner", regions: [us-east-1]}
organization:
  assume_role_name: FlowplanRunner
  external_id: EXTERNAL-ID-must-never-be-printed-7f3a
  include_ous: [ou-cov1-dev00001, ou-cov1-prod0001]
  exclude_accounts: ["555555555555", "666666666666"]
  regions: [us-east-1]
delivery_roles:
  cov-role: {path: /flowplan/, permissions_boundary: "arn:aws:iam::aws:policy/PowerUserAccess", adopt: true}
  cov-alt: {}
defaults: {tags: {owner: netsec}}
flow_logs:
  - name: vpc-family
    accounts: [prod]
    regions: [us-east-1]
    targets:
      vpcs: ` + selector("vpc", 0xa0) + `
      subnets: ` + selector("subnet", 0xb0) + `
      network_interfaces: ` + selector("eni", 0xc0) + `
      regional_nat_gateways: ` + selector("nat", 0xd0) + `
    traffic_type: REJECT
    max_aggregation_interval: 60
    log_format: "${version} ${interface-id} ${srcaddr} ${interface-tag}"
    tag_field_specifications: [{resource_type: network-interface, tag_keys: [team]}]
    tags: {team: net}
    destination:
      cloudwatch_logs: {log_group: "/cov/{account_id}/{region}/{rule}", retention_days: 30, kms_key_arn: "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab", delivery_role: cov-role}
  - name: tgw-family
    accounts: [prod]
    regions: [us-east-1]
    targets:
      transit_gateways: ` + selector("tgw", 0xf0) + `
      transit_gateway_attachments: ` + selector("tgw-attach", 0x10) + `
    destination:
      s3: {bucket_arn: "arn:aws:s3:::cov-bucket", prefix: tgw/, file_format: parquet, hive_compatible_partitions: true, per_hour_partition: true, manage_bucket_policy: true, bucket_account: "222222222222"}
  - name: by-ids
    accounts: [prod]
    regions: [us-east-1]
    targets:
      vpcs: {ids: [` + cid("vpc", 0xa1) + `]}
      subnets: {ids: [` + cid("subnet", 0xb1) + `]}
      network_interfaces: {ids: [` + cid("eni", 0xc1) + `]}
      regional_nat_gateways: {ids: [` + cid("nat", 0xd1) + `]}
    destination:
      s3: {bucket_arn: "arn:aws:s3:::cov-bucket2"}
  - name: tgw-ids
    accounts: [prod]
    regions: [us-east-1]
    targets:
      transit_gateways: {ids: [` + cid("tgw", 0xf1) + `]}
      transit_gateway_attachments: {ids: [` + cid("tgw-attach", 0x11) + `]}
    destination:
      s3: {bucket_arn: "arn:aws:s3:::cov-bucket2"}
  - name: stream
    accounts: [prod]
    regions: [us-east-1]
    targets: {vpcs: {ids: [` + cid("vpc", 0xa1) + `]}}
    destination:
      firehose: {delivery_stream_arn: "arn:aws:firehose:us-east-1:222222222222:deliverystream/cov-stream", delivery_role: cov-role, cross_account_role: "arn:aws:iam::222222222222:role/AWSLogDeliveryFirehoseCrossAccountRole-cov"}
  - name: stream-arn
    accounts: [prod]
    regions: [us-east-1]
    targets: {vpcs: {ids: [` + cid("vpc", 0xa2) + `]}}
    destination:
      firehose: {delivery_stream_arn: "arn:aws:firehose:us-east-1:222222222222:deliverystream/cov-stream", delivery_role: "arn:aws:iam::{account_id}:role/cov-existing", cross_account_role: "arn:aws:iam::222222222222:role/AWSLogDeliveryFirehoseCrossAccountRole-cov"}
  - name: role-arn
    accounts: [prod]
    regions: [us-east-1]
    targets: {vpcs: {ids: [` + cid("vpc", 0xa3) + `]}}
    destination:
      cloudwatch_logs: {log_group: "/cov/arn/{resource_id}", delivery_role: "arn:aws:iam::{account_id}:role/cov-existing"}
  - name: alt-role
    accounts: [prod]
    regions: [us-east-1]
    targets: {vpcs: {ids: [` + cid("vpc", 0xa4) + `]}}
    destination:
      cloudwatch_logs: {log_group: "/cov/alt", delivery_role: cov-alt}
  - name: everywhere
    targets: {vpcs: {tags: {sel: "yes"}}}
    destination:
      s3: {bucket_arn: "arn:aws:s3:::cov-bucket2"}
`
