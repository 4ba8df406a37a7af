package awsemu

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowplan/flowplan/providers/awsemu/iampolicy"
)

// Options configure an Emulator. The zero value is a strict emulator with
// no faults, no throttling and no IAM propagation delay.
type Options struct {
	// Clock returns the current time; nil means time.Now. Tests use it to
	// step over IAM propagation delays, token buckets and expiries.
	Clock func() time.Time
	// SigningClock, when set, is the clock signing times are checked
	// against (AWS refuses ones 15 minutes away), instead of Clock: tests
	// that step Clock by hours while their SDK signs with the wall clock
	// set it to time.Now.
	SigningClock func() time.Time
	// IAMPropagationDelay is how long after CreateRole or
	// UpdateAssumeRolePolicy a role is unusable: CreateFlowLogs answers
	// "Unable to assume given IAM role" and AssumeRole is denied. AWS gives
	// no figure; Terraform waits up to 2 minutes.
	IAMPropagationDelay time.Duration
	// PermissiveAssumeRole lets AssumeRole succeed for any role ARN in a
	// known account, skipping the role's existence and trust checks. For demos.
	PermissiveAssumeRole bool
	// Latency is added to every call.
	Latency time.Duration
	// Throttling enables the per account-region token buckets.
	Throttling bool
	// RandomFaults injects seeded random errors and connection resets.
	RandomFaults RandomFaults
	// AutoSavePath, when set, makes the emulator save its state to this file
	// after every successful call that changes it, so that separate processes
	// (flowplan sandbox serve and flowplan --sandbox) see each other's changes.
	AutoSavePath string
	// AutoSaveInterval, when positive, batches those saves: a change is
	// saved within the interval, with every other change made meanwhile,
	// and Close saves what is left. Zero saves before every such call
	// returns.
	AutoSaveInterval time.Duration
	// Seed drives generated IDs when the world file sets none.
	Seed int64
	// EnforceIAM authorizes every request of a role session (credentials
	// from AssumeRole) against the role's inline policies, as AWS does, and
	// refuses what they do not allow with the service's AccessDenied error
	// (authz.go). Other credentials keep full access. Off, every caller has
	// full access in its own account, as in the sandbox.
	EnforceIAM bool
}

// Emulator is an in-memory AWS: EC2, IAM, STS, CloudWatch Logs, S3,
// Firehose and Organizations behind one http.Handler. It is safe for
// concurrent use.
type Emulator struct {
	opts Options

	// mu guards st's global data, and all of it when held for writing;
	// scopes hold the locks of each account-region's data. See locks.go
	// for which call takes what, and the order.
	mu      sync.RWMutex
	st      *state
	scopeMu sync.Mutex
	scopes  map[scopeKey]*sync.RWMutex

	faults   *faultInjector
	counts   *counter
	throttle *throttler
	reqSeq   atomic.Uint64

	// pumps tracks which account-regions the delivery pump must look at
	// again (flowlog_delivery.go).
	pumps pumpTracker
	// pumpVisits counts the account-regions pumps have looked at, for
	// tests; guarded by mu.
	pumpVisits uint64
	// flowLogEvents records API creates and deletes of flow logs (see
	// FlowLogEvents), guarded by eventsMu; not saved with the state.
	eventsMu      sync.Mutex
	flowLogEvents []FlowLogEvent

	// saves batches the auto-saves of AutoSavePath (persist.go).
	saves saver

	// inHandler, when set (tests only), is called with the call's locks
	// held, just before its handler runs.
	inHandler func(c *call)

	// policies caches parsed policy documents (nil for unparsable ones).
	policyMu sync.Mutex
	policies map[string]*iampolicy.Policy
}

// maxCachedPolicies bounds the policy cache of a long-running sandbox.
const maxCachedPolicies = 4096

// New returns an emulator with an empty world: no accounts, so no
// credentials work until a world or state is loaded.
func New(opts Options) *Emulator {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	e := &Emulator{
		opts:     opts,
		st:       newState(opts.Seed),
		faults:   newFaultInjector(opts.RandomFaults, opts.Latency),
		counts:   newCounter(),
		throttle: newThrottler(opts.Throttling),
		policies: map[string]*iampolicy.Policy{},
		scopes:   map[scopeKey]*sync.RWMutex{},
		pumps:    newPumpTracker(),
	}
	return e
}

// Handler returns the HTTP handler serving every emulated service on one
// endpoint.
func (e *Emulator) Handler() http.Handler { return e }

func (e *Emulator) now() time.Time { return e.opts.Clock().UTC() }

// signingNow is the time signing times are checked against: Clock's now,
// or SigningClock's when set.
func (e *Emulator) signingNow(now time.Time) time.Time {
	if e.opts.SigningClock != nil {
		return e.opts.SigningClock().UTC()
	}
	return now
}

