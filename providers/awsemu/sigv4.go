package awsemu

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/logging"
)

// Signature Version 4 verification. The emulator recomputes every request's
// signature with the access key's secret, using aws-sdk-go-v2's own signer
// over the request as it was received: the method, the path and query, the
// headers the client listed in SignedHeaders with the values that arrived,
// and the payload hash. A request whose signature does not match, or whose
// signing time is more than 15 minutes from the emulator's clock, is refused
// with each service's own error, as AWS refuses it.
//
// The payload hash is the SHA-256 of the body, except for S3, which signs
// the x-amz-content-sha256 header's value: the body's hash (checked against
// the body), UNSIGNED-PAYLOAD, or one of the STREAMING-* values of chunked
// uploads. For STREAMING-AWS4-HMAC-SHA256-PAYLOAD (and its -TRAILER form)
// every chunk's chunk-signature is verified too, with the SDK's stream
// signer; the signature of a signed trailer (-TRAILER) is not verified:
// neither aws-sdk-go-v2 nor botocore sends one. Presigned requests
// (X-Amz-Signature in the query) are verified the same way, and expire
// X-Amz-Expires seconds after X-Amz-Date.

// maxRequestSkew is how far a signing time may be from the emulator's
// clock: RequestExpired is "The request reached the service more than 15
// minutes after the date stamp on the request or more than 15 minutes after
// the request expiration date (such as for pre-signed URLs), or the date
// stamp on the request is more than 15 minutes in the future" (Common
// Errors, every query API reference), and S3's RequestTimeTooSkewed carries
// MaxAllowedSkewMilliseconds 900000.
const maxRequestSkew = 15 * time.Minute

// sigProblem is why a well-formed signature was refused.
type sigProblem int

const (
	sigMismatch sigProblem = iota + 1
	// sigExpired: signed more than 15 minutes before the emulator's clock,
	// or a presigned request past its X-Amz-Expires.
	sigExpired
	// sigNotYetValid: signed more than 15 minutes after the emulator's clock.
	sigNotYetValid
	// sigContentSHAMismatch: S3's x-amz-content-sha256 is not the body's hash.
	sigContentSHAMismatch
	// sigMissingContentSHA: S3 header authentication without x-amz-content-sha256.
	sigMissingContentSHA
	// sigChunkMismatch: a chunk of a signed aws-chunked body has a wrong signature.
	sigChunkMismatch
)

// sigFailure is a refused signature with what the error messages need.
type sigFailure struct {
	problem sigProblem
	// bound is the time limit the request crossed (sigExpired, sigNotYetValid).
	bound time.Time
	// canonicalRequest and stringToSign are what the emulator computed
	// (sigMismatch), for S3's error body.
	canonicalRequest, stringToSign string
}

const (
	unsignedPayload  = "UNSIGNED-PAYLOAD"
	streamingSigned  = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
)

// verifySignature checks the request's signing time and recomputes its
// signature with secret. c.bodySHA is the SHA-256 of the body as received.
func verifySignature(c *call, sig *sigv4, secret string) *sigFailure {
	if f := checkSigningTime(sig, c.e.signingNow(c.now)); f != nil {
		return f
	}
	payload, f := payloadHash(c, sig)
	if f != nil {
		return f
	}
	creds := aws.Credentials{AccessKeyID: sig.AccessKeyID, SecretAccessKey: secret}
	got, _, _ := recomputeSignature(c.req, sig, creds, payload, false)
	if !hmac.Equal([]byte(got), []byte(sig.Signature)) {
		_, canonical, toSign := recomputeSignature(c.req, sig, creds, payload, true)
		return &sigFailure{problem: sigMismatch, canonicalRequest: canonical, stringToSign: toSign}
	}
	if payload == streamingSigned || payload == streamingTrailer {
		if !chunkSignaturesMatch(c.body, sig, creds) {
			return &sigFailure{problem: sigChunkMismatch}
		}
	}
	return nil
}

func checkSigningTime(sig *sigv4, now time.Time) *sigFailure {
	if sig.Presigned && sig.Expires > 0 {
		if end := sig.Time.Add(time.Duration(sig.Expires) * time.Second); now.After(end) {
			return &sigFailure{problem: sigExpired, bound: end}
		}
	} else if now.Sub(sig.Time) > maxRequestSkew {
		return &sigFailure{problem: sigExpired, bound: now.Add(-maxRequestSkew)}
	}
	if sig.Time.Sub(now) > maxRequestSkew {
		return &sigFailure{problem: sigNotYetValid, bound: now.Add(maxRequestSkew)}
	}
	return nil
}

