package awsemu

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// protocol is an AWS wire protocol.
type protocol int

const (
	protoEC2   protocol = iota + 1 // EC2 query: form in, XML out, <Response><Errors> errors
	protoQuery                     // IAM and STS query: form in, XML out, <ErrorResponse> errors
	protoJSON                      // awsJson1.1: X-Amz-Target, JSON in and out, __type errors
	protoS3                        // S3 REST-XML
)

// action is one API operation.
type action struct {
	fn func(*call) (any, error)
	// mutating actions take their lock for writing and trigger auto-save.
	mutating bool
	// exclusive, when set, reports whether this call must hold the
	// emulator's lock for writing, excluding every other call, though its
	// service's calls are scoped (see locks.go). Such an action marks its
	// own account-region changed for the delivery pump; its handler marks
	// them all when it writes global data.
	exclusive func(*call) bool
	// credentialsOnly marks a mutating action that changes nothing but
	// access keys, which no delivery reads: the delivery pump need not look
	// at flow logs again after it.
	credentialsOnly bool
	// pumps marks actions that read what flow logs deliver: flow logs
	// deliver what is due first (flowlog_delivery.go).
	pumps bool
	// params are the top-level query parameters the action accepts (EC2
	// only; AWS answers UnknownParameter for others). Action, Version and
	// presigning parameters are always accepted.
	params []string
}

// service is one emulated AWS service.
type service struct {
	// name is the SigV4 signing name: ec2, iam, sts, logs, s3, firehose, organizations.
	name     string
	protocol protocol
	// namespace is the XML namespace of query responses.
	namespace string
	// targetPrefix is the X-Amz-Target prefix of JSON services.
	targetPrefix string
	// messageKey is the JSON error message member ("message" or "Message").
	messageKey string
	// global services count and throttle under region "global".
	global bool
	// scoped services read and write the caller's account-region, under its
	// scope lock (locks.go); the others' calls lock global data.
	scoped  bool
	actions map[string]*action
}

var services = map[string]*service{
	"ec2":           {name: "ec2", protocol: protoEC2, scoped: true, actions: ec2Actions},
	"iam":           {name: "iam", protocol: protoQuery, namespace: iamNamespace, global: true, actions: iamActions},
	"sts":           {name: "sts", protocol: protoQuery, namespace: stsNamespace, actions: stsActions},
	"logs":          {name: "logs", protocol: protoJSON, targetPrefix: "Logs_20140328", messageKey: "message", scoped: true, actions: logsActions},
	"firehose":      {name: "firehose", protocol: protoJSON, targetPrefix: "Firehose_20150804", messageKey: "message", scoped: true, actions: firehoseActions},
	"organizations": {name: "organizations", protocol: protoJSON, targetPrefix: "AWSOrganizationsV20161128", messageKey: "Message", global: true, actions: orgActions},
	"s3":            {name: "s3", protocol: protoS3, global: true},
}

// presignParams are query parameters of presigned requests, never action parameters.
var presignParams = []string{"Action", "Version", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
	"X-Amz-Expires", "X-Amz-Security-Token", "X-Amz-Signature", "X-Amz-SignedHeaders"}

// route finds the action a request asks for and decodes its parameters.
func (s *service) route(c *call) (*action, *apiError) {
	switch s.protocol {
	case protoEC2, protoQuery:
		return s.routeQuery(c)
	case protoJSON:
		return s.routeJSON(c)
	default:
		return routeS3(c)
	}
}

func (s *service) routeQuery(c *call) (*action, *apiError) {
	values := c.req.URL.Query()
	if len(c.body) > 0 {
		body, err := url.ParseQuery(string(c.body))
		if err != nil {
			return nil, badRequest("MalformedQueryString", "the request body is not a URL-encoded form: %v", err)
		}
		for k, v := range body {
			values[k] = v
		}
	}
	c.form = parseForm(values)
	c.action = c.form.str("Action")
	if c.action == "" {
		return nil, badRequest("MissingAction", "The request must contain the parameter Action")
	}
	act := s.actions[c.action]
	if act == nil {
		if s.protocol == protoEC2 {
			return nil, badRequest("InvalidAction", "The action %s is not valid for this web service.", c.action)
		}
		return nil, badRequest("InvalidAction", "Could not find operation %s for version %s", c.action, values.Get("Version"))
	}
	if s.protocol == protoEC2 {
		for _, k := range c.form.topKeys() {
			if !slices.Contains(act.params, k) && !slices.Contains(presignParams, k) {
				return nil, badRequest("UnknownParameter", "The parameter %s is not recognized", k)
			}
		}
	}
	return act, nil
}

