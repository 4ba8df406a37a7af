package awsemu

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/flowplan/flowplan/providers/awsemu/iampolicy"
)

var iamActions = map[string]*action{
	"CreateRole":                    {fn: iamCreateRole, mutating: true},
	"GetRole":                       {fn: iamGetRole},
	"DeleteRole":                    {fn: iamDeleteRole, mutating: true},
	"ListRoles":                     {fn: iamListRoles},
	"UpdateAssumeRolePolicy":        {fn: iamUpdateAssumeRolePolicy, mutating: true},
	"UpdateRole":                    {fn: iamUpdateRole, mutating: true},
	"PutRolePolicy":                 {fn: iamPutRolePolicy, mutating: true},
	"GetRolePolicy":                 {fn: iamGetRolePolicy},
	"DeleteRolePolicy":              {fn: iamDeleteRolePolicy, mutating: true},
	"ListRolePolicies":              {fn: iamListRolePolicies},
	"ListAttachedRolePolicies":      {fn: iamListAttachedRolePolicies},
	"TagRole":                       {fn: iamTagRole, mutating: true},
	"UntagRole":                     {fn: iamUntagRole, mutating: true},
	"ListRoleTags":                  {fn: iamListRoleTags},
	"PutRolePermissionsBoundary":    {fn: iamPutRolePermissionsBoundary, mutating: true},
	"DeleteRolePermissionsBoundary": {fn: iamDeleteRolePermissionsBoundary, mutating: true},
	// Instance profiles: iam_instance_profiles.go.
	"CreateInstanceProfile":         {fn: iamCreateInstanceProfile, mutating: true},
	"GetInstanceProfile":            {fn: iamGetInstanceProfile},
	"DeleteInstanceProfile":         {fn: iamDeleteInstanceProfile, mutating: true},
	"AddRoleToInstanceProfile":      {fn: iamAddRoleToInstanceProfile, mutating: true},
	"RemoveRoleFromInstanceProfile": {fn: iamRemoveRoleFromInstanceProfile, mutating: true},
	"ListInstanceProfiles":          {fn: iamListInstanceProfiles},
	"ListInstanceProfilesForRole":   {fn: iamListInstanceProfilesForRole},
}

// IAM quotas from the IAM user guide's "IAM and AWS STS quotas" page.
const (
	maxTrustPolicySize  = 2048  // role trust policy length, default quota
	maxInlinePolicySize = 10240 // aggregate inline policy size per role
	maxIAMTags          = 50
)

