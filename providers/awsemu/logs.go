package awsemu

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

var logsActions = map[string]*action{
	"CreateLogGroup":        {fn: logsCreateLogGroup, mutating: true},
	"DeleteLogGroup":        {fn: logsDeleteLogGroup, mutating: true},
	"DescribeLogGroups":     {fn: logsDescribeLogGroups},
	"PutRetentionPolicy":    {fn: logsPutRetentionPolicy, mutating: true},
	"DeleteRetentionPolicy": {fn: logsDeleteRetentionPolicy, mutating: true},
	"TagResource":           {fn: logsTagResource, mutating: true},
	"UntagResource":         {fn: logsUntagResource, mutating: true},
	"ListTagsForResource":   {fn: logsListTagsForResource},
	"TagLogGroup":           {fn: logsTagLogGroup, mutating: true},
	"UntagLogGroup":         {fn: logsUntagLogGroup, mutating: true},
	"ListTagsLogGroup":      {fn: logsListTagsLogGroup},
	"AssociateKmsKey":       {fn: logsAssociateKmsKey, mutating: true},
	"DisassociateKmsKey":    {fn: logsDisassociateKmsKey, mutating: true},
}

// retentionDays are the values PutRetentionPolicy accepts (the Days enum of
// the CloudWatch Logs API reference).
var retentionDays = strings.Fields("1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653")

var (
	logGroupNamePattern = regexp.MustCompile(`^[.\-_/#A-Za-z0-9]{1,512}$`)
	kmsKeyARNPattern    = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):kms:([a-z0-9-]+):\d{12}:key/.+$`)
	logsTagKeyPattern   = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)
	logsTagValuePattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$`)
)

func logsInvalid(format string, args ...any) *apiError {
	return badRequest("InvalidParameterException", format, args...)
}

func logGroupNotFound() *apiError {
	return badRequest("ResourceNotFoundException", "The specified log group does not exist.")
}

func validLogGroupName(name string) *apiError {
	if !logGroupNamePattern.MatchString(name) {
		return logsInvalid("1 validation error detected: Value '%s' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+", name)
	}
	return nil
}

// logGroupARN is a log group's ARN, without ":*".
func logGroupARN(partition, region, acct, name string) string {
	return arnFor(partition, "logs", region, acct, "log-group:"+name)
}

// logGroupARN is the ARN of a log group of the caller's account-region.
func (c *call) logGroupARN(name string) string {
	return logGroupARN(c.acct().partition(), c.region, c.key.Account, name)
}

// logsTags checks a tag map against CloudWatch Logs' rules.
func logsTags(t map[string]string) *apiError {
	for k, v := range t {
		if !logsTagKeyPattern.MatchString(k) || !logsTagValuePattern.MatchString(v) {
			return logsInvalid("1 validation error detected: Value at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$]")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return logsInvalid("Tag keys prefixed with 'aws:' are reserved")
		}
	}
	return nil
}

func mergeLogsTags(g *logGroup, add map[string]string) *apiError {
	if err := logsTags(add); err != nil {
		return err
	}
	n := len(g.Tags)
	for k := range add {
		if _, ok := g.Tags[k]; !ok {
			n++
		}
	}
	if n > 50 {
		return badRequest("TooManyTagsException", "A resource can have no more than 50 tags.")
	}
	if g.Tags == nil {
		g.Tags = tags{}
	}
	for k, v := range add {
		g.Tags[k] = v
	}
	return nil
}

func (c *call) logGroup(name string) (*logGroup, *apiError) {
	if err := validLogGroupName(name); err != nil {
		return nil, err
	}
	g := c.reg().LogGroups[name]
	if g == nil {
		return nil, logGroupNotFound()
	}
	return g, nil
}

