package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/flowplan/flowplan/providers/awsemu"
)

// Emulator is our AWS API emulator serving on a loopback port of the test
// process. Its methods (FailNext, SetThrottling, Counts, ...) are the
// emulator's own.
type Emulator struct {
	*awsemu.Emulator
	// URL is the endpoint, http://127.0.0.1:<port>.
	URL string
	srv *httptest.Server
}

// StartEmulator starts an emulator with opts on a free loopback port.
func StartEmulator(opts awsemu.Options) *Emulator {
	e := awsemu.New(opts)
	srv := httptest.NewServer(e.Handler())
	return &Emulator{Emulator: e, URL: srv.URL, srv: srv}
}

// Close stops the server.
func (e *Emulator) Close() { e.srv.Close() }

// Caller credentials the harness gives a world that sets none.
const (
	callerKeyID  = "AKIAE2ECALLER0000000"
	callerSecret = "e2e-caller-secret"
)

// Seed replaces the emulator's state with w. It fills in w's missing IDs
// of named resources (deterministically, from their names) so that it can
// report them, and the caller's keys when w sets none. It adds an access
// key per account for the harness's own calls.
func (e *Emulator) Seed(w *awsemu.World) (*Seeded, error) {
	ids := newIDTable()
	if err := assignIDs(w, ids); err != nil {
		return nil, err
	}
	caller := ensureCaller(w)
	s := &Seeded{
		Backend:       BackendEmulator,
		Endpoint:      e.URL,
		Caller:        aws.Credentials{AccessKeyID: caller.AccessKeyID, SecretAccessKey: caller.SecretAccessKey},
		CallerAccount: caller.Account,
		roleARNs:      roleARNs(w),
		world:         w,
	}
	if err := e.ApplyWorld(w); err != nil {
		return nil, fmt.Errorf("seed emulator: %w", err)
	}
	s.mint = e.harnessCredentials
	s.IDs = ids.vars
	return s, nil
}

// harnessCredentials mints an access key in account for the harness.
func (e *Emulator) harnessCredentials(account string) (aws.CredentialsProvider, error) {
	id, secret, err := e.AddCredentials(account, "arn:aws:iam::"+account+":user/e2e-harness")
	if err != nil {
		return nil, err
	}
	return credentials.NewStaticCredentialsProvider(id, secret, ""), nil
}

// OpenState loads an emulator state file, such as a sandbox's
// .flowplan/sandbox.json, so that a test can read and change it out of band
// as someone with the console would. Call Save to write the changes back.
func OpenState(path string) (*Emulator, *Seeded, error) {
	e := StartEmulator(awsemu.Options{})
	if err := e.LoadStateFile(path); err != nil {
		e.Close()
		return nil, nil, err
	}
	id, secret := e.SandboxCredentials()
	s := &Seeded{
		Backend:  BackendEmulator,
		Endpoint: e.URL,
		Caller:   aws.Credentials{AccessKeyID: id, SecretAccessKey: secret},
		mint:     e.harnessCredentials,
		world:    &awsemu.World{},
	}
	return e, s, nil
}

// ensureCaller makes sure w has a caller credential with keys, and returns it.
func ensureCaller(w *awsemu.World) *awsemu.WorldCredential {
	c := callerCredential(w)
	if c == nil && len(w.Accounts) > 0 {
		w.Credentials = append(w.Credentials, awsemu.WorldCredential{Account: w.Accounts[0].ID, Sandbox: true})
		c = &w.Credentials[len(w.Credentials)-1]
	}
	if c == nil {
		return &awsemu.WorldCredential{}
	}
	if c.AccessKeyID == "" {
		c.AccessKeyID = callerKeyID
	}
	if c.SecretAccessKey == "" {
		c.SecretAccessKey = callerSecret
	}
	return c
}

// assignIDs gives every named world resource without an ID one derived
// from its account, region, kind and name, and records the IDs.
func assignIDs(w *awsemu.World, ids *idTable) error {
	for _, a := range w.Accounts {
		for _, rn := range sortedRegions(a) {
			r := a.Regions[rn]
			if err := assignRegionIDs(a.ID, rn, &r, ids); err != nil {
				return err
			}
			a.Regions[rn] = r
		}
	}
	return nil
}

func assignRegionIDs(account, region string, r *awsemu.WorldRegion, ids *idTable) error {
	id := func(given, prefix, kind, name string) string {
		if given != "" || name == "" {
			return given
		}
		sum := sha256.Sum256([]byte(account + "/" + region + "/" + kind + "/" + name))
		return prefix + "0" + hex.EncodeToString(sum[:8])
	}
	for i := range r.VPCs {
		v := &r.VPCs[i]
		v.ID = id(v.ID, "vpc-", KindVPC, v.Name)
		if err := ids.add(account, region, KindVPC, v.Name, v.ID, v.ID); err != nil {
			return err
		}
		for j := range v.Subnets {
			sn := &v.Subnets[j]
			sn.ID = id(sn.ID, "subnet-", KindSubnet, sn.Name)
			if err := ids.add(account, region, KindSubnet, sn.Name, sn.ID, sn.ID); err != nil {
				return err
			}
			for k := range sn.ENIs {
				n := &sn.ENIs[k]
				n.ID = id(n.ID, "eni-", KindENI, n.Name)
				if err := ids.add(account, region, KindENI, n.Name, n.ID, n.ID); err != nil {
					return err
				}
			}
		}
	}
	for i := range r.NATGateways {
		g := &r.NATGateways[i]
		g.ID = id(g.ID, "nat-", KindNAT, g.Name)
		if err := ids.add(account, region, KindNAT, g.Name, g.ID, g.ID); err != nil {
			return err
		}
	}
	for i := range r.TransitGateways {
		t := &r.TransitGateways[i]
		t.ID = id(t.ID, "tgw-", KindTGW, t.Name)
		if err := ids.add(account, region, KindTGW, t.Name, t.ID, t.ID); err != nil {
			return err
		}
		for j := range t.Attachments {
			at := &t.Attachments[j]
			at.ID = id(at.ID, "tgw-attach-", KindAttachment, at.Name)
			if err := ids.add(account, region, KindAttachment, at.Name, at.ID, at.ID); err != nil {
				return err
			}
		}
	}
	for i := range r.FlowLogs {
		f := &r.FlowLogs[i]
		if f.ID == "" {
			f.ID = id("", "fl-", KindFlowLog, fmt.Sprintf("%s#%d", f.Resource, i))
		}
		if err := ids.addFlowLog(account, region, f.Resource, f.ID, f.ID); err != nil {
			return err
		}
	}
	return nil
}