var (
	roleNamePattern   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	policyNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	pathPattern       = regexp.MustCompile(`^(/|/[\x21-\x7e]+/)$`)
	tagKeyPattern     = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)
	tagValuePattern   = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$`)
)

// iamTime is IAM's and STS's timestamp format.
func iamTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// urlEncodePolicy encodes a policy document the way IAM returns it:
// percent-encoded, spaces as %20 (botocore undoes it with unquote).
func urlEncodePolicy(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

func validationError(format string, args ...any) *apiError {
	return badRequest("ValidationError", format, args...)
}

func noSuchRole(name string) *apiError {
	return newError(http.StatusNotFound, "NoSuchEntity", "The role with name %s cannot be found.", name)
}

func checkRoleName(name string) *apiError {
	if !roleNamePattern.MatchString(name) {
		return validationError("1 validation error detected: Value '%s' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", name)
	}
	return nil
}

// malformedPolicy maps a validation problem to IAM's MalformedPolicyDocument
// messages.
func malformedPolicy(err error) *apiError {
	var perr *iampolicy.Error
	msg := "This policy contains invalid Json"
	if errors.As(err, &perr) {
		switch perr.Problem {
		case iampolicy.ProblemVersion:
			msg = "The policy failed legacy parsing"
		case iampolicy.ProblemMissingStatement:
			msg = "Syntax errors in policy."
		case iampolicy.ProblemEffect:
			msg = "Invalid effect: " + perr.Detail
		case iampolicy.ProblemMissingAction:
			msg = "Policy statement must contain actions."
		case iampolicy.ProblemActionVendor:
			msg = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
		case iampolicy.ProblemMissingResource:
			msg = "Policy statement must contain resources."
		case iampolicy.ProblemProhibitedResource:
			msg = "Has prohibited field Resource"
		case iampolicy.ProblemMissingPrincipal:
			msg = "Missing required field Principal"
		case iampolicy.ProblemProhibitedPrincipal:
			msg = "Policy document should not specify a principal."
		case iampolicy.ProblemPrincipal:
			msg = "Invalid principal in policy: " + perr.Detail
		case iampolicy.ProblemConditionOperator:
			msg = "Invalid Condition type : " + perr.Detail
		case iampolicy.ProblemDuplicateSid:
			msg = "Statement IDs (SID) in a single policy must be unique."
		}
	}
	return badRequest("MalformedPolicyDocument", "%s", msg)
}

// checkTrustPolicy validates a trust policy as IAM does and returns it as
// IAM stores it: bare account IDs in principals become root ARNs. A role
// ARN principal must name an existing role when the emulator knows its
// account ("Invalid principal in policy").
func checkTrustPolicy(st *state, a *account, doc string) (string, *apiError) {
	if doc == "" {
		return "", validationError("1 validation error detected: Value at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null")
	}
	p, err := iampolicy.Validate(doc, iampolicy.Trust)
	if err != nil {
		return "", malformedPolicy(err)
	}
	if iampolicy.Size(doc) > maxTrustPolicySize {
		return "", newError(http.StatusConflict, "LimitExceeded", "Cannot exceed quota for ACLSizePerRole: %d", maxTrustPolicySize)
	}
	for _, s := range p.Statements {
		for _, pr := range []*iampolicy.Principal{s.Principal, s.NotPrincipal} {
			if pr == nil {
				continue
			}
			for _, id := range pr.AWS {
				if aerr := checkAWSPrincipal(st, a.partition(), id); aerr != nil {
					return "", aerr
				}
			}
		}
	}
	stored, _, err := iampolicy.NormalizePrincipals(doc, a.partition())
	if err != nil {
		return "", malformedPolicy(err)
	}
	return stored, nil
}

// checkAWSPrincipal checks an AWS principal of a policy stored in
// partition: an account ID, or an IAM or STS ARN of that partition (a
// principal of another partition cannot exist there); a role of a known
// account must exist.
func checkAWSPrincipal(st *state, partition, id string) *apiError {
	invalid := badRequest("MalformedPolicyDocument", "Invalid principal in policy: \"AWS\":\"%s\"", id)
	if id == "*" || accountIDPattern.MatchString(id) {
		return nil
	}
	p, ok := parseARN(id)
	switch {
	case !ok || p.Partition != partition || p.Region != "":
		return invalid
	case p.Service == "sts":
		return nil
	case p.Service != "iam" || !accountIDPattern.MatchString(p.Account) || p.Resource == "":
		return invalid
	}
	a := st.Accounts[p.Account]
	if a == nil || !strings.HasPrefix(p.Resource, "role/") {
		return nil
	}
	_, name, _ := parseRoleARN(id)
	if r := a.roleByName(name); r == nil || a.roleARN(r) != id {
		return invalid
	}
	return nil
}

func checkTags(list []tagPair) *apiError {
	seen := map[string]bool{}
	for _, t := range list {
		if !tagKeyPattern.MatchString(t.Key) || !tagValuePattern.MatchString(t.Value) {
			return validationError("1 validation error detected: Value '%s' at 'tags' failed to satisfy constraint: tag keys must be 1-128 and values 0-256 letters, digits, spaces or _.:/=+-@", t.Key)
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return badRequest("InvalidInput", "User-defined tag keys can't start with 'aws:'")
		}
		k := strings.ToLower(t.Key)
		if seen[k] {
			return badRequest("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	if len(list) > maxIAMTags {
		return newError(http.StatusConflict, "LimitExceeded", "The number of tags has reached the maximum limit.")
	}
	return nil
}

func readIAMTags(f *form, path string) []tagPair {
	var out []tagPair
	for _, item := range f.items(path + ".member") {
		out = append(out, tagPair{Key: item.str("Key"), Value: item.str("Value")})
	}
	return out
}

// createRoleInput is CreateRole's request, shared by the API and world files.
type createRoleInput struct {
	// id is the role ID a world gives; empty generates one.
	id                                       string
	name, path, trust, description, boundary string
	maxSession                               int
	tags                                     []tagPair
}

func createRole(st *state, a *account, in createRoleInput, now time.Time) (*role, *apiError) {
	if err := checkRoleName(in.name); err != nil {
		return nil, err
	}
	if in.path == "" {
		in.path = "/"
	}
	if !pathPattern.MatchString(in.path) || len(in.path) > 512 {
		return nil, validationError("1 validation error detected: Value '%s' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)", in.path)
	}
	if len(in.description) > 1000 {
		return nil, validationError("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000")
	}
	if in.maxSession == 0 {
		in.maxSession = 3600
	}
	if in.maxSession < 3600 || in.maxSession > 43200 {
		return nil, validationError("1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200", in.maxSession)
	}
	if err := checkTags(in.tags); err != nil {
		return nil, err
	}
	if in.boundary != "" && !managedPolicyARN(in.boundary) {
		return nil, badRequest("InvalidInput", "ARN %s is not valid.", in.boundary)
	}
	if a.roleByName(in.name) != nil {
		return nil, newError(http.StatusConflict, "EntityAlreadyExists", "Role with name %s already exists.", in.name)
	}
	trust, err := checkTrustPolicy(st, a, in.trust)
	if err != nil {
		return nil, err
	}
	id := in.id
	if id == "" {
		id = st.roleID()
	}
	r := &role{Name: in.name, Path: in.path, ID: id, Created: now, Description: in.description,
		MaxSession: in.maxSession, TrustPolicy: trust, Policies: map[string]string{}, Boundary: in.boundary, Tags: in.tags}
	a.Roles[strings.ToLower(in.name)] = r
	return r, nil
}

var managedPolicyPattern = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(aws|\d{12}):policy/.+$`)