func (s *service) routeJSON(c *call) (*action, *apiError) {
	target := c.req.Header.Get("X-Amz-Target")
	prefix, name, ok := strings.Cut(target, ".")
	c.action = name
	if !ok || prefix != s.targetPrefix || s.actions[name] == nil {
		if name == "" {
			c.action = target
		}
		return nil, badRequest("UnknownOperationException", "")
	}
	body := bytes.TrimSpace(c.body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, badRequest("SerializationException", "the request body is not a JSON object: %v", err)
	}
	c.body = body
	return s.actions[name], nil
}

// writeResponse encodes a successful result in the service's protocol.
func (s *service) writeResponse(w http.ResponseWriter, c *call, resp any) error {
	switch s.protocol {
	case protoEC2:
		return writeEC2(w, c.action, c.requestID, resp)
	case protoQuery:
		return writeQuery(w, s.namespace, c.action, c.requestID, resp)
	case protoJSON:
		return writeJSON(w, c.requestID, resp)
	default:
		return writeS3(w, c, resp.(*s3Response))
	}
}

// writeError encodes an error in the service's protocol.
func (s *service) writeError(w http.ResponseWriter, c *call, e *apiError) {
	switch s.protocol {
	case protoEC2:
		writeEC2Error(w, c.requestID, e)
	case protoQuery:
		writeQueryError(w, s.namespace, c.requestID, e)
	case protoJSON:
		writeJSONError(w, c.requestID, s.messageKey, e)
	default:
		writeS3Error(w, c.req, c.requestID, e)
	}
}

// authFailure is why known-shaped credentials were refused.
type authFailure int

const (
	authUnknownKey authFailure = iota + 1
	authBadToken
	authExpired
	authRegion
)

// authError is each protocol's answer to refused credentials.
func (s *service) authError(f authFailure) *apiError {
	switch s.protocol {
	case protoEC2:
		if f == authExpired {
			return newError(http.StatusBadRequest, "RequestExpired", "Request has expired.")
		}
		return newError(http.StatusUnauthorized, "AuthFailure", "AWS was not able to validate the provided access credentials")
	case protoQuery:
		if f == authExpired {
			return newError(http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired")
		}
		return newError(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
	case protoJSON:
		if f == authExpired {
			return badRequest("ExpiredTokenException", "The security token included in the request is expired")
		}
		return badRequest("UnrecognizedClientException", "The security token included in the request is invalid.")
	default:
		switch f {
		case authExpired:
			return badRequest("ExpiredToken", "The provided token has expired.")
		case authBadToken:
			return badRequest("InvalidToken", "The provided token is malformed or otherwise invalid.")
		}
		return newError(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	}
}

// writeUnroutedError answers a request whose service is unknown because its
// authorization is missing or malformed, guessing the protocol from the
// request's shape.
func writeUnroutedError(w http.ResponseWriter, r *http.Request, requestID string, p authProblem, msg string) {
	missing := p == authMissing
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		code := "IncompleteSignatureException"
		if missing {
			code = "MissingAuthenticationTokenException"
		}
		writeJSONError(w, requestID, "message", badRequest(code, "%s", msg))
	case r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		if missing {
			writeQueryError(w, iamNamespace, requestID, newError(http.StatusForbidden, "MissingAuthenticationToken", "%s", msg))
			return
		}
		writeQueryError(w, iamNamespace, requestID, badRequest("IncompleteSignature", "%s", msg))
	default:
		if missing {
			writeS3Error(w, r, requestID, newError(http.StatusForbidden, "AccessDenied", "Access Denied"))
			return
		}
		writeS3Error(w, r, requestID, badRequest("AuthorizationHeaderMalformed", "%s", msg))
	}
}

// decodeJSON unmarshals a JSON request body into v.
func (c *call) decodeJSON(v any) *apiError {
	if err := json.Unmarshal(c.body, v); err != nil {
		return badRequest("SerializationException", "%v", err)
	}
	return nil
}
