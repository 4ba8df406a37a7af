package awsemu

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/flowplan/flowplan/providers/awsemu/iampolicy"
)

// Objects exist only where flow logs delivered them (flowlog_delivery.go):
// the emulator has no PutObject. Reading them follows S3's rules for the
// bucket owner and, for other accounts, the bucket policy, as HeadBucket
// does: the caller's own IAM policies are not evaluated for S3.

// readableBucket finds the request's bucket and checks that the caller
// may perform action on resource: its account owns the bucket, or the
// bucket policy allows it. A request signed for another region is refused
// as S3 refuses it.
func (c *call) readableBucket(action, resource string) (*bucket, *apiError) {
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
		req := iampolicy.Request{Caller: caller, Action: action, Resource: resource,
			Context: map[string]string{"aws:SecureTransport": "true", "aws:PrincipalAccount": c.key.Account}}
		if !iampolicy.IsAllowed(req, c.e.cachedPolicy(b.Policy)) {
			return nil, newError(http.StatusForbidden, "AccessDenied", "Access Denied")
		}
	}
	if err := c.checkBucketRegion(b); err != nil {
		return nil, err
	}
	return b, nil
}

func invalidArgument(name, value, format string, args ...any) *apiError {
	return badRequest("InvalidArgument", format, args...).with("ArgumentName", name).with("ArgumentValue", value)
}

type s3ContentXML struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int    `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
	Owner        *struct {
		ID string `xml:"ID"`
	} `xml:"Owner,omitempty"`
}

type s3PrefixXML struct {
	Prefix string `xml:"Prefix"`
}

type listObjectsV2XML struct {
	XMLName               xml.Name       `xml:"ListBucketResult"`
	Xmlns                 string         `xml:"xmlns,attr"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
	KeyCount              int            `xml:"KeyCount"`
	MaxKeys               int            `xml:"MaxKeys"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	IsTruncated           bool           `xml:"IsTruncated"`
	Contents              []s3ContentXML `xml:"Contents"`
	CommonPrefixes        []s3PrefixXML  `xml:"CommonPrefixes"`
}

func etag(body []byte) string {
	sum := md5.Sum(body)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// s3ListObjectsV2 lists keys in UTF-8 order. With a delimiter, keys that
// share a prefix up to the delimiter after the request's prefix roll up
// into one CommonPrefixes entry; max-keys (at most 1,000, the default)
// counts keys and common prefixes alike, as KeyCount does. A continuation
// token names the last entry returned; start-after applies when there is
// none.
func s3ListObjectsV2(c *call) (any, error) {
	q := c.req.URL.Query()
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	maxKeys := 1000
	if v := q.Get("max-keys"); q.Has("max-keys") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, invalidArgument("max-keys", v, "Provided max-keys not an integer or within integer range")
		}
		maxKeys = min(n, 1000)
	}
	encoding := q.Get("encoding-type")
	if q.Has("encoding-type") && encoding != "url" {
		return nil, invalidArgument("encoding-type", encoding, "Invalid Encoding Method specified in Request")
	}
	name, _ := bucketOf(c.req, c.st)
	b, err := c.readableBucket("s3:ListBucket", s3ARN(c.st.partitionOfAccount(c.key.Account), name))
	if err != nil {
		return nil, err
	}
	query := c.queryHash() + "|" + b.Name + "|" + prefix + "|" + delim
	// after is the last key returned; afterPrefix the last common prefix,
	// whose keys were rolled up and are skipped.
	after, afterPrefix := q.Get("start-after"), ""
	if token := q.Get("continuation-token"); q.Has("continuation-token") {
		a, ok := decodeToken(token, query)
		if !ok {
			return nil, invalidArgument("continuation-token", token, "The continuation token provided is incorrect")
		}
		after = a[1:]
		if a[0] == 'P' {
			afterPrefix = after
		}
	}
	keys := make([]string, 0, len(b.Objects))
	for k := range b.Objects {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := listObjectsV2XML{Xmlns: s3Namespace, Name: b.Name, Prefix: prefix, MaxKeys: maxKeys, Delimiter: delim,
		ContinuationToken: q.Get("continuation-token"), StartAfter: q.Get("start-after"), EncodingType: encoding}
	enc := func(s string) string {
		if encoding == "url" {
			return strings.ReplaceAll(url.QueryEscape(s), "%2F", "/")
		}
		return s
	}
	last, lastIsPrefix := "", false
	for _, k := range keys {
		if k <= after || (afterPrefix != "" && strings.HasPrefix(k, afterPrefix)) {
			continue
		}
		entry, isPrefix := k, false
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				entry, isPrefix = k[:len(prefix)+i+len(delim)], true
			}
		}
		if isPrefix && entry == last {
			continue
		}
		if out.KeyCount == maxKeys {
			// max-keys=0 asks for no entries; there is no position to go on from.
			if maxKeys > 0 {
				out.IsTruncated = true
				mark := "K"
				if lastIsPrefix {
					mark = "P"
				}
				out.NextContinuationToken = encodeToken(mark+last, query)
			}
			break
		}
		if isPrefix {
			out.CommonPrefixes = append(out.CommonPrefixes, s3PrefixXML{enc(entry)})
		} else {
			o := b.Objects[k]
			item := s3ContentXML{Key: enc(k), LastModified: ec2Time(o.LastModified), ETag: etag(o.Body), Size: len(o.Body),
				StorageClass: "STANDARD"}
			if q.Get("fetch-owner") == "true" {
				item.Owner = &struct {
					ID string `xml:"ID"`
				}{canonicalID(b.Owner)}
			}
			out.Contents = append(out.Contents, item)
		}
		out.KeyCount++
		last, lastIsPrefix = entry, isPrefix
	}
	body, merr := xml.Marshal(out)
	if merr != nil {
		return nil, merr
	}
	return &s3Response{status: http.StatusOK, contentType: "application/xml", body: append([]byte(xmlHeader), body...)}, nil
}

// s3GetObject serves GetObject and HeadObject. Ranged reads are not
// modelled: a Range header is refused rather than ignored.
func s3GetObject(c *call) (any, error) {
	name, key := bucketOf(c.req, c.st)
	b, err := c.readableBucket("s3:GetObject", s3ARN(c.st.partitionOfAccount(c.key.Account), name+"/"+key))
	if err != nil {
		return nil, err
	}
	o := b.Objects[key]
	if o == nil {
		return nil, newError(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.").with("Key", key)
	}
	if c.req.Header.Get("Range") != "" {
		return nil, newError(http.StatusNotImplemented, "NotImplemented", "the emulator does not serve ranged GetObject requests")
	}
	headers := map[string]string{
		"ETag":           etag(o.Body),
		"Last-Modified":  o.LastModified.UTC().Format(http.TimeFormat),
		"Accept-Ranges":  "bytes",
		"Content-Length": strconv.Itoa(len(o.Body)),
	}
	return &s3Response{status: http.StatusOK, headers: headers, contentType: o.ContentType, body: o.Body}, nil
}