func managedPolicyARN(s string) bool { return managedPolicyPattern.MatchString(s) }

func putRolePolicy(a *account, r *role, name, doc string) *apiError {
	if !policyNamePattern.MatchString(name) {
		return validationError("1 validation error detected: Value '%s' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", name)
	}
	if doc == "" {
		return validationError("1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must not be null")
	}
	if _, err := iampolicy.Validate(doc, iampolicy.Identity); err != nil {
		return malformedPolicy(err)
	}
	total := iampolicy.Size(doc)
	for n, other := range r.Policies {
		if n != name {
			total += iampolicy.Size(other)
		}
	}
	if total > maxInlinePolicySize {
		return newError(http.StatusConflict, "LimitExceeded", "Maximum policy size of %d bytes exceeded for role %s", maxInlinePolicySize, r.Name)
	}
	r.Policies[name] = doc
	return nil
}

// --- responses ---

type iamTagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type boundaryXML struct {
	PermissionsBoundaryType string `xml:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `xml:"PermissionsBoundaryArn"`
}

type roleXML struct {
	Path                     string                 `xml:"Path"`
	RoleName                 string                 `xml:"RoleName"`
	RoleID                   string                 `xml:"RoleId"`
	Arn                      string                 `xml:"Arn"`
	CreateDate               string                 `xml:"CreateDate"`
	AssumeRolePolicyDocument string                 `xml:"AssumeRolePolicyDocument"`
	Description              string                 `xml:"Description,omitempty"`
	MaxSessionDuration       int                    `xml:"MaxSessionDuration"`
	PermissionsBoundary      *boundaryXML           `xml:"PermissionsBoundary,omitempty"`
	Tags                     *memberList[iamTagXML] `xml:"Tags,omitempty"`
	RoleLastUsed             *struct{}              `xml:"RoleLastUsed,omitempty"`
}

// roleItem renders a role. ListRoles returns less than GetRole: "ListRoles
// ... does not return the tags, permissions boundary or last-used
// information" (the ListRoles API reference lists only the other members).
func roleItem(a *account, r *role, full bool) roleXML {
	x := roleXML{Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: a.roleARN(r), CreateDate: iamTime(r.Created),
		AssumeRolePolicyDocument: urlEncodePolicy(r.TrustPolicy), Description: r.Description, MaxSessionDuration: r.MaxSession}
	if !full {
		return x
	}
	x.RoleLastUsed = &struct{}{}
	if r.Boundary != "" {
		x.PermissionsBoundary = &boundaryXML{"Policy", r.Boundary}
	}
	if len(r.Tags) > 0 {
		list := members(iamTags(r.Tags))
		x.Tags = &list
	}
	return x
}

func iamTags(list []tagPair) []iamTagXML {
	out := make([]iamTagXML, 0, len(list))
	for _, t := range list {
		out = append(out, iamTagXML{t.Key, t.Value})
	}
	return out
}

type roleResultXML struct {
	Role roleXML `xml:"Role"`
}

func (c *call) role(name string) (*role, *apiError) {
	if err := checkRoleName(name); err != nil {
		return nil, err
	}
	r := c.acct().roleByName(name)
	if r == nil {
		return nil, noSuchRole(name)
	}
	return r, nil
}

func iamCreateRole(c *call) (any, error) {
	maxSession := 0
	if s := c.form.str("MaxSessionDuration"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, validationError("MaxSessionDuration must be an integer")
		}
		maxSession = n
	}
	in := createRoleInput{name: c.form.str("RoleName"), path: c.form.str("Path"),
		trust: c.form.str("AssumeRolePolicyDocument"), description: c.form.str("Description"),
		boundary: c.form.str("PermissionsBoundary"), maxSession: maxSession, tags: readIAMTags(c.form, "Tags")}
	r, err := createRole(c.st, c.acct(), in, c.now)
	if err != nil {
		return nil, err
	}
	return &roleResultXML{roleItem(c.acct(), r, true)}, nil
}

func iamGetRole(c *call) (any, error) {
	r, err := c.role(c.form.str("RoleName"))
	if err != nil {
		return nil, err
	}
	return &roleResultXML{roleItem(c.acct(), r, true)}, nil
}

func iamDeleteRole(c *call) (any, error) {
	r, err := c.role(c.form.str("RoleName"))
	if err != nil {
		return nil, err
	}
	if len(r.Policies) > 0 {
		return nil, newError(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	}
	// "Before attempting to delete a role, remove ... Instance profile"
	// (the DeleteRole reference).
	if len(c.acct().profilesOf(r)) > 0 {
		return nil, newError(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
	}
	delete(c.acct().Roles, strings.ToLower(r.Name))
	return nil, nil
}

// iamPage pages sorted keys with IAM's Marker and MaxItems (1-1000, default 100).
func iamPage(c *call, keys []string) ([]string, string, *apiError) {
	limit := 100
	if s := c.form.str("MaxItems"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return nil, "", validationError("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", s)
		}
		limit = n
	}
	page, next, ok := paginate(keys, limit, c.form.str("Marker"), c.queryHash("Marker", "MaxItems"))
	if !ok {
		return nil, "", validationError("Invalid Marker")
	}
	return page, next, nil
}

type listRolesXML struct {
	Roles       memberList[roleXML] `xml:"Roles"`
	IsTruncated bool                `xml:"IsTruncated"`
	Marker      string              `xml:"Marker,omitempty"`
}

func iamListRoles(c *call) (any, error) {
	prefix := c.form.str("PathPrefix")
	if prefix == "" {
		prefix = "/"
	}
	if !strings.HasPrefix(prefix, "/") || len(prefix) > 512 {
		return nil, validationError("1 validation error detected: Value '%s' at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*", prefix)
	}
	a := c.acct()
	var keys []string
	for k, r := range a.Roles {
		if strings.HasPrefix(r.Path, prefix) {
			keys = append(keys, k)
		}
	}
	page, next, err := iamPage(c, keys)
	if err != nil {
		return nil, err
	}
	out := &listRolesXML{Roles: members([]roleXML{}), IsTruncated: next != "", Marker: next}
	for _, k := range page {
		out.Roles.Members = append(out.Roles.Members, roleItem(c.acct(), a.Roles[k], false))
	}
	return out, nil
}

func iamUpdateAssumeRolePolicy(c *call) (any, error) {
	r, err := c.role(c.form.str("RoleName"))
	if err != nil {
		return nil, err
	}
	trust, err := checkTrustPolicy(c.st, c.acct(), c.form.str("PolicyDocument"))
	if err != nil {
		return nil, err
	}
	r.TrustPolicy, r.TrustUpdated = trust, c.now
	return nil, nil
}

// iamUpdateRole changes a role's description and maximum session
// duration, each only when given (UpdateRole, IAM API reference), with
// CreateRole's limits on both.
func iamUpdateRole(c *call) (any, error) {
	r, err := c.role(c.form.str("RoleName"))
	if err != nil {
		return nil, err
	}
	maxSession := r.MaxSession
	if s := c.form.str("MaxSessionDuration"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 3600 || n > 43200 {
			return nil, validationError("1 validation error detected: Value '%s' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200", s)
		}
		maxSession = n
	}
	description, set := r.Description, c.form.has("Description")
	if set {
		description = c.form.str("Description")
		if len(description) > 1000 {
			return nil, validationError("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000")
		}
	}
	r.Description, r.MaxSession = description, maxSession
	// UpdateRole has an output shape, empty: IAM answers with an empty
	// UpdateRoleResult element, which the SDKs expect.
	return &struct{}{}, nil
}

func iamPutRolePolicy(c *call) (any, error) {
	r, err := c.role(c.form.str("RoleName"))
	if err != nil {
		return nil, err
	}
	if err := putRolePolicy(c.acct(), r, c.form.str("PolicyName"), c.form.str("PolicyDocument")); err != nil {
		return nil, err
	}
	return nil, nil
}

func noSuchRolePolicy(name string) *apiError {
	return newError(http.StatusNotFound, "NoSuchEntity", "The role policy with name %s cannot be found.", name)
}

type getRolePolicyXML struct {
	RoleName       string `xml:"RoleName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func iamGetRolePolicy(c *call) (any, error) {
	r, err := c.role(c.form.str("RoleName"))
	if err != nil {
		return nil, err
	}
	name := c.form.str("PolicyName")
	doc, ok := r.Policies[name]
	if !ok {
		return nil, noSuchRolePolicy(name)
	}
	return &getRolePolicyXML{RoleName: r.Name, PolicyName: name, PolicyDocument: urlEncodePolicy(doc)}, nil
}

