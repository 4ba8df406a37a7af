package aws

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowplan/flowplan/engine"
)

const iamRefusal = "Unable to assume given IAM role: 'arn:aws:iam::123456789012:role/flowplan-flow-logs'"

func cwlChange(rule, vpc string) *engine.Change {
	addr := engine.Addr{Account: fakeAccount.ID, Region: "us-east-1", Kind: engine.KindFlowLog, Name: rule + "/" + vpc}
	return &engine.Change{Addr: addr, Action: engine.Create, After: &engine.Resource{
		Addr: addr, Tags: map[string]string{engine.TagSpec: "test", engine.TagRule: rule},
		FlowLog: &engine.FlowLog{ResourceID: vpc, ResourceType: "VPC", TrafficType: "ALL", DestinationType: "cloud-watch-logs",
			Destination:              "arn:aws:logs:us-east-1:123456789012:log-group:/vpc-flow-logs",
			DeliverLogsPermissionARN: "arn:aws:iam::123456789012:role/flowplan-flow-logs", LogFormat: defaultFormat, MaxAggregationInterval: 600},
	}}
}

func createBatch(changes ...*engine.Change) *engine.Batch {
	return &engine.Batch{Account: fakeAccount, Region: "us-east-1", Kind: engine.KindFlowLog, Op: engine.OpCreate, Changes: changes, ClientTokenSeed: "plan-1"}
}

func TestCreateFlowLogsWaitsForIAMPropagation(t *testing.T) {
	f, url := newFakeEC2(t, func(action string, _ url.Values, n int) (int, string) {
		switch {
		case action == "DescribeFlowLogs":
			return http.StatusOK, describeFlowLogsReply(map[string]string{"fl-1": "vpc-1"})
		case n <= 3:
			return http.StatusBadRequest, ec2Error("InvalidParameter", iamRefusal)
		}
		return http.StatusOK, createFlowLogsReply([]string{"fl-1"}, nil)
	})
	p, ev := newFakeProvider(t, url)
	out := p.Apply(context.Background(), createBatch(cwlChange("prod", "vpc-1")))
	if out[0].Err != nil {
		t.Fatal(out[0].Err)
	}
	if out[0].Resource == nil || out[0].Resource.ID != "fl-1" || out[0].Resource.Addr != out[0].Change.Addr {
		t.Errorf("resource = %+v, want fl-1 at the change's address", out[0].Resource)
	}
	reqs := f.requestsFor("CreateFlowLogs")
	if len(reqs) != 4 {
		t.Fatalf("CreateFlowLogs calls = %d, want 4", len(reqs))
	}
	for _, r := range reqs {
		if r.Get("ClientToken") != reqs[0].Get("ClientToken") || len(r.Get("ClientToken")) != 64 {
			t.Errorf("retry used token %q, want the first call's %q", r.Get("ClientToken"), reqs[0].Get("ClientToken"))
		}
	}
	if n := ev.count(engine.EventIAMWait); n != 3 {
		t.Errorf("IAM wait events = %d, want 3", n)
	}
}

func TestCreateFlowLogsGivesUpAfterIAMPropagationTimeout(t *testing.T) {
	f, url := newFakeEC2(t, func(action string, _ url.Values, n int) (int, string) {
		return http.StatusBadRequest, ec2Error("InvalidParameter", iamRefusal)
	})
	p, _ := newFakeProvider(t, url, func(o *Options) { o.IAMPropagationTimeout = 50 * time.Millisecond })
	p.firstWait = 10 * time.Millisecond
	out := p.Apply(context.Background(), createBatch(cwlChange("prod", "vpc-1")))
	want := "create flow log 123456789012/us-east-1/flow_log/prod/vpc-1: InvalidParameter: Unable to assume given IAM role"
	if out[0].Err == nil || !strings.HasPrefix(out[0].Err.Error(), want) {
		t.Fatalf("err = %v, want prefix %q", out[0].Err, want)
	}
	if n := len(f.requestsFor("CreateFlowLogs")); n < 2 || n > 5 {
		t.Errorf("CreateFlowLogs calls = %d, want a few retries within the timeout", n)
	}
}

