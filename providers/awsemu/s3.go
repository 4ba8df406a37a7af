package awsemu

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/flowplan/flowplan/providers/awsemu/iampolicy"
)

// S3 is REST: the action follows from the method, the bucket (in the path,
// or in the Host for virtual-hosted-style requests) and the sub-resource.
var s3Actions = map[string]*action{
	"ListBuckets":        {fn: s3ListBuckets},
	"HeadBucket":         {fn: s3HeadBucket},
	"GetBucketLocation":  {fn: s3GetBucketLocation},
	"GetBucketPolicy":    {fn: s3GetBucketPolicy},
	"PutBucketPolicy":    {fn: s3PutBucketPolicy, mutating: true},
	"DeleteBucketPolicy": {fn: s3DeleteBucketPolicy, mutating: true},
	"ListObjectsV2":      {fn: s3ListObjectsV2, pumps: true},
	"GetObject":          {fn: s3GetObject, pumps: true},
	"HeadObject":         {fn: s3GetObject, pumps: true},
}

// maxBucketPolicySize is S3's 20 KB bucket policy limit.
const maxBucketPolicySize = 20 * 1024

// s3Response is what S3 handlers return: S3 answers with bare bodies,
// headers and 204s rather than an envelope.
type s3Response struct {
	status      int
	headers     map[string]string
	contentType string
	body        []byte
}

var vhostSuffix = regexp.MustCompile(`^[^.]+\.(s3([.-][a-z0-9-]+)*\.amazonaws\.com(\.cn)?|localhost|localhost\.localstack\.cloud)$`)

// bucketOf splits a request into bucket name and object key, accepting
// path-style (/bucket/key) and virtual-hosted-style (Host: bucket.endpoint)
// addressing.
func bucketOf(r *http.Request, st *state) (bucketName, key string) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	path := strings.TrimPrefix(r.URL.Path, "/")
	if first, _, ok := strings.Cut(host, "."); ok && net.ParseIP(host) == nil {
		if st.Buckets[first] != nil || vhostSuffix.MatchString(host) {
			return first, path
		}
	}
	bucketName, key, _ = strings.Cut(path, "/")
	return bucketName, key
}

