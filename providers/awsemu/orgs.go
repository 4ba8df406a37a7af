package awsemu

import (
	"regexp"
	"slices"
	"sort"
)

var orgActions = map[string]*action{
	"DescribeOrganization":             {fn: orgDescribeOrganization},
	"ListRoots":                        {fn: orgListRoots},
	"ListAccounts":                     {fn: orgListAccounts},
	"ListAccountsForParent":            {fn: orgListAccountsForParent},
	"ListOrganizationalUnitsForParent": {fn: orgListOUsForParent},
}

var parentIDPattern = regexp.MustCompile(`^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)

func orgInvalidInput(reason, format string, args ...any) *apiError {
	return badRequest("InvalidInputException", format, args...).with("Reason", reason)
}

// org returns the caller's organisation. Only the management account and
// delegated administrators may read it; other members get
// AccessDeniedException, non-members AWSOrganizationsNotInUseException.
func (c *call) org() (*organization, *apiError) {
	o := c.st.Organization
	if o == nil || !slices.Contains(o.members(), c.key.Account) {
		return nil, badRequest("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
	}
	if c.key.Account != o.ManagementAccount && !slices.Contains(o.DelegatedAdmins, c.key.Account) {
		return nil, badRequest("AccessDeniedException", "You don't have permissions to access this resource.")
	}
	return o, nil
}

// orgPage pages sorted keys with MaxResults (1-20). Organizations may
// return fewer results than asked; the emulator never returns more than 20.
func (c *call) orgPage(keys []string) ([]string, string, *apiError) {
	var in struct {
		NextToken  string `json:"NextToken"`
		MaxResults *int   `json:"MaxResults"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, "", err
	}
	limit := 20
	if in.MaxResults != nil {
		switch {
		case *in.MaxResults < 1:
			return nil, "", orgInvalidInput("MIN_VALUE_EXCEEDED", "You provided a value that is too small: MaxResults must be at least 1.")
		case *in.MaxResults > 20:
			return nil, "", orgInvalidInput("MAX_VALUE_EXCEEDED", "You provided a value that is too large: MaxResults must be at most 20.")
		}
		limit = *in.MaxResults
	}
	page, next, ok := paginate(keys, limit, in.NextToken, c.queryHash("NextToken", "MaxResults"))
	if !ok {
		return nil, "", orgInvalidInput("INVALID_NEXT_TOKEN", "You specified an invalid value for nextToken. You must get the value from the response to a previous call to the API.")
	}
	return page, next, nil
}

// orgARN is an Organizations ARN, in the management account's partition.
func orgARN(st *state, o *organization, kind, id string) string {
	p := st.partitionOfAccount(o.ManagementAccount)
	if kind == "organization" {
		return arnFor(p, "organizations", "", o.ManagementAccount, "organization/"+o.ID)
	}
	return arnFor(p, "organizations", "", o.ManagementAccount, kind+"/"+o.ID+"/"+id)
}

type orgAccountJSON struct {
	ID              string  `json:"Id"`
	Arn             string  `json:"Arn"`
	Email           string  `json:"Email"`
	Name            string  `json:"Name"`
	Status          string  `json:"Status"`
	State           string  `json:"State"`
	JoinedMethod    string  `json:"JoinedMethod"`
	JoinedTimestamp float64 `json:"JoinedTimestamp"`
}

func (c *call) orgAccount(o *organization, id string) orgAccountJSON {
	a := c.st.Accounts[id]
	method := "CREATED"
	if id == o.ManagementAccount {
		method = "INVITED"
	}
	return orgAccountJSON{ID: id, Arn: orgARN(c.st, o, "account", id), Email: a.Email, Name: a.Name,
		Status: a.Status, State: a.Status, JoinedMethod: method, JoinedTimestamp: float64(o.Joined[id].Unix())}
}

func orgDescribeOrganization(c *call) (any, error) {
	o, err := c.org()
	if err != nil {
		return nil, err
	}
	mgmt := c.st.Accounts[o.ManagementAccount]
	return map[string]any{"Organization": map[string]any{
		"Id": o.ID, "Arn": orgARN(c.st, o, "organization", ""), "FeatureSet": "ALL",
		"MasterAccountArn": orgARN(c.st, o, "account", o.ManagementAccount), "MasterAccountId": o.ManagementAccount,
		"MasterAccountEmail": mgmt.Email, "AvailablePolicyTypes": []any{},
	}}, nil
}

func orgListRoots(c *call) (any, error) {
	o, err := c.org()
	if err != nil {
		return nil, err
	}
	page, next, err := c.orgPage([]string{o.Root.ID})
	if err != nil {
		return nil, err
	}
	roots := []map[string]any{}
	for range page {
		roots = append(roots, map[string]any{"Id": o.Root.ID, "Arn": orgARN(c.st, o, "root", o.Root.ID),
			"Name": o.Root.Name, "PolicyTypes": []any{}})
	}
	return listJSON("Roots", roots, next), nil
}

// listJSON is an Organizations list response; NextToken is omitted on the
// last page.
func listJSON(name string, list any, next string) map[string]any {
	out := map[string]any{name: list}
	if next != "" {
		out["NextToken"] = next
	}
	return out
}

func orgListAccounts(c *call) (any, error) {
	o, err := c.org()
	if err != nil {
		return nil, err
	}
	page, next, err := c.orgPage(o.members())
	if err != nil {
		return nil, err
	}
	accounts := []orgAccountJSON{}
	for _, id := range page {
		accounts = append(accounts, c.orgAccount(o, id))
	}
	return listJSON("Accounts", accounts, next), nil
}

func (c *call) parent(o *organization) (*orgUnit, *apiError) {
	var in struct {
		ParentID string `json:"ParentId"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	if !parentIDPattern.MatchString(in.ParentID) {
		return nil, orgInvalidInput("INVALID_PATTERN", "You specified a value with an invalid pattern: ParentId %q.", in.ParentID)
	}
	u := o.find(in.ParentID)
	if u == nil {
		return nil, badRequest("ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.")
	}
	return u, nil
}

func orgListAccountsForParent(c *call) (any, error) {
	o, err := c.org()
	if err != nil {
		return nil, err
	}
	u, err := c.parent(o)
	if err != nil {
		return nil, err
	}
	ids := append([]string(nil), u.Accounts...)
	sort.Strings(ids)
	page, next, err := c.orgPage(ids)
	if err != nil {
		return nil, err
	}
	accounts := []orgAccountJSON{}
	for _, id := range page {
		accounts = append(accounts, c.orgAccount(o, id))
	}
	return listJSON("Accounts", accounts, next), nil
}

func orgListOUsForParent(c *call) (any, error) {
	o, err := c.org()
	if err != nil {
		return nil, err
	}
	u, err := c.parent(o)
	if err != nil {
		return nil, err
	}
	byID := map[string]*orgUnit{}
	var ids []string
	for _, child := range u.Children {
		byID[child.ID] = child
		ids = append(ids, child.ID)
	}
	page, next, err := c.orgPage(ids)
	if err != nil {
		return nil, err
	}
	ous := []map[string]any{}
	for _, id := range page {
		ous = append(ous, map[string]any{"Id": id, "Arn": orgARN(c.st, o, "ou", id), "Name": byID[id].Name})
	}
	return listJSON("OrganizationalUnits", ous, next), nil
}
