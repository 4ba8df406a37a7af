package awsemu

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// sigv4 is what the emulator reads from a request's Signature Version 4
// authorization: the credential scope routes the request. The signature is
// checked for shape only; its HMAC is not verified, because the emulator is
// a test bed and its secrets are not secret. A client that signs wrongly
// therefore passes here and fails on AWS.
type sigv4 struct {
	AccessKeyID   string
	Date          string // yyyymmdd from the scope
	Region        string
	Service       string
	SignedHeaders []string
	SessionToken  string
}

var (
	scopeDate = regexp.MustCompile(`^\d{8}$`)
	hexSig    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	amzDate   = regexp.MustCompile(`^\d{8}T\d{6}Z$`)
)

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
	var credential, signedHeaders, signature, date string
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
	if !amzDate.MatchString(date) || !strings.HasPrefix(date, parts[1]) {
		return nil, authMalformed, "X-Amz-Date '" + date + "' is missing, malformed or does not match the credential scope date " + parts[1]
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if token == "" {
		token = q.Get("X-Amz-Security-Token")
	}
	return &sigv4{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3],
		SignedHeaders: headers, SessionToken: token}, 0, ""
}