func routeS3(c *call) (*action, *apiError) {
	q := c.req.URL.Query()
	q.Del("x-id") // aws-sdk-go-v2 names some operations in the query string
	for _, k := range presignParams {
		q.Del(k)
	}
	var bucketName, key string
	c.e.readGlobal(func(st *state) { bucketName, key = bucketOf(c.req, st) })
	switch {
	case bucketName == "" && c.req.Method == http.MethodGet:
		c.action = "ListBuckets"
	case bucketName == "":
		c.action = "Unknown"
	case key != "" && len(q) == 0 && c.req.Method == http.MethodGet:
		c.action = "GetObject"
	case key != "" && len(q) == 0 && c.req.Method == http.MethodHead:
		c.action = "HeadObject"
	case key != "":
		c.action = "ObjectOperation"
	case c.req.Method == http.MethodGet && q.Get("list-type") == "2":
		c.action = "ListObjectsV2"
	case c.req.Method == http.MethodHead && len(q) == 0:
		c.action = "HeadBucket"
	case q.Has("location") && c.req.Method == http.MethodGet:
		c.action = "GetBucketLocation"
	case q.Has("policy"):
		c.action = map[string]string{http.MethodGet: "GetBucketPolicy", http.MethodPut: "PutBucketPolicy",
			http.MethodDelete: "DeleteBucketPolicy"}[c.req.Method]
	}
	act := s3Actions[c.action]
	if act == nil {
		if c.action == "" {
			c.action = "Unknown"
		}
		return nil, newError(http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented")
	}
	return act, nil
}

func writeS3(w http.ResponseWriter, c *call, resp *s3Response) error {
	h := w.Header()
	h.Set("x-amz-request-id", c.requestID)
	h.Set("x-amz-id-2", base64.StdEncoding.EncodeToString([]byte(c.requestID)))
	for k, v := range resp.headers {
		h.Set(k, v)
	}
	if resp.contentType != "" {
		h.Set("Content-Type", resp.contentType)
	}
	if c.req.Method == http.MethodHead || resp.status == http.StatusNoContent {
		w.WriteHeader(resp.status)
		return nil
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, err := w.Write(resp.body)
	return err
}

func writeS3Error(w http.ResponseWriter, r *http.Request, requestID string, e *apiError) {
	h := w.Header()
	h.Set("x-amz-request-id", requestID)
	h.Set("x-amz-id-2", base64.StdEncoding.EncodeToString([]byte(requestID)))
	if region := e.Fields["Region"]; region != "" {
		h.Set("x-amz-bucket-region", region)
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	var buf bytes.Buffer
	buf.WriteString(xmlHeader + "<Error><Code>")
	_ = xml.EscapeText(&buf, []byte(e.Code))
	buf.WriteString("</Code><Message>")
	_ = xml.EscapeText(&buf, []byte(e.Message))
	buf.WriteString("</Message>")
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		buf.WriteString("<" + k + ">")
		_ = xml.EscapeText(&buf, []byte(e.Fields[k]))
		buf.WriteString("</" + k + ">")
	}
	buf.WriteString("<RequestId>" + requestID + "</RequestId><HostId>" +
		base64.StdEncoding.EncodeToString([]byte(requestID)) + "</HostId></Error>")
	writeBody(w, e.Status, "application/xml", buf.Bytes())
}

var bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

func validBucketName(name string) error {
	if !bucketNamePattern.MatchString(name) || strings.Contains(name, "..") || net.ParseIP(name) != nil {
		return fmt.Errorf("%q is not a valid bucket name", name)
	}
	return nil
}

func noSuchBucket(name string) *apiError {
	return newError(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist").with("BucketName", name)
}

// ownBucket finds the request's bucket and checks that the caller's
// account owns it and signed for the bucket's region. Bucket policy APIs
// are for the bucket owner's account only ("you must ... belong to the
// bucket owner's account", GetBucketPolicy reference).
func (c *call) ownBucket() (*bucket, *apiError) {
	name, _ := bucketOf(c.req, c.st)
	b := c.st.Buckets[name]
	if b == nil {
		return nil, noSuchBucket(name)
	}
	if b.Owner != c.key.Account {
		return nil, newError(http.StatusForbidden, "AccessDenied", "Access Denied")
	}
	if err := c.checkBucketRegion(b); err != nil {
		return nil, err
	}
	return b, nil
}

func (c *call) checkBucketRegion(b *bucket) *apiError {
	if c.region == b.Region {
		return nil
	}
	return badRequest("AuthorizationHeaderMalformed",
		"The authorization header is malformed; the region '%s' is wrong; expecting '%s'", c.region, b.Region).with("Region", b.Region)
}

type s3BucketXML struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion"`
}

type listBucketsXML struct {
	XMLName           xml.Name      `xml:"ListAllMyBucketsResult"`
	Xmlns             string        `xml:"xmlns,attr"`
	OwnerID           string        `xml:"Owner>ID"`
	Owner             string        `xml:"Owner>DisplayName"`
	Buckets           []s3BucketXML `xml:"Buckets>Bucket"`
	ContinuationToken string        `xml:"ContinuationToken,omitempty"`
	Prefix            string        `xml:"Prefix,omitempty"`
}

// s3ListBuckets lists the buckets the caller's account owns, and no
// other account's: "Returns a list of all buckets owned by the
// authenticated sender of the request" (ListBuckets, S3 API reference).
// They are in name order; prefix and bucket-region filter them;
// max-buckets (1 to 10,000) pages them, with a ContinuationToken while
// more remain. Without max-buckets every bucket is returned at once, as
// AWS does for accounts within the default quota.
func s3ListBuckets(c *call) (any, error) {
	q := c.req.URL.Query()
	prefix, region := q.Get("prefix"), q.Get("bucket-region")
	limit := 0
	if v := q.Get("max-buckets"); q.Has("max-buckets") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return nil, invalidArgument("max-buckets", v, "Argument max-buckets must be an integer between 1 and 10000")
		}
		limit = n
	}
	query := c.key.Account + "|" + prefix + "|" + region
	after := ""
	if token := q.Get("continuation-token"); q.Has("continuation-token") {
		a, ok := decodeToken(token, query)
		if !ok {
			return nil, invalidArgument("continuation-token", token, "The continuation token provided is incorrect")
		}
		after = a
	}
	out := listBucketsXML{Xmlns: s3Namespace, OwnerID: canonicalID(c.key.Account), Owner: c.acct().Name, Prefix: prefix}
	for _, b := range c.st.Buckets {
		if b.Owner == c.key.Account && strings.HasPrefix(b.Name, prefix) && (region == "" || b.Region == region) && b.Name > after {
			out.Buckets = append(out.Buckets, s3BucketXML{b.Name, iamTime(b.Created), b.Region})
		}
	}
	sort.Slice(out.Buckets, func(i, j int) bool { return out.Buckets[i].Name < out.Buckets[j].Name })
	if limit > 0 && len(out.Buckets) > limit {
		out.Buckets = out.Buckets[:limit]
		out.ContinuationToken = encodeToken(out.Buckets[limit-1].Name, query)
	}
	body, err := xml.Marshal(out)
	if err != nil {
		return nil, err
	}
	return &s3Response{status: http.StatusOK, contentType: "application/xml", body: append([]byte(xmlHeader), body...)}, nil
}