// payloadHash is the last line of the canonical request.
func payloadHash(c *call, sig *sigv4) (string, *sigFailure) {
	if c.svc.protocol != protoS3 {
		return c.bodySHA, nil
	}
	h := c.req.Header.Get("X-Amz-Content-Sha256")
	if h == "" && sig.Presigned {
		h = c.req.URL.Query().Get("X-Amz-Content-Sha256")
	}
	switch {
	case h == "" && sig.Presigned:
		// Presigned URLs sign UNSIGNED-PAYLOAD ("Authenticating Requests:
		// Using Query Parameters", S3 API reference).
		return unsignedPayload, nil
	case h == "":
		return "", &sigFailure{problem: sigMissingContentSHA}
	case h == unsignedPayload || strings.HasPrefix(h, "STREAMING-"):
		return h, nil
	case h != c.bodySHA:
		return "", &sigFailure{problem: sigContentSHAMismatch}
	}
	return h, nil
}

// verifier is the one signer all verifications share, so that its cache of
// derived signing keys (per key, date, region and service) is reused; the
// SDK's signer is safe for concurrent use.
var verifier = v4.NewSigner()

// recomputeSignature signs a copy of the request as received with creds
// and returns the signature; with explain it also returns the canonical
// request and string to sign the SDK's signer built.
func recomputeSignature(r *http.Request, sig *sigv4, creds aws.Credentials, payload string, explain bool) (signature, canonical, stringToSign string) {
	path, rawQuery := requestTarget(r)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	if sig.Presigned {
		q, _ := url.ParseQuery(rawQuery)
		q.Del("X-Amz-Signature")
		rawQuery = q.Encode()
	}
	vr := &http.Request{
		Method: r.Method,
		URL:    &url.URL{Scheme: scheme, Host: host, Opaque: "//" + host + path, RawQuery: rawQuery},
		Host:   host,
		Header: http.Header{},
	}
	for _, name := range sig.SignedHeaders {
		switch name {
		case "host":
			continue
		case "content-length":
			// The signer signs the length itself when it is positive.
			vr.ContentLength = r.ContentLength
			if n, err := strconv.ParseInt(r.Header.Get("Content-Length"), 10, 64); err == nil {
				vr.ContentLength = n
			}
			continue
		}
		if vals := r.Header.Values(name); len(vals) > 0 {
			vr.Header[http.CanonicalHeaderKey(name)] = slices.Clone(vals)
		}
	}
	var log signingLog
	opts := func(o *v4.SignerOptions) {
		o.DisableURIPathEscaping = sig.Service == "s3"
		o.DisableHeaderHoisting = true
		// The session token, when signed, is one of the copied headers
		// (or query parameters); the signer must not add its own.
		o.DisableSessionToken = true
		if explain {
			o.LogSigning, o.Logger = true, &log
		}
	}
	signer := verifier
	if sig.Presigned {
		signed, _, err := signer.PresignHTTP(context.Background(), creds, vr, payload, sig.Service, sig.Region, sig.Time, opts)
		if err != nil {
			return "", "", ""
		}
		if u, err := url.Parse(signed); err == nil {
			signature = u.Query().Get("X-Amz-Signature")
		}
	} else {
		if err := signer.SignHTTP(context.Background(), creds, vr, payload, sig.Service, sig.Region, sig.Time, opts); err != nil {
			return "", "", ""
		}
		_, signature, _ = strings.Cut(vr.Header.Get("Authorization"), "Signature=")
	}
	canonical, stringToSign = log.parts()
	return signature, canonical, stringToSign
}

// requestTarget returns the escaped path and raw query exactly as the
// client sent them in the request line.
func requestTarget(r *http.Request) (path, rawQuery string) {
	target := r.RequestURI
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
		if u, err := url.Parse(target); err == nil {
			return cmp.Or(u.EscapedPath(), "/"), u.RawQuery
		}
	}
	if target == "" {
		return cmp.Or(r.URL.EscapedPath(), "/"), r.URL.RawQuery
	}
	path, rawQuery, _ = strings.Cut(target, "?")
	return cmp.Or(path, "/"), rawQuery
}

// signingLog captures the signer's debug log of one signing, which holds
// the canonical request and the string to sign.
type signingLog struct{ text string }

func (l *signingLog) Logf(_ logging.Classification, format string, v ...any) {
	l.text = fmt.Sprintf(format, v...)
}

func (l *signingLog) parts() (canonical, stringToSign string) {
	const (
		canonicalMark = "---[ CANONICAL STRING  ]-----------------------------\n"
		toSignMark    = "\n---[ STRING TO SIGN ]--------------------------------\n"
		endMark       = "\n-----------------------------------------------------"
	)
	_, rest, ok := strings.Cut(l.text, canonicalMark)
	if !ok {
		return "", ""
	}
	canonical, rest, _ = strings.Cut(rest, toSignMark)
	stringToSign, _, _ = strings.Cut(rest, endMark)
	return canonical, stringToSign
}

