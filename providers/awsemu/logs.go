package awsemu

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
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
	"CreateLogStream":       {fn: logsCreateLogStream, mutating: true},
	"DescribeLogStreams":    {fn: logsDescribeLogStreams, pumps: true},
	"GetLogEvents":          {fn: logsGetLogEvents, pumps: true},
	"FilterLogEvents":       {fn: logsFilterLogEvents, pumps: true},
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

// --- log streams and events (written by flow logs, flowlog_delivery.go) ---

var logStreamPrefixPattern = regexp.MustCompile(`^[^:*]{1,512}$`)

// groupOf resolves logGroupName / logGroupIdentifier: exactly one must be
// given ("You must include either logGroupIdentifier or logGroupName, but
// not both"). An identifier is a name or the group's ARN without ":*" (the
// logGroupArn member of DescribeLogGroups); ARNs of other accounts, which
// only monitoring accounts may use, are not found.
// ASSUMPTION: the wording of the two InvalidParameterException messages.
func (c *call) groupOf(name, identifier string) (*logGroup, string, *apiError) {
	switch {
	case name != "" && identifier != "":
		return nil, "", logsInvalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case name == "" && identifier == "":
		return nil, "", logsInvalid("Should provide either LogGroup name or LogGroup ARN.")
	case identifier != "":
		name = identifier
		if strings.HasPrefix(identifier, "arn:") {
			n, ok := strings.CutPrefix(identifier, logGroupARN(c.acct().partition(), c.region, c.key.Account, ""))
			if !ok || strings.HasSuffix(n, ":*") {
				return nil, "", logGroupNotFound()
			}
			name = n
		}
	}
	g, err := c.logGroup(name)
	return g, name, err
}

func logStreamARN(partition, region, acct, group, stream string) string {
	return logGroupARN(partition, region, acct, group) + ":log-stream:" + stream
}

type logStreamJSON struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp int64  `json:"firstEventTimestamp"`
	LastEventTimestamp  int64  `json:"lastEventTimestamp"`
	LastIngestionTime   int64  `json:"lastIngestionTime"`
	UploadSequenceToken string `json:"uploadSequenceToken"`
	Arn                 string `json:"arn"`
	// StoredBytes "is always reported as zero" for log streams since
	// June 17, 2019 (the LogStream shape).
	StoredBytes int64 `json:"storedBytes"`
}

