package awsemu

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
)

// HTTPClient returns an HTTP client that serves every request in process,
// without a socket: the CLI's --sandbox mode points the SDK at any
// BaseEndpoint (for example http://sandbox.awsemu) and uses this client.
//
// It also sidesteps a client-side race seen with aws-sdk-go-v2 v1.48 /
// smithy-go v1.28.9 over real sockets: the SDK closes the request body as
// soon as RoundTrip returns, and when a local server answers fast enough
// net/http treats that as a write error and closes the connection while the
// response body is still being read ("use of closed network connection";
// about 4% of 6 KB responses, more under -race). emutest's transport avoids
// it for socket tests by handing net/http its own copy of the body.
func (e *Emulator) HTTPClient() *http.Client {
	return &http.Client{Transport: inProcess{e}}
}

// errInjectedReset is what an in-process client sees for a connection reset.
var errInjectedReset = errors.New("awsemu: connection reset by peer (injected fault)")

type inProcess struct{ e *Emulator }

// resetRecorder records a response, or that the connection was dropped.
type resetRecorder struct {
	*httptest.ResponseRecorder
	dropped bool
}

func (r *resetRecorder) dropConnection() { r.dropped = true }

func (t inProcess) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	var body []byte
	if req.Body != nil {
		body, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("awsemu: read request body: %w", err)
		}
	}
	in := req.Clone(req.Context())
	in.Body = io.NopCloser(bytes.NewReader(body))
	in.ContentLength = int64(len(body))
	in.RequestURI = req.URL.RequestURI()
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	rec := &resetRecorder{ResponseRecorder: httptest.NewRecorder()}
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, fmt.Errorf("awsemu: %s %s: handler failed: %v", req.Method, req.URL, p)
		}
	}()
	t.e.ServeHTTP(rec, in)
	if rec.dropped {
		return nil, errInjectedReset
	}
	out := rec.Result()
	out.Request = req
	return out, nil
}