func logsCreateLogGroup(c *call) (any, error) {
	var in struct {
		LogGroupName              string            `json:"logGroupName"`
		KmsKeyID                  string            `json:"kmsKeyId"`
		Tags                      map[string]string `json:"tags"`
		LogGroupClass             string            `json:"logGroupClass"`
		DeletionProtectionEnabled bool              `json:"deletionProtectionEnabled"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	if err := validLogGroupName(in.LogGroupName); err != nil {
		return nil, err
	}
	if strings.HasPrefix(in.LogGroupName, "aws/") {
		return nil, logsInvalid("Log group names starting with 'aws/' are reserved for AWS services")
	}
	class := cmp.Or(in.LogGroupClass, "STANDARD")
	if !slices.Contains([]string{"STANDARD", "INFREQUENT_ACCESS", "DELIVERY"}, class) {
		return nil, logsInvalid("1 validation error detected: Value '%s' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]", class)
	}
	if in.KmsKeyID != "" {
		if err := c.checkKMSKey(in.KmsKeyID); err != nil {
			return nil, err
		}
	}
	r := c.reg()
	if r.LogGroups[in.LogGroupName] != nil {
		return nil, badRequest("ResourceAlreadyExistsException", "The specified log group already exists")
	}
	g := &logGroup{Name: in.LogGroupName, Created: c.now, KMSKeyID: in.KmsKeyID, Class: class}
	if len(in.Tags) > 0 {
		if err := mergeLogsTags(g, in.Tags); err != nil {
			return nil, err
		}
	}
	r.LogGroups[g.Name] = g
	return nil, nil
}

// checkKMSKey requires a key ARN in the caller's region: "the KMS key must
// be in the same Region as the log group" (AssociateKmsKey reference).
func (c *call) checkKMSKey(id string) *apiError {
	m := kmsKeyARNPattern.FindStringSubmatch(id)
	if m == nil || m[1] != c.acct().partition() {
		return logsInvalid("Specified KMS key ARN %s is invalid: it must be the ARN of a KMS key", id)
	}
	if m[2] != c.region {
		return logsInvalid("The KMS key %s must be in the log group's region %s", id, c.region)
	}
	return nil
}

func logsDeleteLogGroup(c *call) (any, error) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	if _, err := c.logGroup(in.LogGroupName); err != nil {
		return nil, err
	}
	delete(c.reg().LogGroups, in.LogGroupName)
	return nil, nil
}

type logGroupJSON struct {
	LogGroupName              string `json:"logGroupName"`
	CreationTime              int64  `json:"creationTime"`
	RetentionInDays           *int   `json:"retentionInDays,omitempty"`
	MetricFilterCount         int    `json:"metricFilterCount"`
	Arn                       string `json:"arn"`
	StoredBytes               int64  `json:"storedBytes"`
	KmsKeyID                  string `json:"kmsKeyId,omitempty"`
	LogGroupClass             string `json:"logGroupClass"`
	LogGroupArn               string `json:"logGroupArn"`
	DeletionProtectionEnabled bool   `json:"deletionProtectionEnabled"`
}

func logsDescribeLogGroups(c *call) (any, error) {
	var in struct {
		LogGroupNamePrefix  string   `json:"logGroupNamePrefix"`
		LogGroupNamePattern string   `json:"logGroupNamePattern"`
		NextToken           string   `json:"nextToken"`
		Limit               *int     `json:"limit"`
		LogGroupClass       string   `json:"logGroupClass"`
		LogGroupIdentifiers []string `json:"logGroupIdentifiers"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	if in.LogGroupNamePrefix != "" && in.LogGroupNamePattern != "" {
		return nil, logsInvalid("LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive")
	}
	if in.LogGroupNamePrefix != "" {
		if err := validLogGroupName(in.LogGroupNamePrefix); err != nil {
			return nil, err
		}
	}
	limit := 50
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 50 {
			return nil, logsInvalid("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 50", *in.Limit)
		}
		limit = *in.Limit
	}
	r := c.reg()
	var keys []string
	for name, g := range r.LogGroups {
		if !strings.HasPrefix(name, in.LogGroupNamePrefix) ||
			(in.LogGroupNamePattern != "" && !strings.Contains(strings.ToLower(name), strings.ToLower(in.LogGroupNamePattern))) ||
			(in.LogGroupClass != "" && g.Class != in.LogGroupClass) ||
			(len(in.LogGroupIdentifiers) > 0 && !slices.Contains(in.LogGroupIdentifiers, name) &&
				!slices.Contains(in.LogGroupIdentifiers, c.logGroupARN(name))) {
			continue
		}
		keys = append(keys, name)
	}
	page, next, ok := paginate(keys, limit, in.NextToken, c.queryHash("nextToken", "limit"))
	if !ok {
		return nil, logsInvalid("The specified nextToken is invalid.")
	}
	out := struct {
		LogGroups []logGroupJSON `json:"logGroups"`
		NextToken string         `json:"nextToken,omitempty"`
	}{LogGroups: []logGroupJSON{}, NextToken: next}
	for _, name := range page {
		g := r.LogGroups[name]
		arn := c.logGroupARN(name)
		item := logGroupJSON{LogGroupName: name, CreationTime: g.Created.UnixMilli(), Arn: arn + ":*",
			KmsKeyID: g.KMSKeyID, LogGroupClass: g.Class, LogGroupArn: arn}
		if g.RetentionDays != 0 {
			days := g.RetentionDays
			item.RetentionInDays = &days
		}
		out.LogGroups = append(out.LogGroups, item)
	}
	return out, nil
}

