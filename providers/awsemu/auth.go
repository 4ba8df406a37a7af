package awsemu

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sigv4 is what the emulator reads from a request's Signature Version 4
// authorization: the credential scope routes the request, and the rest is
// what verifySignature (sigv4.go) needs to recompute the signature with the
// key's secret.
type sigv4 struct {
	AccessKeyID   string
	Date          string // yyyymmdd from the scope
	Region        string
	Service       string
	SignedHeaders []string
	SessionToken  string
	// Signature is the 64-hex signature the client sent.
	Signature string
	// AmzDate is X-Amz-Date as sent (yyyymmddThhmmssZ) and Time its value.
	AmzDate string
	Time    time.Time
	// Presigned is true for query-string authentication; Expires is then
	// X-Amz-Expires in seconds (0 when absent).
	Presigned bool
	Expires   int
}

var (
	scopeDate = regexp.MustCompile(`^\d{8}$`)
	hexSig    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	amzDate   = regexp.MustCompile(`^\d{8}T\d{6}Z$`)
)

// amzDateLayout is X-Amz-Date's ISO 8601 basic format.
const amzDateLayout = "20060102T150405Z"

// authProblem says why a request's authorization was refused.
type authProblem int

const (
	authMissing authProblem = iota + 1
	authMalformed
)

// parseAuth reads the Authorization header, or the X-Amz-* query parameters
// of a presigned request.
func parseAuth(r *http.Request) (*sigv4, authProblem, string) {
	header := r.Header.Get("Authorization")
	q := r.URL.Query()
	var credential, signedHeaders, signature, date, expires string
	presigned := false
	switch {
	case header != "":
		algo, rest, _ := strings.Cut(header, " ")
		if algo != "AWS4-HMAC-SHA256" {
			return nil, authMalformed, "Authorization header uses algorithm " + algo + ", not AWS4-HMAC-SHA256"
		}
		for _, part := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "Credential":
				credential = v
			case "SignedHeaders":
				signedHeaders = v
			case "Signature":
				signature = v
			}
		}
		date = r.Header.Get("X-Amz-Date")
		if date == "" {
			date = r.Header.Get("Date")
		}
	case q.Get("X-Amz-Algorithm") != "":
		if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
			return nil, authMalformed, "X-Amz-Algorithm must be AWS4-HMAC-SHA256"
		}
		credential, signedHeaders, signature, date = q.Get("X-Amz-Credential"),
			q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"), q.Get("X-Amz-Date")
		expires, presigned = q.Get("X-Amz-Expires"), true
	default:
		return nil, authMissing, "Request is missing Authentication Token"
	}
	parts := strings.Split(credential, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" || parts[2] == "" || parts[3] == "" {
		return nil, authMalformed, "Credential must have the form AKID/yyyymmdd/region/service/aws4_request, got '" + credential + "'"
	}
	if !scopeDate.MatchString(parts[1]) {
		return nil, authMalformed, "Credential scope date '" + parts[1] + "' is not yyyymmdd"
	}
	if !hexSig.MatchString(signature) {
		return nil, authMalformed, "Signature must be 64 lower-case hex digits"
	}
	headers := strings.Split(signedHeaders, ";")
	if !slices.Contains(headers, "host") {
		return nil, authMalformed, "SignedHeaders must include host"
	}
	signedAt, err := time.Parse(amzDateLayout, date)
	if !amzDate.MatchString(date) || err != nil || !strings.HasPrefix(date, parts[1]) {
		return nil, authMalformed, "X-Amz-Date '" + date + "' is missing, malformed or does not match the credential scope date " + parts[1]
	}
	seconds := 0
	if expires != "" {
		// "Minimum value of 1. Maximum value of 604800" (S3's
		// query-string authentication reference); other services take the
		// same parameter in presigned URLs.
		n, err := strconv.Atoi(expires)
		if err != nil || n < 1 || n > 604800 {
			return nil, authMalformed, "X-Amz-Expires must be a number of seconds from 1 to 604800 (a week), got '" + expires + "'"
		}
		seconds = n
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if token == "" {
		token = q.Get("X-Amz-Security-Token")
	}
	return &sigv4{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3],
		SignedHeaders: headers, SessionToken: token, Signature: signature, AmzDate: date, Time: signedAt,
		Presigned: presigned, Expires: seconds}, 0, ""
}
