package awsemu

import (
	"strings"
)

// maxTagsPerResource is EC2's limit of 50 user tags per resource.
const maxTagsPerResource = 50

// taggable finds the tag set of any EC2 resource the emulator models, with
// its DescribeTags resource type.
func taggable(r *region, id string) (*tags, string, *apiError) {
	prefix := idPrefix(id)
	if prefix == "" {
		return nil, "", badRequest("InvalidID", "The ID '%s' is not valid", id)
	}
	if !validID(id, prefix) {
		return nil, "", malformedID(prefix, id)
	}
	switch prefix {
	case "vpc-":
		if v := r.VPCs[id]; v != nil {
			return &v.Tags, "vpc", nil
		}
	case "subnet-":
		if s := r.Subnets[id]; s != nil {
			return &s.Tags, "subnet", nil
		}
	case "eni-":
		if n := r.ENIs[id]; n != nil {
			return &n.Tags, "network-interface", nil
		}
	case "tgw-":
		if t := r.TGWs[id]; t != nil {
			return &t.Tags, "transit-gateway", nil
		}
	case "tgw-attach-":
		if a := r.TGWAttachments[id]; a != nil {
			return &a.Tags, "transit-gateway-attachment", nil
		}
	case "fl-":
		if f := r.FlowLogs[id]; f != nil {
			return &f.Tags, "vpc-flow-log", nil
		}
	case "nat-":
		if g := r.NATGateways[id]; g.live() {
			return &g.Tags, "natgateway", nil
		}
	}
	return nil, "", notFound(prefix, id)
}

// idPrefix returns the ID family of id, or "".
func idPrefix(id string) string {
	if strings.HasPrefix(id, "tgw-attach-") {
		return "tgw-attach-"
	}
	for p := range idFamilies {
		if p != "tgw-attach-" && strings.HasPrefix(id, p) {
			return p
		}
	}
	return ""
}

type tagInput struct {
	key, value string
	hasValue   bool
}

// readEC2Tags reads Tag.N.Key / Tag.N.Value (or the items under another name).
func readEC2Tags(list []*form) []tagInput {
	var out []tagInput
	for _, item := range list {
		out = append(out, tagInput{key: item.str("Key"), value: item.str("Value"), hasValue: item.has("Value")})
	}
	return out
}

