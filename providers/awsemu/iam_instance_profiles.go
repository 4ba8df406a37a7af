package awsemu

import (
	"net/http"
	"slices"
	"strings"
)

// Instance profiles, from the IAM API reference (CreateInstanceProfile,
// GetInstanceProfile, DeleteInstanceProfile, AddRoleToInstanceProfile,
// RemoveRoleFromInstanceProfile, ListInstanceProfiles,
// ListInstanceProfilesForRole) and the IAM quotas page. flowplan never uses
// them; Terraform's aws_iam_role lists a role's instance profiles, and
// removes the role from each, before DeleteRole, and DeleteRole refuses a
// role that is still in one.

const (
	// maxInstanceProfiles is the InstanceProfilesPerAccount default quota.
	maxInstanceProfiles = 1000
	// maxRolesPerInstanceProfile is InstanceSessionsPerInstanceProfile: "An
	// instance profile can contain only one role, and this quota cannot be
	// increased."
	maxRolesPerInstanceProfile = 1
)

func noSuchInstanceProfile(name string) *apiError {
	return newError(http.StatusNotFound, "NoSuchEntity", "Instance Profile %s cannot be found.", name)
}

func checkInstanceProfileName(name string) *apiError {
	// Same pattern as policy names: [\w+=,.@-]+, 1 to 128 characters.
	if !policyNamePattern.MatchString(name) {
		return validationError("1 validation error detected: Value '%s' at 'instanceProfileName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", name)
	}
	return nil
}

func (c *call) instanceProfile(name string) (*instanceProfile, *apiError) {
	if err := checkInstanceProfileName(name); err != nil {
		return nil, err
	}
	p := c.acct().InstanceProfiles[strings.ToLower(name)]
	if p == nil {
		return nil, noSuchInstanceProfile(name)
	}
	return p, nil
}