// logsDescribeLogStreams lists a group's streams by name (the default) or
// by the time of their last event, ascending unless descending is true.
// logsCreateLogStream creates an empty log stream, as the CreateLogStream
// reference describes: the name is 1 to 512 characters without ":" or "*",
// unique in its group.
func logsCreateLogStream(c *call) (any, error) {
	var in struct {
		LogGroupName  string `json:"logGroupName"`
		LogStreamName string `json:"logStreamName"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	if !logStreamPrefixPattern.MatchString(in.LogStreamName) {
		return nil, logsInvalid("1 validation error detected: Value '%s' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*", in.LogStreamName)
	}
	g, err := c.logGroup(in.LogGroupName)
	if err != nil {
		return nil, err
	}
	if _, ok := g.Streams[in.LogStreamName]; ok {
		return nil, badRequest("ResourceAlreadyExistsException", "The specified log stream already exists")
	}
	if g.Streams == nil {
		g.Streams = map[string]*logStream{}
	}
	g.Streams[in.LogStreamName] = &logStream{Name: in.LogStreamName, Created: c.now.UnixMilli()}
	return nil, nil
}

func logsDescribeLogStreams(c *call) (any, error) {
	var in struct {
		LogGroupName        string `json:"logGroupName"`
		LogGroupIdentifier  string `json:"logGroupIdentifier"`
		LogStreamNamePrefix string `json:"logStreamNamePrefix"`
		OrderBy             string `json:"orderBy"`
		Descending          bool   `json:"descending"`
		NextToken           string `json:"nextToken"`
		Limit               *int   `json:"limit"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	orderBy := cmp.Or(in.OrderBy, "LogStreamName")
	if orderBy != "LogStreamName" && orderBy != "LastEventTime" {
		return nil, logsInvalid("1 validation error detected: Value '%s' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]", in.OrderBy)
	}
	if in.LogStreamNamePrefix != "" && !logStreamPrefixPattern.MatchString(in.LogStreamNamePrefix) {
		return nil, logsInvalid("1 validation error detected: Value '%s' at 'logStreamNamePrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*", in.LogStreamNamePrefix)
	}
	if in.LogStreamNamePrefix != "" && orderBy == "LastEventTime" {
		return nil, logsInvalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	limit, err := logsLimit(in.Limit, 50)
	if err != nil {
		return nil, err
	}
	g, groupName, err := c.groupOf(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	var streams []*logStream
	for name, s := range g.Streams {
		if strings.HasPrefix(name, in.LogStreamNamePrefix) {
			streams = append(streams, s)
		}
	}
	slices.SortFunc(streams, func(a, b *logStream) int {
		if orderBy == "LastEventTime" && a.LastEvent != b.LastEvent {
			return cmp.Compare(a.LastEvent, b.LastEvent)
		}
		return strings.Compare(a.Name, b.Name)
	})
	if in.Descending {
		slices.Reverse(streams)
	}
	names := make([]string, len(streams))
	for i, s := range streams {
		names[i] = s.Name
	}
	page, next, ok := paginateOrdered(names, limit, in.NextToken, c.queryHash("nextToken", "limit"))
	if !ok {
		return nil, logsInvalid("The specified nextToken is invalid.")
	}
	out := struct {
		LogStreams []logStreamJSON `json:"logStreams"`
		NextToken  string          `json:"nextToken,omitempty"`
	}{LogStreams: []logStreamJSON{}, NextToken: next}
	for _, name := range page {
		s := g.Streams[name]
		out.LogStreams = append(out.LogStreams, logStreamJSON{LogStreamName: name, CreationTime: s.Created,
			FirstEventTimestamp: s.FirstEvent, LastEventTimestamp: s.LastEvent, LastIngestionTime: s.LastIngestion,
			UploadSequenceToken: uploadSequenceToken(s), Arn: logStreamARN(c.acct().partition(), c.region, c.key.Account, groupName, name)})
	}
	return out, nil
}

// uploadSequenceToken is the (ignored, since 2023) sequence token, a long
// decimal number as AWS writes it.
func uploadSequenceToken(s *logStream) string {
	return fmt.Sprintf("4963%019d%019d%015d", s.Created, s.LastIngestion, len(s.Events))
}

func logsLimit(v *int, max int) (int, *apiError) {
	if v == nil {
		return max, nil
	}
	if *v < 1 || *v > max {
		return 0, logsInvalid("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and %d", *v, max)
	}
	return *v, nil
}

// paginateOrdered pages keys in the order given: the token names the last
// key of the previous page.
func paginateOrdered(keys []string, limit int, token, query string) (page []string, next string, ok bool) {
	start := 0
	if token != "" {
		after, valid := decodeToken(token, query)
		if !valid {
			return nil, "", false
		}
		start = len(keys)
		if i := slices.Index(keys, after); i >= 0 {
			start = i + 1
		}
	}
	end := len(keys)
	if start+limit < end {
		end = start + limit
		next = encodeToken(keys[end-1], query)
	}
	return keys[start:end], next, true
}

type outputLogEventJSON struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

// eventCursor is a GetLogEvents position: the index of the first event at
// or after a timestamp, plus an offset among the events of that timestamp.
// Positions so named survive older events expiring.
type eventCursor struct {
	Timestamp int64  `json:"t"`
	Offset    int    `json:"o"`
	Query     string `json:"q"`
}

func (s *logStream) cursorAt(i int) eventCursor {
	if i >= len(s.Events) {
		last := int64(0)
		if len(s.Events) > 0 {
			last = s.Events[len(s.Events)-1].Timestamp + 1
		}
		return eventCursor{Timestamp: last}
	}
	first := sort.Search(len(s.Events), func(j int) bool { return s.Events[j].Timestamp >= s.Events[i].Timestamp })
	return eventCursor{Timestamp: s.Events[i].Timestamp, Offset: i - first}
}

func (s *logStream) indexOf(cur eventCursor) int {
	first := sort.Search(len(s.Events), func(j int) bool { return s.Events[j].Timestamp >= cur.Timestamp })
	return min(first+cur.Offset, len(s.Events))
}

func encodeEventToken(dir string, cur eventCursor) string {
	b, _ := json.Marshal(cur)
	return dir + "/" + base64.RawURLEncoding.EncodeToString(b)
}

func decodeEventToken(token, query string) (dir string, cur eventCursor, ok bool) {
	dir, rest, found := strings.Cut(token, "/")
	if !found || (dir != "f" && dir != "b") {
		return "", cur, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || json.Unmarshal(raw, &cur) != nil || cur.Query != query {
		return "", cur, false
	}
	return dir, cur, true
}

// logsGetLogEvents returns up to limit events of one stream in the time
// range, oldest first within the page. Without a token it starts at the
// head (startFromHead) or, by default, ends at the tail; a forward token
// continues after the previous page, a backward token before it. At the
// end of the stream the token passed in is returned again, as the API
// reference says. The direction of a token decides, whatever startFromHead
// says.
func logsGetLogEvents(c *call) (any, error) {
	var in struct {
		LogGroupName       string `json:"logGroupName"`
		LogGroupIdentifier string `json:"logGroupIdentifier"`
		LogStreamName      string `json:"logStreamName"`
		StartTime          *int64 `json:"startTime"`
		EndTime            *int64 `json:"endTime"`
		NextToken          string `json:"nextToken"`
		Limit              *int   `json:"limit"`
		StartFromHead      bool   `json:"startFromHead"`
		Unmask             bool   `json:"unmask"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	if in.LogStreamName == "" {
		return nil, logsInvalid("1 validation error detected: Value null at 'logStreamName' failed to satisfy constraint: Member must not be null")
	}
	limit, err := logsLimit(in.Limit, 10000)
	if err != nil {
		return nil, err
	}
	g, _, err := c.groupOf(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	s := g.Streams[in.LogStreamName]
	if s == nil {
		return nil, badRequest("ResourceNotFoundException", "The specified log stream does not exist.")
	}
	// The time range narrows the events the positions run over.
	lo, hi := 0, len(s.Events)
	if in.StartTime != nil {
		lo = sort.Search(len(s.Events), func(i int) bool { return s.Events[i].Timestamp >= *in.StartTime })
	}
	if in.EndTime != nil {
		hi = sort.Search(len(s.Events), func(i int) bool { return s.Events[i].Timestamp >= *in.EndTime })
	}
	hi = max(hi, lo)
	query := c.queryHash("nextToken", "limit", "startFromHead")
	var from, to int
	switch {
	case in.NextToken != "":
		dir, cur, ok := decodeEventToken(in.NextToken, query)
		if !ok {
			return nil, logsInvalid("The specified nextToken is invalid.")
		}
		at := min(max(s.indexOf(cur), lo), hi)
		if dir == "f" {
			from, to = at, min(at+limit, hi)
		} else {
			from, to = max(at-limit, lo), at
		}
	case in.StartFromHead:
		from, to = lo, min(lo+limit, hi)
	default:
		from, to = max(hi-limit, lo), hi
	}
	out := struct {
		Events            []outputLogEventJSON `json:"events"`
		NextForwardToken  string               `json:"nextForwardToken"`
		NextBackwardToken string               `json:"nextBackwardToken"`
	}{Events: []outputLogEventJSON{}}
	for _, ev := range s.Events[from:to] {
		out.Events = append(out.Events, outputLogEventJSON{ev.Timestamp, ev.Message, ev.Ingestion})
	}
	fwd, back := s.cursorAt(to), s.cursorAt(from)
	fwd.Query, back.Query = query, query
	out.NextForwardToken, out.NextBackwardToken = encodeEventToken("f", fwd), encodeEventToken("b", back)
	if in.NextToken != "" && from == to {
		// "If you have reached the end of the stream, it returns the same
		// token you passed in."
		out.NextForwardToken, out.NextBackwardToken = in.NextToken, in.NextToken
	}
	return out, nil
}

type filteredLogEventJSON struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

// filterTerms parses the part of the filter pattern syntax the emulator
// supports: terms and quoted phrases that must all appear in the message.
// Other forms (space-delimited "[...]", JSON "{...}", "?" alternatives,
// "-" exclusions, regular expressions) are refused rather than guessed.
func filterTerms(pattern string) ([]string, *apiError) {
	p := strings.TrimSpace(pattern)
	if p == "" {
		return nil, nil
	}
	if strings.ContainsAny(p[:1], "[{?%") || strings.Contains(p, " -") || strings.HasPrefix(p, "-") {
		return nil, logsInvalid("the emulator supports filter patterns of terms and quoted phrases only, not %q", pattern)
	}
	var terms []string
	for p != "" {
		if p[0] == '"' {
			end := strings.IndexByte(p[1:], '"')
			if end < 0 {
				return nil, logsInvalid("Invalid filter pattern: unterminated quoted phrase in %q", pattern)
			}
			terms = append(terms, p[1:end+1])
			p = strings.TrimSpace(p[end+2:])
			continue
		}
		word, rest, _ := strings.Cut(p, " ")
		terms = append(terms, word)
		p = strings.TrimSpace(rest)
	}
	return terms, nil
}

// logsFilterLogEvents searches a group's streams, events of all streams
// interleaved by time ("this parameter is ignored and the value is assumed
// to be true"), oldest first unless startFromHead is false.
func logsFilterLogEvents(c *call) (any, error) {
	var in struct {
		LogGroupName        string   `json:"logGroupName"`
		LogGroupIdentifier  string   `json:"logGroupIdentifier"`
		LogStreamNames      []string `json:"logStreamNames"`
		LogStreamNamePrefix string   `json:"logStreamNamePrefix"`
		StartTime           *int64   `json:"startTime"`
		EndTime             *int64   `json:"endTime"`
		FilterPattern       string   `json:"filterPattern"`
		NextToken           string   `json:"nextToken"`
		Limit               *int     `json:"limit"`
		StartFromHead       *bool    `json:"startFromHead"`
		Interleaved         bool     `json:"interleaved"`
		Unmask              bool     `json:"unmask"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != "" {
		return nil, logsInvalid("Cannot specify both logStreamNames and logStreamNamePrefix.")
	}
	if len(in.LogStreamNames) > 100 {
		return nil, logsInvalid("1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	if len(in.FilterPattern) > 1024 {
		return nil, logsInvalid("1 validation error detected: Value at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024")
	}
	limit, err := logsLimit(in.Limit, 10000)
	if err != nil {
		return nil, err
	}
	fromHead := in.StartFromHead == nil || *in.StartFromHead
	if !fromHead && (in.StartTime == nil || *in.StartTime < time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()) {
		return nil, logsInvalid("startFromHead=false requires a startTime on or after Jan 1, 2024 00:00:00 UTC")
	}
	terms, err := filterTerms(in.FilterPattern)
	if err != nil {
		return nil, err
	}
	g, _, err := c.groupOf(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	var events []filteredLogEventJSON
	for _, name := range slices.Sorted(maps.Keys(g.Streams)) {
		if (len(in.LogStreamNames) > 0 && !slices.Contains(in.LogStreamNames, name)) || !strings.HasPrefix(name, in.LogStreamNamePrefix) {
			continue
		}
		for i, ev := range g.Streams[name].Events {
			if (in.StartTime != nil && ev.Timestamp < *in.StartTime) || (in.EndTime != nil && ev.Timestamp > *in.EndTime) ||
				!allTerms(ev.Message, terms) {
				continue
			}
			s := g.Streams[name]
			events = append(events, filteredLogEventJSON{LogStreamName: name, Timestamp: ev.Timestamp, Message: ev.Message,
				IngestionTime: ev.Ingestion, EventID: eventID(name, ev, s.cursorAt(i).Offset)})
		}
	}
	slices.SortStableFunc(events, func(a, b filteredLogEventJSON) int {
		return cmp.Or(cmp.Compare(a.Timestamp, b.Timestamp), strings.Compare(a.LogStreamName, b.LogStreamName))
	})
	if !fromHead {
		slices.Reverse(events)
	}
	ids := make([]string, len(events))
	for i, ev := range events {
		ids[i] = ev.EventID
	}
	page, next, ok := paginateOrdered(ids, limit, in.NextToken, c.queryHash("nextToken", "limit", "startFromHead"))
	if !ok {
		return nil, logsInvalid("The specified nextToken is invalid.")
	}
	out := struct {
		Events             []filteredLogEventJSON `json:"events"`
		SearchedLogStreams []struct{}             `json:"searchedLogStreams"`
		NextToken          string                 `json:"nextToken,omitempty"`
	}{Events: []filteredLogEventJSON{}, SearchedLogStreams: []struct{}{}, NextToken: next}
	if len(page) > 0 {
		start := slices.Index(ids, page[0])
		out.Events = append(out.Events, events[start:start+len(page)]...)
	}
	return out, nil
}

func allTerms(msg string, terms []string) bool {
	for _, t := range terms {
		if !strings.Contains(msg, t) {
			return false
		}
	}
	return true
}

// eventID is a 56-digit event ID, the length AWS's have, stable while the
// event is kept: offset counts the stream's earlier events of the same
// timestamp.
func eventID(stream string, ev logEvent, offset int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d/%d/%d", stream, ev.Timestamp, ev.Ingestion, offset)))
	return fmt.Sprintf("%020d%020d%016d", ev.Timestamp, binary.BigEndian.Uint64(sum[:8])%1e19, binary.BigEndian.Uint64(sum[8:16])%1e16)
}