// canonicalID is a stable 64-hex canonical user ID for an account.
func canonicalID(acct string) string {
	sum := sha256.Sum256([]byte("canonical-" + acct))
	return fmt.Sprintf("%x", sum)
}

// s3HeadBucket answers 200 for the owner or a principal the bucket policy
// lets s3:ListBucket, 403 otherwise, 404 for a missing bucket and 301 with
// x-amz-bucket-region when signed for another region.
func s3HeadBucket(c *call) (any, error) {
	name, _ := bucketOf(c.req, c.st)
	b := c.st.Buckets[name]
	if b == nil {
		return nil, noSuchBucket(name)
	}
	if b.Owner != c.key.Account {
		caller := iampolicy.Caller{Account: c.key.Account, ARNs: []string{c.key.ARN}}
		if c.key.RoleARN != "" {
			caller.ARNs = append(caller.ARNs, c.key.RoleARN)
		}
		caller.Partition = c.acct().partition()
		req := iampolicy.Request{Caller: caller, Action: "s3:ListBucket", Resource: s3ARN(caller.Partition, b.Name),
			Context: map[string]string{"aws:SecureTransport": "true", "aws:PrincipalAccount": c.key.Account}}
		if !iampolicy.IsAllowed(req, c.e.cachedPolicy(b.Policy)) {
			return nil, newError(http.StatusForbidden, "AccessDenied", "Access Denied")
		}
	}
	if c.region != b.Region {
		return nil, newError(http.StatusMovedPermanently, "PermanentRedirect", "The bucket is in another region").with("Region", b.Region)
	}
	return &s3Response{status: http.StatusOK, headers: map[string]string{
		"x-amz-bucket-region": b.Region, "x-amz-access-point-alias": "false"}}, nil
}

// s3GetBucketLocation answers from any region; us-east-1 is an empty
// LocationConstraint, as S3 reports it.
func s3GetBucketLocation(c *call) (any, error) {
	name, _ := bucketOf(c.req, c.st)
	b := c.st.Buckets[name]
	if b == nil {
		return nil, noSuchBucket(name)
	}
	if b.Owner != c.key.Account {
		return nil, newError(http.StatusForbidden, "AccessDenied", "Access Denied")
	}
	var buf bytes.Buffer
	buf.WriteString(xmlHeader)
	if b.Region == "us-east-1" {
		buf.WriteString(`<LocationConstraint xmlns="` + s3Namespace + `"/>`)
	} else {
		buf.WriteString(`<LocationConstraint xmlns="` + s3Namespace + `">` + b.Region + `</LocationConstraint>`)
	}
	return &s3Response{status: http.StatusOK, contentType: "application/xml", body: buf.Bytes()}, nil
}