// profilesOf returns the lower-cased names of the instance profiles that
// hold the role, sorted.
func (a *account) profilesOf(r *role) []string {
	var out []string
	key := strings.ToLower(r.Name)
	for k, p := range a.InstanceProfiles {
		if slices.Contains(p.Roles, key) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

type instanceProfileXML struct {
	Path                string                 `xml:"Path"`
	InstanceProfileName string                 `xml:"InstanceProfileName"`
	InstanceProfileID   string                 `xml:"InstanceProfileId"`
	Arn                 string                 `xml:"Arn"`
	CreateDate          string                 `xml:"CreateDate"`
	Roles               memberList[roleXML]    `xml:"Roles"`
	Tags                *memberList[iamTagXML] `xml:"Tags,omitempty"`
}

// instanceProfileItem renders a profile with its role, described as
// ListRoles describes roles (the Role members the references show for
// instance profiles carry no tags or last-used data).
func instanceProfileItem(acct string, a *account, p *instanceProfile) instanceProfileXML {
	x := instanceProfileXML{Path: p.Path, InstanceProfileName: p.Name, InstanceProfileID: p.ID, Arn: p.arn(a),
		CreateDate: iamTime(p.Created), Roles: members([]roleXML{})}
	for _, name := range p.Roles {
		if r := a.Roles[name]; r != nil {
			x.Roles.Members = append(x.Roles.Members, roleItem(a, r, false))
		}
	}
	if len(p.Tags) > 0 {
		list := members(iamTags(p.Tags))
		x.Tags = &list
	}
	return x
}

type instanceProfileResultXML struct {
	InstanceProfile instanceProfileXML `xml:"InstanceProfile"`
}

func iamCreateInstanceProfile(c *call) (any, error) {
	name, path := c.form.str("InstanceProfileName"), c.form.str("Path")
	if err := checkInstanceProfileName(name); err != nil {
		return nil, err
	}
	if path == "" {
		path = "/"
	}
	if !pathPattern.MatchString(path) || len(path) > 512 {
		return nil, validationError("1 validation error detected: Value '%s' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)", path)
	}
	tagList := readIAMTags(c.form, "Tags")
	if err := checkTags(tagList); err != nil {
		return nil, err
	}
	a := c.acct()
	if a.InstanceProfiles[strings.ToLower(name)] != nil {
		return nil, newError(http.StatusConflict, "EntityAlreadyExists", "Instance Profile %s already exists.", name)
	}
	if len(a.InstanceProfiles) >= maxInstanceProfiles {
		return nil, newError(http.StatusConflict, "LimitExceeded", "Cannot exceed quota for InstanceProfilesPerAccount: %d", maxInstanceProfiles)
	}
	p := &instanceProfile{Name: name, Path: path, ID: c.st.instanceProfileID(), Created: c.now, Tags: tagList}
	if a.InstanceProfiles == nil {
		a.InstanceProfiles = map[string]*instanceProfile{}
	}
	a.InstanceProfiles[strings.ToLower(name)] = p
	return &instanceProfileResultXML{instanceProfileItem(c.key.Account, a, p)}, nil
}

func iamGetInstanceProfile(c *call) (any, error) {
	p, err := c.instanceProfile(c.form.str("InstanceProfileName"))
	if err != nil {
		return nil, err
	}
	return &instanceProfileResultXML{instanceProfileItem(c.key.Account, c.acct(), p)}, nil
}

// iamDeleteInstanceProfile refuses a profile that still holds a role: "you
// must first remove all roles from the instance profile".
func iamDeleteInstanceProfile(c *call) (any, error) {
	p, err := c.instanceProfile(c.form.str("InstanceProfileName"))
	if err != nil {
		return nil, err
	}
	if len(p.Roles) > 0 {
		return nil, newError(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
	}
	delete(c.acct().InstanceProfiles, strings.ToLower(p.Name))
	return nil, nil
}

func iamAddRoleToInstanceProfile(c *call) (any, error) {
	p, err := c.instanceProfile(c.form.str("InstanceProfileName"))
	if err != nil {
		return nil, err
	}
	r, err := c.role(c.form.str("RoleName"))
	if err != nil {
		return nil, err
	}
	// A second role, or the same one again, exceeds the quota of one; AWS
	// answers LimitExceeded in both cases, not EntityAlreadyExists.
	if len(p.Roles) >= maxRolesPerInstanceProfile {
		return nil, newError(http.StatusConflict, "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: %d", maxRolesPerInstanceProfile)
	}
	p.Roles = append(p.Roles, strings.ToLower(r.Name))
	return nil, nil
}

// iamRemoveRoleFromInstanceProfile answers NoSuchEntity when the profile
// or the role does not exist, or the role is not in the profile. The
// reference lists NoSuchEntity without saying which message the last case
// carries; the emulator names the role.
func iamRemoveRoleFromInstanceProfile(c *call) (any, error) {
	p, err := c.instanceProfile(c.form.str("InstanceProfileName"))
	if err != nil {
		return nil, err
	}
	r, err := c.role(c.form.str("RoleName"))
	if err != nil {
		return nil, err
	}
	key := strings.ToLower(r.Name)
	i := slices.Index(p.Roles, key)
	if i < 0 {
		return nil, newError(http.StatusNotFound, "NoSuchEntity", "The role with name %s is not in instance profile %s.", r.Name, p.Name)
	}
	p.Roles = slices.Delete(p.Roles, i, i+1)
	return nil, nil
}

type listInstanceProfilesXML struct {
	InstanceProfiles memberList[instanceProfileXML] `xml:"InstanceProfiles"`
	IsTruncated      bool                           `xml:"IsTruncated"`
	Marker           string                         `xml:"Marker,omitempty"`
}

func (c *call) instanceProfilePage(keys []string) (any, error) {
	page, next, err := iamPage(c, keys)
	if err != nil {
		return nil, err
	}
	a := c.acct()
	out := &listInstanceProfilesXML{InstanceProfiles: members([]instanceProfileXML{}), IsTruncated: next != "", Marker: next}
	for _, k := range page {
		item := instanceProfileItem(c.key.Account, a, a.InstanceProfiles[k])
		// ListInstanceProfiles "does not return tags, even though they are
		// an attribute of the returned object" (its reference);
		// GetInstanceProfile does. ListInstanceProfilesForRole's reference
		// does not say; the emulator treats both lists alike.
		item.Tags = nil
		out.InstanceProfiles.Members = append(out.InstanceProfiles.Members, item)
	}
	return out, nil
}

func iamListInstanceProfiles(c *call) (any, error) {
	prefix := c.form.str("PathPrefix")
	if prefix == "" {
		prefix = "/"
	}
	if !strings.HasPrefix(prefix, "/") || len(prefix) > 512 {
		return nil, validationError("1 validation error detected: Value '%s' at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*", prefix)
	}
	var keys []string
	for k, p := range c.acct().InstanceProfiles {
		if strings.HasPrefix(p.Path, prefix) {
			keys = append(keys, k)
		}
	}
	return c.instanceProfilePage(keys)
}

// iamListInstanceProfilesForRole lists the profiles holding a role: "If
// there are none, the operation returns an empty list"; a role that does
// not exist is NoSuchEntity.
func iamListInstanceProfilesForRole(c *call) (any, error) {
	r, err := c.role(c.form.str("RoleName"))
	if err != nil {
		return nil, err
	}
	return c.instanceProfilePage(c.acct().profilesOf(r))
}