// AWS may also refuse the role per resource, in Unsuccessful[]: only the
// refused resources are retried, under a token of their own.
func TestCreateFlowLogsRetriesRefusedResources(t *testing.T) {
	f, url := newFakeEC2(t, func(action string, form url.Values, n int) (int, string) {
		switch {
		case action == "DescribeFlowLogs":
			return http.StatusOK, describeFlowLogsReply(map[string]string{"fl-1": "vpc-1", "fl-2": "vpc-2", "fl-3": "vpc-3"})
		case n == 1:
			return http.StatusOK, createFlowLogsReply([]string{"fl-1"}, map[string][2]string{
				"vpc-2": {"InvalidParameter", iamRefusal},
				"vpc-3": {"AccessDenied", "not allowed"},
			})
		}
		return http.StatusOK, createFlowLogsReply([]string{"fl-2"}, nil)
	})
	p, _ := newFakeProvider(t, url)
	out := p.Apply(context.Background(), createBatch(cwlChange("prod", "vpc-1"), cwlChange("prod", "vpc-2"), cwlChange("prod", "vpc-3")))
	if out[0].Err != nil || out[0].Resource.ID != "fl-1" {
		t.Errorf("vpc-1: %+v", out[0])
	}
	if out[1].Err != nil || out[1].Resource.ID != "fl-2" {
		t.Errorf("vpc-2: %+v", out[1])
	}
	if ErrorCode(out[2].Err) != "AccessDenied" || out[2].Resource != nil {
		t.Errorf("vpc-3: %+v, want AccessDenied", out[2])
	}
	reqs := f.requestsFor("CreateFlowLogs")
	if len(reqs) != 2 || reqs[1].Get("ResourceId.1") != "vpc-2" || reqs[1].Get("ResourceId.2") != "" ||
		reqs[0].Get("ClientToken") == reqs[1].Get("ClientToken") {
		t.Errorf("calls = %v, want a second call for vpc-2 alone with another token", reqs)
	}
}

// TestApplyTransitGatewayFlowLogs checks that transit gateway types are
// created without a traffic type, in calls of at most 25 resources.
func TestApplyTransitGatewayFlowLogs(t *testing.T) {
	var resources []string
	f, endpoint := newFakeEC2(t, func(action string, form url.Values, n int) (int, string) {
		if action == "DescribeFlowLogs" {
			fls := map[string]string{}
			for _, r := range resources {
				fls["fl-"+r] = r
			}
			return http.StatusOK, describeFlowLogsReply(fls)
		}
		var ids []string
		for i := 1; form.Get(resourceIDKey(i)) != ""; i++ {
			ids = append(ids, "fl-"+form.Get(resourceIDKey(i)))
		}
		return http.StatusOK, createFlowLogsReply(ids, nil)
	})
	p, _ := newFakeProvider(t, endpoint)
	var changes []*engine.Change
	for i := range 30 {
		r := fmt.Sprintf("tgw-attach-%02d", i)
		resources = append(resources, r)
		c := cwlChange("tgw", r)
		c.After.FlowLog.ResourceType, c.After.FlowLog.TrafficType, c.After.FlowLog.MaxAggregationInterval = "TransitGatewayAttachment", "", 60
		changes = append(changes, c)
	}
	out := p.Apply(context.Background(), createBatch(changes...))
	for _, o := range out {
		if o.Err != nil || o.Resource == nil || o.Resource.ID != "fl-"+o.Change.After.FlowLog.ResourceID {
			t.Fatalf("%s: %+v", o.Change.Addr, o)
		}
	}
	reqs := f.requestsFor("CreateFlowLogs")
	if len(reqs) != 2 || reqs[0].Get(resourceIDKey(25)) == "" || reqs[0].Get(resourceIDKey(26)) != "" || reqs[1].Get(resourceIDKey(5)) == "" {
		t.Fatalf("CreateFlowLogs calls = %d, want 2 with 25 and 5 resources", len(reqs))
	}
	for _, r := range reqs {
		if r.Has("TrafficType") || r.Get("ResourceType") != "TransitGatewayAttachment" || r.Get("MaxAggregationInterval") != "60" {
			t.Errorf("request %v: want no TrafficType, ResourceType TransitGatewayAttachment, interval 60", r)
		}
	}
	if n := len(f.requestsFor("DescribeFlowLogs")); n != 1 {
		t.Errorf("DescribeFlowLogs calls = %d, want 1", n)
	}
}

func resourceIDKey(i int) string { return fmt.Sprintf("ResourceId.%d", i) }