func s3GetBucketPolicy(c *call) (any, error) {
	b, err := c.ownBucket()
	if err != nil {
		return nil, err
	}
	if b.Policy == "" {
		return nil, newError(http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist").with("BucketName", b.Name)
	}
	return &s3Response{status: http.StatusOK, contentType: "application/json", body: []byte(b.Policy)}, nil
}

func s3DeleteBucketPolicy(c *call) (any, error) {
	b, err := c.ownBucket()
	if err != nil {
		return nil, err
	}
	b.Policy = ""
	return &s3Response{status: http.StatusNoContent}, nil
}

func s3PutBucketPolicy(c *call) (any, error) {
	b, err := c.ownBucket()
	if err != nil {
		return nil, err
	}
	body, err := s3Payload(c)
	if err != nil {
		return nil, err
	}
	stored, err := checkBucketPolicy(c.st, b, string(body))
	if err != nil {
		return nil, err
	}
	b.Policy = stored
	return &s3Response{status: http.StatusNoContent}, nil
}

// s3Payload returns the request body, decoding aws-chunked uploads and
// checking the integrity headers PutBucketPolicy requires: "Content-MD5 or
// x-amz-checksum-*" (the operation is modelled with httpChecksumRequired).
func s3Payload(c *call) ([]byte, *apiError) {
	body := c.body
	sha := c.req.Header.Get("X-Amz-Content-Sha256")
	if strings.Contains(c.req.Header.Get("Content-Encoding"), "aws-chunked") || strings.HasPrefix(sha, "STREAMING-") {
		decoded, trailers, err := decodeAWSChunked(body)
		if err != nil {
			return nil, badRequest("IncompleteBody", "the aws-chunked body is malformed: %v", err)
		}
		body = decoded
		for k, v := range trailers {
			c.req.Header.Set(k, v)
		}
	}
	checked := false
	if md := c.req.Header.Get("Content-Md5"); md != "" {
		sum := md5.Sum(body)
		if base64.StdEncoding.EncodeToString(sum[:]) != md {
			return nil, badRequest("BadDigest", "The Content-MD5 you specified did not match what we received.")
		}
		checked = true
	}
	for name, h := range map[string]func() hash.Hash{
		"X-Amz-Checksum-Crc32":  func() hash.Hash { return crc32.NewIEEE() },
		"X-Amz-Checksum-Crc32c": func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
		"X-Amz-Checksum-Sha1":   sha1.New,
		"X-Amz-Checksum-Sha256": sha256.New,
	} {
		want := c.req.Header.Get(name)
		if want == "" {
			continue
		}
		d := h()
		d.Write(body)
		if base64.StdEncoding.EncodeToString(d.Sum(nil)) != want {
			return nil, badRequest("BadDigest", "The %s you specified did not match the calculated checksum.", strings.ToLower(name))
		}
		checked = true
	}
	if c.req.Header.Get("X-Amz-Checksum-Crc64nvme") != "" {
		checked = true // not verified: the standard library has no CRC-64/NVME
	}
	if !checked {
		return nil, badRequest("InvalidRequest", "Missing required header for this request: Content-MD5 OR x-amz-checksum-*")
	}
	return body, nil
}

// awsChunk is one chunk of an aws-chunked body.
type awsChunk struct {
	data      []byte
	signature string // chunk-signature, "" for unsigned chunks
}

// parseAWSChunked splits an aws-chunked body: "<hex size>[;chunk-signature=...]\r\n<data>\r\n"
// chunks ending with a zero-size chunk (returned too), optionally followed
// by trailer headers.
func parseAWSChunked(body []byte) ([]awsChunk, map[string]string, error) {
	r := bufio.NewReader(bytes.NewReader(body))
	var chunks []awsChunk
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, nil, errors.New("missing chunk header")
		}
		sizeHex, ext, _ := strings.Cut(strings.TrimSpace(line), ";")
		size, err := strconv.ParseInt(sizeHex, 16, 64)
		if err != nil || size < 0 || size > int64(len(body)) {
			return nil, nil, fmt.Errorf("bad chunk size %q", sizeHex)
		}
		ch := awsChunk{data: make([]byte, size)}
		if v, ok := strings.CutPrefix(ext, "chunk-signature="); ok {
			ch.signature = v
		}
		if _, err := io.ReadFull(r, ch.data); err != nil {
			return nil, nil, errors.New("short chunk")
		}
		chunks = append(chunks, ch)
		if size == 0 {
			break
		}
		if crlf, _ := r.ReadString('\n'); strings.TrimSpace(crlf) != "" {
			return nil, nil, errors.New("chunk not followed by CRLF")
		}
	}
	trailers := map[string]string{}
	for {
		line, err := r.ReadString('\n')
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && !strings.EqualFold(k, "x-amz-trailer-signature") {
			trailers[http.CanonicalHeaderKey(k)] = strings.TrimSpace(v)
		}
		if err != nil {
			break
		}
	}
	return chunks, trailers, nil
}

