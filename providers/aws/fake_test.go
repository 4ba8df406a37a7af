package aws

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

// fakeEC2 is a scripted EC2 query-protocol endpoint for the behaviours an
// emulator cannot be made to show on demand: it answers each request with
// the script's reply and records the requests.
type fakeEC2 struct {
	mu       sync.Mutex
	requests []url.Values
	script   func(action string, form url.Values, n int) (status int, body string)
	counts   map[string]int
	// inFlight and maxInFlight measure concurrency; delay holds each
	// request so that concurrent ones overlap.
	inFlight, maxInFlight int
	delay                 time.Duration
}

func newFakeEC2(t testing.TB, script func(action string, form url.Values, n int) (int, string)) (*fakeEC2, string) {
	f := &fakeEC2{script: script, counts: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeEC2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	action := form.Get("Action")
	if action == "GetCallerIdentity" {
		// An account without assume_role is worked on only when the
		// starting credentials belong to it; the fake's tests use 123456789012.
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, callerIdentityReply)
		return
	}
	if action == "DescribeRegions" {
		// Every account-region's discovery first asks, once per account,
		// which regions the account has enabled; scripts need not answer.
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, describeRegionsReply)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, form)
	f.counts[action]++
	n := f.counts[action]
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.mu.Unlock()
	time.Sleep(f.delay)
	status, reply := f.script(action, form, n)
	f.mu.Lock()
	f.inFlight--
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	io.WriteString(w, reply)
}

func (f *fakeEC2) requestsFor(action string) []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []url.Values
	for _, r := range f.requests {
		if r.Get("Action") == action {
			out = append(out, r)
		}
	}
	return out
}

// callerIdentityReply is STS's answer for credentials in 123456789012.
const callerIdentityReply = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
	`<Arn>arn:aws:iam::123456789012:user/test</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>` +
	`</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`

// describeRegionsReply lists the regions the fake EC2 enables.
const describeRegionsReply = `<DescribeRegionsResponse><requestId>r</requestId><regionInfo>` +
	`<item><regionName>eu-west-1</regionName><regionEndpoint>ec2.eu-west-1.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>` +
	`<item><regionName>us-east-1</regionName><regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>` +
	`<item><regionName>us-west-2</regionName><regionEndpoint>ec2.us-west-2.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>` +
	`</regionInfo></DescribeRegionsResponse>`

func ec2Error(code, msg string) string {
	return fmt.Sprintf(`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>r</RequestID></Response>`, code, msg)
}

func createFlowLogsReply(ids []string, unsuccessful map[string][2]string) string {
	s := `<CreateFlowLogsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><flowLogIdSet>`
	for _, id := range ids {
		s += "<item>" + id + "</item>"
	}
	s += `</flowLogIdSet><unsuccessful>`
	for res, e := range unsuccessful {
		s += fmt.Sprintf(`<item><resourceId>%s</resourceId><error><code>%s</code><message>%s</message></error></item>`, res, e[0], e[1])
	}
	return s + `</unsuccessful></CreateFlowLogsResponse>`
}

// describeFlowLogsReply describes flow logs given as id → resource.
func describeFlowLogsReply(fls map[string]string) string {
	s := `<DescribeFlowLogsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><flowLogSet>`
	for id, res := range fls {
		s += fmt.Sprintf(`<item><flowLogId>%s</flowLogId><resourceId>%s</resourceId><flowLogStatus>ACTIVE</flowLogStatus>`+
			`<deliverLogsStatus>SUCCESS</deliverLogsStatus><logDestinationType>cloud-watch-logs</logDestinationType>`+
			`<trafficType>ALL</trafficType><maxAggregationInterval>600</maxAggregationInterval></item>`, id, res)
	}
	return s + `</flowLogSet></DescribeFlowLogsResponse>`
}

const emptyVpcsReply = `<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><vpcSet/></DescribeVpcsResponse>`

// events records Reporter events.
type events struct {
	mu  sync.Mutex
	all []engine.Event
}

func (e *events) Report(ev engine.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) count(typ engine.EventType) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.all {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// newFakeProvider returns a provider against a fake endpoint, with
// millisecond backoffs.
func newFakeProvider(t testing.TB, endpoint string, mod ...func(*Options)) (*Provider, *events) {
	t.Helper()
	ev := &events{}
	o := Options{
		EndpointURL: endpoint,
		Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "secret", ""),
		Reporter:    ev,
		// Fake servers count requests: a connection net/http drops and the
		// SDK retries would count twice (see emutest.Transport).
		HTTPClient: &http.Client{Transport: emutest.Transport(nil)},
	}
	for _, m := range mod {
		m(&o)
	}
	p, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	p.firstWait = time.Millisecond
	p.readBackTimeout = 50 * time.Millisecond
	p.retryBackoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
	return p, ev
}