// createAndDescribe is a fake CreateFlowLogs / DescribeFlowLogs pair. Flow
// log IDs are hashes of the resource IDs, so that sorting them mixes the
// calls they came from, as AWS's random IDs do.
func createAndDescribe() func(action string, form url.Values, _ int) (int, string) {
	var mu sync.Mutex
	resources := map[string]string{}
	return func(action string, form url.Values, _ int) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		if action == "DescribeFlowLogs" {
			fls := map[string]string{}
			for i := 1; form.Get(fmt.Sprintf("FlowLogId.%d", i)) != ""; i++ {
				id := form.Get(fmt.Sprintf("FlowLogId.%d", i))
				fls[id] = resources[id]
			}
			return http.StatusOK, describeFlowLogsReply(fls)
		}
		var ids []string
		for i := 1; form.Get(resourceIDKey(i)) != ""; i++ {
			r := form.Get(resourceIDKey(i))
			id := fmt.Sprintf("fl-%.17x", sha256.Sum256([]byte(r)))
			resources[id] = r
			ids = append(ids, id)
		}
		return http.StatusOK, createFlowLogsReply(ids, nil)
	}
}

// TestApplyManyFlowLogs creates more flow logs than one call takes: four
// CreateFlowLogs calls of at most 300 resources, two DescribeFlowLogs
// calls of at most 1000 IDs, and every change gets its own flow log back.
func TestApplyManyFlowLogs(t *testing.T) {
	f, endpoint := newFakeEC2(t, createAndDescribe())
	p, _ := newFakeProvider(t, endpoint)
	var changes []*engine.Change
	for i := range 1001 {
		changes = append(changes, cwlChange("prod", fmt.Sprintf("vpc-%05d", i)))
	}
	out := p.Apply(context.Background(), createBatch(changes...))
	for _, o := range out {
		if o.Err != nil || o.Resource == nil || o.Resource.FlowLog.ResourceID != o.Change.After.FlowLog.ResourceID {
			t.Fatalf("%s: %+v", o.Change.Addr, o)
		}
	}
	if c, d := len(f.requestsFor("CreateFlowLogs")), len(f.requestsFor("DescribeFlowLogs")); c != 4 || d != 2 {
		t.Errorf("CreateFlowLogs calls = %d, DescribeFlowLogs calls = %d, want 4 and 2", c, d)
	}
}

// EC2 is eventually consistent: a flow log just created may be missing
// from DescribeFlowLogs for a while. It is described again until it shows.
func TestCreateFlowLogsWaitsForNewFlowLogsToShow(t *testing.T) {
	f, url := newFakeEC2(t, func(action string, _ url.Values, n int) (int, string) {
		switch {
		case action == "CreateFlowLogs":
			return http.StatusOK, createFlowLogsReply([]string{"fl-1", "fl-2"}, nil)
		case n == 1:
			return http.StatusOK, describeFlowLogsReply(map[string]string{"fl-1": "vpc-1"})
		}
		return http.StatusOK, describeFlowLogsReply(map[string]string{"fl-2": "vpc-2"})
	})
	p, _ := newFakeProvider(t, url)
	out := p.Apply(context.Background(), createBatch(cwlChange("prod", "vpc-1"), cwlChange("prod", "vpc-2")))
	for n, want := range []string{"fl-1", "fl-2"} {
		if out[n].Err != nil || out[n].Resource == nil || out[n].Resource.ID != want {
			t.Errorf("%s: %+v, want %s", out[n].Change.Addr, out[n], want)
		}
	}
	reqs := f.requestsFor("DescribeFlowLogs")
	if len(reqs) != 2 || reqs[1].Get("FlowLogId.1") != "fl-2" || reqs[1].Has("FlowLogId.2") {
		t.Errorf("DescribeFlowLogs calls = %v, want a second one for fl-2 alone", reqs)
	}
}

func TestCreateFlowLogsGivesUpOnFlowLogsThatNeverShow(t *testing.T) {
	f, url := newFakeEC2(t, func(action string, _ url.Values, n int) (int, string) {
		if action == "CreateFlowLogs" {
			return http.StatusOK, createFlowLogsReply([]string{"fl-1"}, nil)
		}
		return http.StatusOK, describeFlowLogsReply(nil)
	})
	p, _ := newFakeProvider(t, url)
	out := p.Apply(context.Background(), createBatch(cwlChange("prod", "vpc-1")))
	if out[0].Err == nil || !strings.Contains(out[0].Err.Error(), "DescribeFlowLogs shows no new flow log") {
		t.Errorf("err = %v, want the flow log reported missing", out[0].Err)
	}
	if n := len(f.requestsFor("DescribeFlowLogs")); n < 2 {
		t.Errorf("DescribeFlowLogs calls = %d, want retries within the timeout", n)
	}
}