// decodeAWSChunked decodes an aws-chunked body into its data and trailers.
func decodeAWSChunked(body []byte) ([]byte, map[string]string, error) {
	chunks, trailers, err := parseAWSChunked(body)
	if err != nil {
		return nil, nil, err
	}
	var out bytes.Buffer
	for _, ch := range chunks {
		out.Write(ch.data)
	}
	return out.Bytes(), trailers, nil
}

func malformedBucketPolicy(msg string) *apiError {
	return badRequest("MalformedPolicy", "%s", msg)
}

// checkBucketPolicy validates a bucket policy as S3 does and returns it as
// S3 stores it: compact JSON in the original key order, with bare account
// IDs in principals rewritten to root ARNs.
func checkBucketPolicy(st *state, b *bucket, doc string) (string, *apiError) {
	if !strings.HasPrefix(strings.TrimSpace(doc), "{") {
		return "", malformedBucketPolicy("Policies must be valid JSON and the first byte must be '{'")
	}
	pol, err := iampolicy.Validate(doc, iampolicy.ResourceBased)
	if err != nil {
		return "", bucketPolicyProblem(err)
	}
	p := st.partitionOfAccount(b.Owner)
	for _, s := range pol.Statements {
		for _, a := range append(append([]string(nil), s.Action...), s.NotAction...) {
			if a != "*" && !strings.HasPrefix(strings.ToLower(a), "s3:") {
				return "", malformedBucketPolicy("Policy has invalid action")
			}
		}
		for _, res := range append(append([]string(nil), s.Resource...), s.NotResource...) {
			if res != s3ARN(p, b.Name) && !strings.HasPrefix(res, s3ARN(p, b.Name+"/")) {
				return "", malformedBucketPolicy("Policy has invalid resource")
			}
		}
		for _, pr := range []*iampolicy.Principal{s.Principal, s.NotPrincipal} {
			if pr == nil {
				continue
			}
			for _, id := range pr.AWS {
				if checkAWSPrincipal(st, p, id) != nil {
					return "", malformedBucketPolicy("Invalid principal in policy")
				}
			}
		}
	}
	stored, _, err := iampolicy.NormalizePrincipals(doc, p)
	if err == nil {
		stored, err = iampolicy.Compact(stored)
	}
	if err != nil {
		return "", malformedBucketPolicy("Policies must be valid JSON and the first byte must be '{'")
	}
	if len(stored) > maxBucketPolicySize {
		return "", malformedBucketPolicy("Policy exceeds the maximum allowed document size.")
	}
	return stored, nil
}

func bucketPolicyProblem(err error) *apiError {
	var perr *iampolicy.Error
	if !errors.As(err, &perr) {
		return malformedBucketPolicy("Policies must be valid JSON and the first byte must be '{'")
	}
	switch perr.Problem {
	case iampolicy.ProblemMissingPrincipal:
		return malformedBucketPolicy("Missing required field Principal")
	case iampolicy.ProblemMissingAction:
		return malformedBucketPolicy("Missing required field Action")
	case iampolicy.ProblemMissingResource:
		return malformedBucketPolicy("Missing required field Resource")
	case iampolicy.ProblemMissingStatement:
		return malformedBucketPolicy("Missing required field Statement")
	case iampolicy.ProblemActionVendor:
		return malformedBucketPolicy("Policy has invalid action")
	case iampolicy.ProblemEffect:
		return malformedBucketPolicy("Invalid effect: " + perr.Detail)
	case iampolicy.ProblemDuplicateSid:
		return malformedBucketPolicy("Statement IDs (SID) in a single policy must be unique.")
	case iampolicy.ProblemConditionOperator:
		return malformedBucketPolicy("Invalid Condition type : " + perr.Detail)
	case iampolicy.ProblemPrincipal:
		return malformedBucketPolicy("Invalid principal in policy")
	case iampolicy.ProblemVersion:
		return malformedBucketPolicy("Policy has invalid version")
	}
	return malformedBucketPolicy("Policies must be valid JSON and the first byte must be '{'")
}