func iamDeleteRolePolicy(c *call) (any, error) {
	r, err := c.role(c.form.str("RoleName"))
	if err != nil {
		return nil, err
	}
	name := c.form.str("PolicyName")
	if _, ok := r.Policies[name]; !ok {
		return nil, noSuchRolePolicy(name)
	}
	delete(r.Policies, name)
	return nil, nil
}

type listRolePoliciesXML struct {
	PolicyNames memberList[string] `xml:"PolicyNames"`
	IsTruncated bool               `xml:"IsTruncated"`
	Marker      string             `xml:"Marker,omitempty"`
}

func iamListRolePolicies(c *call) (any, error) {
	r, err := c.role(c.form.str("RoleName"))
	if err != nil {
		return nil, err
	}
	var names []string
	for n := range r.Policies {
		names = append(names, n)
	}
	page, next, err := iamPage(c, names)
	if err != nil {
		return nil, err
	}
	return &listRolePoliciesXML{PolicyNames: members(append([]string{}, page...)), IsTruncated: next != "", Marker: next}, nil
}

type attachedPolicyXML struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

type listAttachedRolePoliciesXML struct {
	AttachedPolicies memberList[attachedPolicyXML] `xml:"AttachedPolicies"`
	IsTruncated      bool                          `xml:"IsTruncated"`
}