// chunkSignaturesMatch verifies the chunk-signature of every chunk of a
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD body: each signs the previous
// signature (the seed is the request's) and the chunk's SHA-256, which is
// what the SDK's stream signer computes for a message without headers.
func chunkSignaturesMatch(body []byte, sig *sigv4, creds aws.Credentials) bool {
	chunks, _, err := parseAWSChunked(body)
	if err != nil {
		// A malformed body is S3's IncompleteBody, answered by the action.
		return true
	}
	seed, err := hex.DecodeString(sig.Signature)
	if err != nil {
		return false
	}
	ss := v4.NewStreamSigner(creds, sig.Service, sig.Region, seed)
	for _, ch := range chunks {
		want, err := ss.GetSignature(context.Background(), nil, ch.data, sig.Time)
		if err != nil || !hmac.Equal([]byte(hex.EncodeToString(want)), []byte(ch.signature)) {
			return false
		}
	}
	return true
}

// bodySHA256 is the hex SHA-256 of a request body.
func bodySHA256(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// signatureError is each protocol's answer to a refused signature.
func (s *service) signatureError(f *sigFailure, sig *sigv4, now time.Time) *apiError {
	const mismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	// The wording of expired and future signatures is the one the IAM user
	// guide's "Troubleshoot signed requests" page quotes.
	var timeMsg string
	switch f.problem {
	case sigExpired:
		timeMsg = fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			sig.AmzDate, f.bound.Format(amzDateLayout), now.Format(amzDateLayout))
		if sig.Presigned && sig.Expires > 0 {
			timeMsg = fmt.Sprintf("Signature expired: %s is now earlier than %s (%s + %d sec.)",
				f.bound.Format(amzDateLayout), now.Format(amzDateLayout), sig.AmzDate, sig.Expires)
		}
	case sigNotYetValid:
		timeMsg = fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			sig.AmzDate, f.bound.Format(amzDateLayout), now.Format(amzDateLayout))
	}
	switch s.protocol {
	case protoEC2:
		// EC2's error codes page: AuthFailure "The provided credentials
		// could not be validated ... Ensure that your request is properly
		// signed". For a signing time more than 15 minutes off, the Common
		// Errors page names RequestExpired, but EC2 answers AuthFailure
		// (401), which is why the SDKs' clock-skew correction lists
		// AuthFailure (aws-sdk-java#519: "I changed my system time then
		// call AWS EC2 API and it returns AuthFailure"); RequestExpired is
		// what EC2 says of expired credentials. The emulator follows EC2.
		return newError(http.StatusUnauthorized, "AuthFailure", "AWS was not able to validate the provided access credentials")
	case protoQuery:
		// IAM and STS answer both with SignatureDoesNotMatch (403).
		return newError(http.StatusForbidden, "SignatureDoesNotMatch", "%s", cmp.Or(timeMsg, mismatch))
	case protoJSON:
		return badRequest("InvalidSignatureException", "%s", cmp.Or(timeMsg, mismatch))
	}
	switch f.problem {
	case sigExpired, sigNotYetValid:
		if sig.Presigned && sig.Expires > 0 && f.problem == sigExpired {
			return newError(http.StatusForbidden, "AccessDenied", "Request has expired").
				with("X-Amz-Expires", strconv.Itoa(sig.Expires)).
				with("Expires", f.bound.Format(time.RFC3339)).
				with("ServerTime", now.Format(time.RFC3339))
		}
		return newError(http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.").
			with("RequestTime", sig.AmzDate).
			with("ServerTime", now.Format(time.RFC3339)).
			with("MaxAllowedSkewMilliseconds", strconv.Itoa(int(maxRequestSkew/time.Millisecond)))
	case sigContentSHAMismatch:
		return badRequest("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
	case sigMissingContentSHA:
		return badRequest("InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
	case sigChunkMismatch:
		return newError(http.StatusForbidden, "SignatureDoesNotMatch", "The chunk signature we calculated does not match the signature you provided.").
			with("AWSAccessKeyId", sig.AccessKeyID)
	}
	return newError(http.StatusForbidden, "SignatureDoesNotMatch", "%s", mismatch).
		with("AWSAccessKeyId", sig.AccessKeyID).
		with("StringToSign", f.stringToSign).
		with("SignatureProvided", sig.Signature).
		with("CanonicalRequest", f.canonicalRequest)
}