// checkTagKey applies EC2's tag rules: 1-128 characters, values up to 256,
// and no "aws:" prefix, which AWS reserves.
func checkTagKey(key, value string) *apiError {
	switch {
	case key == "":
		return badRequest("InvalidParameterValue", "Tag key must not be empty")
	case len(key) > 128:
		return badRequest("InvalidParameterValue", "Tag key exceeds the maximum length of 128 characters")
	case len(value) > 256:
		return badRequest("InvalidParameterValue", "Tag value exceeds the maximum length of 256 characters")
	case strings.HasPrefix(strings.ToLower(key), "aws:"):
		return badRequest("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
	}
	return nil
}

type returnXML struct {
	ec2Meta
	Return bool `xml:"return"`
}

func createTags(c *call) (any, error) {
	if err := dryRun(c); err != nil {
		return nil, err
	}
	ids := c.form.strs("ResourceId")
	in := readEC2Tags(c.form.items("Tag"))
	if len(ids) == 0 {
		return nil, badRequest("MissingParameter", "The request must contain the parameter resourceIdSet")
	}
	if len(in) == 0 {
		return nil, badRequest("MissingParameter", "The request must contain the parameter tagSet")
	}
	for _, t := range in {
		if err := checkTagKey(t.key, t.value); err != nil {
			return nil, err
		}
	}
	r := c.reg()
	r.purgeGoneFlowLogs(c.now)
	sets := make([]*tags, 0, len(ids))
	for _, id := range ids {
		set, _, err := taggable(r, id)
		if err != nil {
			return nil, err
		}
		merged := len(*set)
		for _, t := range in {
			if _, ok := (*set)[t.key]; !ok {
				merged++
			}
		}
		if merged > maxTagsPerResource {
			return nil, badRequest("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
		}
		sets = append(sets, set)
	}
	for _, set := range sets {
		if *set == nil {
			*set = tags{}
		}
		for _, t := range in {
			(*set)[t.key] = t.value
		}
	}
	return &returnXML{Return: true}, nil
}

// deleteTags removes the listed tags; a tag with a value is removed only if
// its value matches; no tags at all removes every user tag.
func deleteTags(c *call) (any, error) {
	if err := dryRun(c); err != nil {
		return nil, err
	}
	ids := c.form.strs("ResourceId")
	if len(ids) == 0 {
		return nil, badRequest("MissingParameter", "The request must contain the parameter resourceIdSet")
	}
	in := readEC2Tags(c.form.items("Tag"))
	for _, t := range in {
		if strings.HasPrefix(strings.ToLower(t.key), "aws:") {
			return nil, badRequest("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
		}
	}
	r := c.reg()
	r.purgeGoneFlowLogs(c.now)
	var sets []*tags
	for _, id := range ids {
		set, _, err := taggable(r, id)
		if err != nil {
			return nil, err
		}
		sets = append(sets, set)
	}
	for _, set := range sets {
		if len(in) == 0 {
			*set = tags{}
			continue
		}
		for _, t := range in {
			if v, ok := (*set)[t.key]; ok && (!t.hasValue || v == t.value) {
				delete(*set, t.key)
			}
		}
	}
	return &returnXML{Return: true}, nil
}

// --- DescribeTags ---

type tagDescription struct {
	ResourceID   string `xml:"resourceId"`
	ResourceType string `xml:"resourceType"`
	Key          string `xml:"key"`
	Value        string `xml:"value"`
}

type describeTagsXML struct {
	ec2Meta
	Tags      itemList[tagDescription] `xml:"tagSet"`
	NextToken string                   `xml:"nextToken,omitempty"`
}

var tagDescriptionFilters = filterSet[tagDescription]{
	attrs: map[string]func(tagDescription) []string{
		"key":           func(t tagDescription) []string { return one(t.Key) },
		"value":         func(t tagDescription) []string { return one(t.Value) },
		"resource-id":   func(t tagDescription) []string { return one(t.ResourceID) },
		"resource-type": func(t tagDescription) []string { return one(t.ResourceType) },
	},
	tags: func(t tagDescription) tags { return tags{t.Key: t.Value} },
}

func describeTags(c *call) (any, error) {
	if err := dryRun(c); err != nil {
		return nil, err
	}
	filters, err := readFilters(c)
	if err != nil {
		return nil, err
	}
	if err := tagDescriptionFilters.check(filters); err != nil {
		return nil, err
	}
	r := c.reg()
	all := map[string]tagDescription{}
	add := func(id string, t tags) {
		set, kind, _ := taggable(r, id)
		if set == nil {
			return
		}
		for k, v := range t {
			d := tagDescription{ResourceID: id, ResourceType: kind, Key: k, Value: v}
			if tagDescriptionFilters.match(d, filters) {
				all[id+"\x00"+k] = d
			}
		}
	}
	for id, v := range r.VPCs {
		add(id, v.Tags)
	}
	for id, s := range r.Subnets {
		add(id, s.Tags)
	}
	for id, n := range r.ENIs {
		add(id, n.Tags)
	}
	for id, t := range r.TGWs {
		add(id, t.Tags)
	}
	for id, a := range r.TGWAttachments {
		add(id, a.Tags)
	}
	for id, g := range r.NATGateways {
		if g.live() {
			add(id, g.Tags)
		}
	}
	for id, f := range r.FlowLogs {
		if !f.gone(c.now) {
			add(id, f.Tags)
		}
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	page, next, err := ec2Page(c, keys, 5, 1000, false)
	if err != nil {
		return nil, err
	}
	out := &describeTagsXML{NextToken: next, Tags: items([]tagDescription{})}
	for _, k := range page {
		out.Tags.Items = append(out.Tags.Items, all[k])
	}
	return out, nil
}
