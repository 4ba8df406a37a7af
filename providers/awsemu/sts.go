package awsemu

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/flowplan/flowplan/providers/awsemu/iampolicy"
)

var stsActions = map[string]*action{
	"AssumeRole":        {fn: stsAssumeRole, mutating: true, credentialsOnly: true},
	"GetCallerIdentity": {fn: stsGetCallerIdentity},
}

var (
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDPattern  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumedRoleUserXML struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

type assumeRoleXML struct {
	Credentials     credentialsXML     `xml:"Credentials"`
	AssumedRoleUser assumedRoleUserXML `xml:"AssumedRoleUser"`
}

// stsAssumeRole issues temporary credentials bound to the role's account.
// The role must exist, be past the IAM propagation delay, and its trust
// policy must admit the caller: an AWS principal matching the caller's
// account (root ARN or account ID), its user ARN, or, for a role session,
// the role's ARN, with sts:ExternalId and the other request keys as
// condition context. Anything else is AccessDenied, as on AWS.
func stsAssumeRole(c *call) (any, error) {
	roleARN := c.form.str("RoleArn")
	session := c.form.str("RoleSessionName")
	externalID := c.form.str("ExternalId")
	switch {
	case len(roleARN) < 20:
		return nil, validationError("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20", roleARN)
	case !sessionNamePattern.MatchString(session):
		return nil, validationError("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", session)
	case c.form.has("ExternalId") && (len(externalID) < 2 || len(externalID) > 1224 || !externalIDPattern.MatchString(externalID)):
		return nil, validationError("1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*")
	}
	duration := 3600
	if s := c.form.str("DurationSeconds"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 900 || n > 43200 {
			return nil, validationError("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", s)
		}
		duration = n
	}
	denied := newError(http.StatusForbidden, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.key.ARN, roleARN)
	acct, name, ok := parseRoleARN(roleARN)
	if !ok {
		return nil, validationError("%s is invalid", roleARN)
	}
	target := c.st.Accounts[acct]
	// A role of another partition is out of reach: partitions share no
	// principals.
	if target == nil || target.partition() != c.acct().partition() {
		return nil, denied
	}
	r := target.roleByName(name)
	if !c.e.opts.PermissiveAssumeRole {
		if r == nil || target.roleARN(r) != roleARN || !c.e.rolePropagated(r, c.now) || !c.trustAdmits(r, externalID) {
			return nil, denied
		}
	}
	maxSession, roleID := 3600, "AROA"+upperAlnum[:17]
	if r != nil {
		maxSession, roleID = r.MaxSession, r.ID
	}
	if c.key.RoleARN != "" && duration > 3600 {
		return nil, validationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if duration > maxSession {
		return nil, validationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	k := &accessKey{
		AccessKeyID: c.st.accessKeyID(true), SecretAccessKey: c.st.secret(),
		SessionToken: base64.StdEncoding.EncodeToString(c.st.nextBytes(96)),
		Account:      acct, ARN: arnFor(target.partition(), "sts", "", acct, "assumed-role/"+name+"/"+session),
		RoleARN: roleARN, UserID: roleID + ":" + session, Expires: c.now.Add(time.Duration(duration) * time.Second),
	}
	c.st.Keys[k.AccessKeyID] = k
	return &assumeRoleXML{
		Credentials:     credentialsXML{k.AccessKeyID, k.SecretAccessKey, k.SessionToken, iamTime(k.Expires)},
		AssumedRoleUser: assumedRoleUserXML{k.UserID, k.ARN},
	}, nil
}

// trustAdmits evaluates the role's trust policy for the caller.
func (c *call) trustAdmits(r *role, externalID string) bool {
	arns := []string{c.key.ARN}
	principalARN := c.key.ARN
	if c.key.RoleARN != "" {
		arns = append(arns, c.key.RoleARN)
		principalARN = c.key.RoleARN
	}
	ctx := map[string]string{
		"aws:PrincipalAccount":      c.key.Account,
		"aws:PrincipalArn":          principalARN,
		"sts:RoleSessionName":       c.form.str("RoleSessionName"),
		"aws:SecureTransport":       "true",
		"aws:RequestedRegion":       c.region,
		"aws:PrincipalIsAWSService": "false",
	}
	if c.form.has("ExternalId") {
		ctx["sts:ExternalId"] = externalID
	}
	if o := c.st.Organization; o != nil && slices.Contains(o.members(), c.key.Account) {
		ctx["aws:PrincipalOrgID"] = o.ID
	}
	req := iampolicy.Request{Caller: iampolicy.Caller{Account: c.key.Account, Partition: c.acct().partition(), ARNs: arns},
		Action: "sts:AssumeRole", Context: ctx}
	return c.e.cachedPolicy(r.TrustPolicy).Evaluate(req) == iampolicy.Allowed
}

type callerIdentityXML struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

func stsGetCallerIdentity(c *call) (any, error) {
	return &callerIdentityXML{UserID: c.key.UserID, Account: c.key.Account, Arn: c.key.ARN}, nil
}
