package awsemu_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/flowplan/flowplan/providers/awsemu"
)

// TestFlowLogEvents: what was created and deleted through the API, in
// order; refused creates, replays of a client token and unknown IDs made
// nothing and are not in it.
func TestFlowLogEvents(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	id := lookupIDs(t, client)
	if got := s.Emu.FlowLogEvents(); len(got) != 0 {
		t.Fatalf("events before any call (the world's flow logs are not API calls): %+v", got)
	}
	in := cwlInput(id.vpcA)
	in.ResourceIds = []string{id.vpcA, id.vpcB}
	in.ClientToken = aws.String("events")
	created, err := client.CreateFlowLogs(ctx, in)
	must(t, err)
	_, err = client.CreateFlowLogs(ctx, in) // a replay
	must(t, err)
	dup := cwlInput(id.vpcA)
	refused, err := client.CreateFlowLogs(ctx, dup)
	must(t, err)
	if len(refused.Unsuccessful) != 1 {
		t.Fatalf("duplicate: %+v", refused.Unsuccessful)
	}
	_, err = client.DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: []string{created.FlowLogIds[0], "fl-0123456789abcdef0"}})
	must(t, err)

	var got []string
	for _, ev := range s.Emu.FlowLogEvents() {
		got = append(got, fmt.Sprintf("%s %s/%s %s %s", ev.Op, ev.Account, ev.Region, ev.ResourceID, ev.FlowLogID))
	}
	want := []string{
		"create 111111111111/us-east-1 " + id.vpcA + " " + created.FlowLogIds[0],
		"create 111111111111/us-east-1 " + id.vpcB + " " + created.FlowLogIds[1],
		"delete 111111111111/us-east-1 " + id.vpcA + " " + created.FlowLogIds[0],
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events\n got  %q\n want %q", got, want)
	}
	s.Emu.ResetFlowLogEvents()
	if got := s.Emu.FlowLogEvents(); len(got) != 0 {
		t.Fatalf("events after reset: %+v", got)
	}
}