func logsPutRetentionPolicy(c *call) (any, error) {
	var in struct {
		LogGroupName    string `json:"logGroupName"`
		RetentionInDays *int   `json:"retentionInDays"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	if in.RetentionInDays == nil || !slices.Contains(retentionDays, fmt.Sprint(*in.RetentionInDays)) {
		v := "null"
		if in.RetentionInDays != nil {
			v = fmt.Sprint(*in.RetentionInDays)
		}
		return nil, logsInvalid("1 validation error detected: Value '%s' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [%s]", v, strings.Join(retentionDays, ", "))
	}
	g, err := c.logGroup(in.LogGroupName)
	if err != nil {
		return nil, err
	}
	g.RetentionDays = *in.RetentionInDays
	return nil, nil
}

func logsDeleteRetentionPolicy(c *call) (any, error) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	g, err := c.logGroup(in.LogGroupName)
	if err != nil {
		return nil, err
	}
	g.RetentionDays = 0
	return nil, nil
}

// logGroupByARN resolves TagResource's resourceArn. The API reference gives
// the log group form as arn:aws:logs:Region:account-id:log-group:name,
// without the ":*" DescribeLogGroups puts on its arn member; the emulator
// refuses the ":*" form, the stricter reading.
func (c *call) logGroupByARN(arn string) (*logGroup, *apiError) {
	if strings.HasSuffix(arn, ":*") {
		return nil, logsInvalid("Invalid resource ARN %s: use the log group ARN without ':*' (the logGroupArn member of DescribeLogGroups)", arn)
	}
	name, ok := strings.CutPrefix(arn, c.logGroupARN(""))
	if !ok {
		if a, isARN := parseARN(arn); isARN && a.Service == "logs" {
			return nil, logGroupNotFound()
		}
		return nil, logsInvalid("Invalid resource ARN %s", arn)
	}
	return c.logGroup(name)
}

func logsTagResource(c *call) (any, error) {
	var in struct {
		ResourceArn string            `json:"resourceArn"`
		Tags        map[string]string `json:"tags"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	g, err := c.logGroupByARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, logsInvalid("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
	}
	if err := mergeLogsTags(g, in.Tags); err != nil {
		return nil, err
	}
	return nil, nil
}

func logsUntagResource(c *call) (any, error) {
	var in struct {
		ResourceArn string   `json:"resourceArn"`
		TagKeys     []string `json:"tagKeys"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	g, err := c.logGroupByARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	for _, k := range in.TagKeys {
		delete(g.Tags, k)
	}
	return nil, nil
}

type tagsJSON struct {
	Tags map[string]string `json:"tags"`
}

func logsListTagsForResource(c *call) (any, error) {
	var in struct {
		ResourceArn string `json:"resourceArn"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	g, err := c.logGroupByARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return tagsJSON{Tags: copyTags(g.Tags)}, nil
}

func copyTags(t tags) map[string]string {
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}

func logsTagLogGroup(c *call) (any, error) {
	var in struct {
		LogGroupName string            `json:"logGroupName"`
		Tags         map[string]string `json:"tags"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	g, err := c.logGroup(in.LogGroupName)
	if err != nil {
		return nil, err
	}
	if err := mergeLogsTags(g, in.Tags); err != nil {
		return nil, err
	}
	return nil, nil
}

func logsUntagLogGroup(c *call) (any, error) {
	var in struct {
		LogGroupName string   `json:"logGroupName"`
		Tags         []string `json:"tags"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	g, err := c.logGroup(in.LogGroupName)
	if err != nil {
		return nil, err
	}
	for _, k := range in.Tags {
		delete(g.Tags, k)
	}
	return nil, nil
}

func logsListTagsLogGroup(c *call) (any, error) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	g, err := c.logGroup(in.LogGroupName)
	if err != nil {
		return nil, err
	}
	return tagsJSON{Tags: copyTags(g.Tags)}, nil
}

func logsAssociateKmsKey(c *call) (any, error) {
	var in struct {
		LogGroupName       string `json:"logGroupName"`
		KmsKeyID           string `json:"kmsKeyId"`
		ResourceIdentifier string `json:"resourceIdentifier"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	if in.LogGroupName == "" || in.ResourceIdentifier != "" {
		return nil, logsInvalid("the emulator supports AssociateKmsKey with logGroupName only")
	}
	g, err := c.logGroup(in.LogGroupName)
	if err != nil {
		return nil, err
	}
	if err := c.checkKMSKey(in.KmsKeyID); err != nil {
		return nil, err
	}
	g.KMSKeyID = in.KmsKeyID
	return nil, nil
}

func logsDisassociateKmsKey(c *call) (any, error) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	g, err := c.logGroup(in.LogGroupName)
	if err != nil {
		return nil, err
	}
	g.KMSKeyID = ""
	return nil, nil
}