// newRequestID returns a UUID-shaped request ID.
func (e *Emulator) newRequestID() string {
	n := e.reqSeq.Add(1)
	sum := sha256.Sum256([]byte(fmt.Sprintf("request-%d-%d", e.opts.Seed, n)))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// cachedPolicy parses a stored policy document once. Stored documents were
// validated when they were put, so a parse failure means "no policy".
func (e *Emulator) cachedPolicy(doc string) *iampolicy.Policy {
	if doc == "" {
		return nil
	}
	e.policyMu.Lock()
	defer e.policyMu.Unlock()
	if p, ok := e.policies[doc]; ok {
		return p
	}
	p, err := iampolicy.Parse(doc)
	if err != nil {
		p = nil
	}
	if len(e.policies) >= maxCachedPolicies {
		e.policies = map[string]*iampolicy.Policy{}
	}
	e.policies[doc] = p
	return p
}

const maxRequestBody = 16 << 20

// call is one request on its way through the emulator.
type call struct {
	e         *Emulator
	svc       *service
	action    string
	requestID string
	// region is the credential scope's region; scope is the region used for
	// counters and throttling ("global" for IAM, Organizations and S3).
	region string
	scope  string
	key    accessKey
	form   *form
	body   []byte
	// bodySHA is the hex SHA-256 of the body as received, for the signature.
	bodySHA string
	req     *http.Request
	now     time.Time
	// mutating is true when the action changes state; its lock is then
	// held for writing.
	mutating bool
	st       *state
}

// acct is the caller's account. It always exists: keys are only accepted
// for known accounts.
func (c *call) acct() *account { return c.st.Accounts[c.key.Account] }

// arn builds an ARN of the caller's account and region, in its partition.
func (c *call) arn(service, resource string) string {
	return arnFor(c.acct().partition(), service, c.region, c.key.Account, resource)
}

// reg returns the caller's account-region. Reads get a throw-away empty
// region when none exists yet, so that they never change state.
func (c *call) reg() *region {
	a := c.acct()
	if c.mutating {
		return a.regionOf(c.region)
	}
	if r, ok := a.Regions[c.region]; ok {
		return r
	}
	return newRegion(c.region)
}

// ServeHTTP routes a signed request to its service and action.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := e.newRequestID()
	now := e.now()
	// AWS dates every response; the SDKs correct their clock skew from it,
	// so it tells the time signatures are checked against.
	w.Header().Set("Date", e.signingNow(now).Format(http.TimeFormat))
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		http.Error(w, "read request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	sig, problem, msg := parseAuth(r)
	if problem != 0 {
		writeUnroutedError(w, r, requestID, problem, msg)
		return
	}
	svc := services[sig.Service]
	if svc == nil {
		writeUnroutedError(w, r, requestID, authMalformed,
			fmt.Sprintf("the credential scope names service %q, which the emulator does not serve", sig.Service))
		return
	}
	c := &call{e: e, svc: svc, requestID: requestID, region: sig.Region, body: body, bodySHA: bodySHA256(body), req: r, now: now}
	c.scope = sig.Region
	if svc.global {
		c.scope = "global"
	}
	// AWS authenticates a request before it reads the action.
	aerr := e.authenticate(c, sig)
	var act *action
	if aerr == nil {
		act, aerr = svc.route(c)
	}
	if aerr != nil {
		svc.writeError(w, c, aerr)
		return
	}
	e.counts.add(CallKey{Service: svc.name, Action: c.action, Account: c.key.Account, Region: c.scope}, isWrite(svc, act))
	answered, ghost := e.injectFault(w, c, act)
	if answered {
		return
	}
	if d := e.faults.latency(); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	resp, err := e.dispatch(c, act)
	if err != nil {
		svc.writeError(w, c, asAPIError(err))
		return
	}
	if ghost {
		// The change is made; the response is lost on its way back.
		resetConnection(w)
		return
	}
	if err := svc.writeResponse(w, c, resp); err != nil {
		svc.writeError(w, c, newError(http.StatusInternalServerError, "InternalError", "encode response: %v", err))
	}
}

// injectFault applies scripted failures, random faults and throttling. It
// reports whether the request was answered, and whether it is a ghost: to
// be served, then have its response dropped.
func (e *Emulator) injectFault(w http.ResponseWriter, c *call, act *action) (answered, ghost bool) {
	f := e.faults.next(c, act.mutating)
	if f == nil || f.Ghost {
		if err := e.throttle.take(c); err != nil {
			c.svc.writeError(w, c, err)
			return true, false
		}
		return false, f != nil
	}
	if f.Reset {
		resetConnection(w)
		return true, false
	}
	c.svc.writeError(w, c, f.apiError(c.svc))
	return true, false
}

// connectionDropper is implemented by the in-process transport's recorder.
type connectionDropper interface{ dropConnection() }

// resetConnection closes the client's connection without a response, as a
// dropped TCP connection looks to the SDK.
func resetConnection(w http.ResponseWriter) {
	if d, ok := w.(connectionDropper); ok {
		d.dropConnection()
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// dispatch runs the action's handler under its locks (locks.go), first
// delivering what flow logs have to deliver when the action reads it, and
// auto-saves a change.
func (e *Emulator) dispatch(c *call, act *action) (any, error) {
	c.mutating = act.mutating
	if act.pumps {
		if err := e.deliver(c.now); err != nil {
			return nil, newError(http.StatusInternalServerError, "InternalError", "auto-save state: %v", err)
		}
	}
	resp, err := e.handle(c, act)
	if err == nil && act.mutating {
		if serr := e.stateSaved(); serr != nil {
			return nil, newError(http.StatusInternalServerError, "InternalError", "auto-save state: %v", serr)
		}
	}
	return resp, err
}

// handle runs the action's handler with its locks held.
func (e *Emulator) handle(c *call, act *action) (any, error) {
	mode := lockModeOf(c, act)
	unlock := e.lockCall(c, mode)
	defer unlock()
	if act.mutating {
		switch {
		case mode == lockScope || act.exclusive != nil:
			// A scoped action that locks exclusively (CreateFlowLogs to
			// S3) writes its account-region, and marks all itself when it
			// writes global data (autoAttachBucketPolicy).
			e.pumps.scopeChanged(scopeKey{c.key.Account, c.region})
		case !act.credentialsOnly:
			e.pumps.allChanged()
		}
	}
	c.st = e.st
	if c.st.Accounts[c.key.Account] == nil {
		return nil, newError(http.StatusForbidden, "AccessDenied", "account %s no longer exists", c.key.Account)
	}
	if aerr := e.authorize(c); aerr != nil {
		return nil, aerr
	}
	if e.inHandler != nil {
		e.inHandler(c)
	}
	resp, err := act.fn(c)
	if ae, ok := err.(*apiError); ok && ae == nil {
		err = nil // a nil *apiError returned as error is success
	}
	return resp, err
}

func asAPIError(err error) *apiError {
	if ae, ok := err.(*apiError); ok {
		return ae
	}
	return newError(http.StatusInternalServerError, "InternalError", "%v", err)
}

// authenticate maps the access key to its account and principal, and
// verifies the request's signature with the key's secret.
func (e *Emulator) authenticate(c *call, sig *sigv4) *apiError {
	e.mu.RLock()
	key, ok := e.st.Keys[sig.AccessKeyID]
	var acct *account
	if ok {
		c.key = *key
		acct = e.st.Accounts[key.Account]
	}
	e.mu.RUnlock()
	switch {
	case !ok || acct == nil:
		return c.svc.authError(authUnknownKey)
	case key.SessionToken != "" && sig.SessionToken != key.SessionToken:
		return c.svc.authError(authBadToken)
	case key.SessionToken == "" && sig.SessionToken != "":
		return c.svc.authError(authBadToken)
	case !key.Expires.IsZero() && !c.now.Before(key.Expires):
		return c.svc.authError(authExpired)
	}
	if f := verifySignature(c, sig, c.key.SecretAccessKey); f != nil {
		return c.svc.signatureError(f, sig, c.now)
	}
	// Keys exist in one partition: signed for another partition's region
	// (the scope of IAM, S3 and Organizations calls is a region of their
	// partition too), the key is unknown there.
	if partitionOf(sig.Region) != acct.partition() {
		return c.svc.authError(authUnknownKey)
	}
	if !c.svc.global && !acct.regionEnabled(sig.Region) {
		return c.svc.authError(authRegion)
	}
	return nil
}

// withState runs fn with every lock of the state held (e.mu for
// writing); out-of-band helpers use it.
func (e *Emulator) withState(fn func(st *state) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pumps.allChanged()
	return fn(e.st)
}

// changeState is withState, then an auto-save when fn succeeded.
func (e *Emulator) changeState(fn func(st *state) error) error {
	if err := e.withState(fn); err != nil {
		return err
	}
	return e.stateSaved()
}

// readState runs fn with every lock of the state held, so that fn may
// read any of it.
func (e *Emulator) readState(fn func(st *state)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fn(e.st)
}

// readGlobal runs fn with e.mu held for reading: fn may read global data
// only (locks.go).
func (e *Emulator) readGlobal(fn func(st *state)) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	fn(e.st)
}