// The wait for a role spans the batch: once a role has been refused for
// IAMPropagationTimeout, the batch's other calls with it are not retried.
func TestIAMPropagationTimeoutIsPerBatch(t *testing.T) {
	f, url := newFakeEC2(t, func(action string, _ url.Values, n int) (int, string) {
		return http.StatusBadRequest, ec2Error("InvalidParameter", iamRefusal)
	})
	p, _ := newFakeProvider(t, url, func(o *Options) { o.IAMPropagationTimeout = 200 * time.Millisecond })
	p.firstWait = 50 * time.Millisecond
	other := cwlChange("prod", "vpc-2")
	other.After.FlowLog.Destination = "arn:aws:logs:us-east-1:123456789012:log-group:/other"
	out := p.Apply(context.Background(), createBatch(cwlChange("prod", "vpc-1"), other))
	for _, o := range out {
		if !isIAMPropagation(o.Err) {
			t.Errorf("%s: err = %v, want the IAM refusal", o.Change.Addr, o.Err)
		}
	}
	calls := map[string]int{}
	for _, r := range f.requestsFor("CreateFlowLogs") {
		calls[r.Get("ResourceId.1")]++
	}
	if calls["vpc-1"] < 2 || calls["vpc-2"] != 1 {
		t.Errorf("CreateFlowLogs calls by resource = %v, want retries for vpc-1 only", calls)
	}
}

// A flow log deleted since discovery fails its own tag update, not those
// that shared its CreateTags call.
func TestTagUpdateOfAGoneFlowLogFailsAlone(t *testing.T) {
	f, url := newFakeEC2(t, func(action string, form url.Values, _ int) (int, string) {
		if action == "DescribeFlowLogs" {
			// All three exist when the provider reads them; fl-2 is gone
			// by the time it tags them.
			var items strings.Builder
			for i := 1; form.Has(fmt.Sprintf("FlowLogId.%d", i)); i++ {
				id := form.Get(fmt.Sprintf("FlowLogId.%d", i))
				fmt.Fprintf(&items, "<item><flowLogId>%s</flowLogId><resourceId>vpc-%s</resourceId><tagSet>"+
					"<item><key>flowplan:spec</key><value>test</value></item><item><key>flowplan:rule</key><value>old</value></item></tagSet></item>", id, id)
			}
			return http.StatusOK, `<DescribeFlowLogsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><flowLogSet>` + items.String() + `</flowLogSet></DescribeFlowLogsResponse>`
		}
		for i := 1; form.Has(fmt.Sprintf("ResourceId.%d", i)); i++ {
			if form.Get(fmt.Sprintf("ResourceId.%d", i)) == "fl-2" {
				return http.StatusBadRequest, ec2Error("InvalidFlowLogId.NotFound", "The flowLog ID 'fl-2' does not exist")
			}
		}
		return http.StatusOK, `<CreateTagsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><return>true</return></CreateTagsResponse>`
	})
	p, _ := newFakeProvider(t, url)
	var changes []*engine.Change
	for _, id := range []string{"fl-1", "fl-2", "fl-3"} {
		c := cwlChange("prod", "vpc-"+id)
		c.Action, c.Before = engine.Update, &engine.Resource{Addr: c.Addr, ID: id, Tags: map[string]string{engine.TagSpec: "test", engine.TagRule: "old"}}
		changes = append(changes, c)
	}
	b := createBatch(changes...)
	b.Op = engine.OpUpdate
	out := p.Apply(context.Background(), b)
	for n, o := range out {
		if gone := n == 1; (ErrorCode(o.Err) == "InvalidFlowLogId.NotFound") != gone || (o.Err == nil) == gone {
			t.Errorf("%s: err = %v", o.Change.Before.ID, o.Err)
		}
	}
	if n := len(f.requestsFor("CreateTags")); n != 4 {
		t.Errorf("CreateTags calls = %d, want 1 for all, then 1 each", n)
	}
}