// iamListAttachedRolePolicies answers for a role that exists; the emulator
// models no managed policies, so the list is always empty.
func iamListAttachedRolePolicies(c *call) (any, error) {
	if _, err := c.role(c.form.str("RoleName")); err != nil {
		return nil, err
	}
	if _, _, err := iamPage(c, nil); err != nil {
		return nil, err
	}
	return &listAttachedRolePoliciesXML{AttachedPolicies: members([]attachedPolicyXML{})}, nil
}

func iamTagRole(c *call) (any, error) {
	r, err := c.role(c.form.str("RoleName"))
	if err != nil {
		return nil, err
	}
	in := readIAMTags(c.form, "Tags")
	if len(in) == 0 {
		return nil, validationError("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
	}
	merged := append([]tagPair(nil), r.Tags...)
	for _, t := range in {
		replaced := false
		for i := range merged {
			if strings.EqualFold(merged[i].Key, t.Key) {
				merged[i] = t
				replaced = true
			}
		}
		if !replaced {
			merged = append(merged, t)
		}
	}
	if err := checkTags(in); err != nil {
		return nil, err
	}
	if len(merged) > maxIAMTags {
		return nil, newError(http.StatusConflict, "LimitExceeded", "The number of tags has reached the maximum limit.")
	}
	r.Tags = merged
	return nil, nil
}

func iamUntagRole(c *call) (any, error) {
	r, err := c.role(c.form.str("RoleName"))
	if err != nil {
		return nil, err
	}
	keys := c.form.strs("TagKeys.member")
	kept := r.Tags[:0:0]
	for _, t := range r.Tags {
		drop := false
		for _, k := range keys {
			if strings.EqualFold(k, t.Key) {
				drop = true
			}
		}
		if !drop {
			kept = append(kept, t)
		}
	}
	r.Tags = kept
	return nil, nil
}

type listRoleTagsXML struct {
	Tags        memberList[iamTagXML] `xml:"Tags"`
	IsTruncated bool                  `xml:"IsTruncated"`
	Marker      string                `xml:"Marker,omitempty"`
}

func iamListRoleTags(c *call) (any, error) {
	r, err := c.role(c.form.str("RoleName"))
	if err != nil {
		return nil, err
	}
	// Markers page by position; pad the index so that sorting keeps tag order.
	byKey := map[string]tagPair{}
	var keys []string
	for i, t := range r.Tags {
		k := fmt.Sprintf("%04d", i)
		byKey[k] = t
		keys = append(keys, k)
	}
	page, next, err := iamPage(c, keys)
	if err != nil {
		return nil, err
	}
	list := make([]tagPair, 0, len(page))
	for _, k := range page {
		list = append(list, byKey[k])
	}
	return &listRoleTagsXML{Tags: members(iamTags(list)), IsTruncated: next != "", Marker: next}, nil
}

func iamPutRolePermissionsBoundary(c *call) (any, error) {
	r, err := c.role(c.form.str("RoleName"))
	if err != nil {
		return nil, err
	}
	arn := c.form.str("PermissionsBoundary")
	if !managedPolicyARN(arn) {
		return nil, badRequest("InvalidInput", "ARN %s is not valid.", arn)
	}
	r.Boundary = arn
	return nil, nil
}

func iamDeleteRolePermissionsBoundary(c *call) (any, error) {
	r, err := c.role(c.form.str("RoleName"))
	if err != nil {
		return nil, err
	}
	r.Boundary = ""
	return nil, nil
}
