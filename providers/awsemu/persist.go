package awsemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Save writes the emulator's whole state as JSON.
func (e *Emulator) Save(w io.Writer) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.saveLocked(w)
}

func (e *Emulator) saveLocked(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(e.st); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// Load replaces the emulator's state with one written by Save.
func (e *Emulator) Load(r io.Reader) error {
	st := &state{}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(st); err != nil {
		return fmt.Errorf("load state: %w", err)
	}
	if st.FormatVersion != stateFormatVersion {
		return fmt.Errorf("load state: format_version %d is not %d; reset the sandbox", st.FormatVersion, stateFormatVersion)
	}
	if err := st.complete(); err != nil {
		return fmt.Errorf("load state: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st = st
	e.pumps.allChanged()
	return nil
}

// complete fills the maps JSON leaves nil and checks references, so that a
// hand-edited state file cannot make handlers panic.
func (st *state) complete() error {
	if st.Accounts == nil {
		st.Accounts = map[string]*account{}
	}
	if st.Keys == nil {
		st.Keys = map[string]*accessKey{}
	}
	if st.Buckets == nil {
		st.Buckets = map[string]*bucket{}
	}
	for id, a := range st.Accounts {
		if a == nil || a.ID != id {
			return fmt.Errorf("account %s: entry is empty or has another id", id)
		}
		if a.Regions == nil {
			a.Regions = map[string]*region{}
		}
		if a.Roles == nil {
			a.Roles = map[string]*role{}
		}
		if a.InstanceProfiles == nil {
			a.InstanceProfiles = map[string]*instanceProfile{}
		}
		for name, p := range a.InstanceProfiles {
			if p == nil || strings.ToLower(p.Name) != name {
				return fmt.Errorf("account %s: instance profile %s: entry is empty or has another name", id, name)
			}
			for _, r := range p.Roles {
				if a.Roles[r] == nil {
					return fmt.Errorf("account %s: instance profile %s holds role %s, which does not exist", id, p.Name, r)
				}
			}
		}
		for name, r := range a.Regions {
			if r == nil {
				a.Regions[name] = newRegion(name)
				continue
			}
			r.fillMaps()
		}
	}
	for id, k := range st.Keys {
		if k == nil || st.Accounts[k.Account] == nil {
			return fmt.Errorf("access key %s: its account is missing", id)
		}
	}
	for name, b := range st.Buckets {
		if b == nil || st.Accounts[b.Owner] == nil {
			return fmt.Errorf("bucket %s: its owner account is missing", name)
		}
	}
	if o := st.Organization; o != nil && o.Root == nil {
		return fmt.Errorf("organization %s has no root", o.ID)
	}
	return nil
}

func (r *region) fillMaps() {
	empty := newRegion(r.Name)
	if r.VPCs == nil {
		r.VPCs = empty.VPCs
	}
	if r.Subnets == nil {
		r.Subnets = empty.Subnets
	}
	if r.ENIs == nil {
		r.ENIs = empty.ENIs
	}
	if r.TGWs == nil {
		r.TGWs = empty.TGWs
	}
	if r.TGWAttachments == nil {
		r.TGWAttachments = empty.TGWAttachments
	}
	if r.NATGateways == nil {
		r.NATGateways = empty.NATGateways
	}
	if r.FlowLogs == nil {
		r.FlowLogs = empty.FlowLogs
	}
	if r.LogGroups == nil {
		r.LogGroups = empty.LogGroups
	}
	if r.DeliveryStreams == nil {
		r.DeliveryStreams = empty.DeliveryStreams
	}
	if r.ClientTokens == nil {
		r.ClientTokens = empty.ClientTokens
	}
	if r.CreateTokens == nil {
		r.CreateTokens = empty.CreateTokens
	}
}

// saver batches the auto-saves of Options.AutoSavePath when
// Options.AutoSaveInterval is set: a change marks the state unsaved and
// starts a timer, if none runs; when it fires the state is saved once for
// every change made meanwhile. Close saves what is left.
type saver struct {
	// fileMu orders the writes of state files, so that an older snapshot
	// never replaces a newer one. It is taken before e.mu (locks.go).
	fileMu sync.Mutex
	// mu guards the rest; a leaf lock.
	mu      sync.Mutex
	unsaved bool
	timer   *time.Timer
	// err is the error of the last auto-save, until one succeeds.
	err error
}

// SaveStateFile writes the state to path atomically (a temporary file
// renamed over it), with mode 0600: the state holds secret keys. The state
// is copied with every lock held; the file is written after they are
// released, so that calls go on meanwhile.
func (e *Emulator) SaveStateFile(path string) error {
	e.saves.fileMu.Lock()
	defer e.saves.fileMu.Unlock()
	auto := path == e.opts.AutoSavePath
	data, err := e.snapshot(auto)
	if err == nil {
		err = writeStateFile(path, data)
	}
	if err != nil {
		err = fmt.Errorf("save state %s: %w", path, err)
	}
	if auto {
		e.saves.mu.Lock()
		e.saves.err = err
		if err != nil {
			e.saves.unsaved = true
		}
		e.saves.mu.Unlock()
	}
	return err
}

// snapshot encodes the state, after dropping what has expired, with e.mu
// held for writing. For the auto-save file it marks the state saved: a
// change made after this is in the next save.
func (e *Emulator) snapshot(auto bool) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.dropExpiredKeys()
	var buf bytes.Buffer
	if err := e.saveLocked(&buf); err != nil {
		return nil, err
	}
	if auto {
		e.saves.mu.Lock()
		e.saves.unsaved = false
		e.saves.mu.Unlock()
	}
	return buf.Bytes(), nil
}

func writeStateFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sandbox-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// stateSaved auto-saves after a change: at once when AutoSaveInterval is
// zero, else it marks the state unsaved and makes sure a save is coming.
// It is called with no lock held.
func (e *Emulator) stateSaved() error {
	if e.opts.AutoSavePath == "" {
		return nil
	}
	if e.opts.AutoSaveInterval <= 0 {
		return e.SaveStateFile(e.opts.AutoSavePath)
	}
	e.saves.mu.Lock()
	defer e.saves.mu.Unlock()
	e.saves.unsaved = true
	if e.saves.timer == nil {
		e.saves.timer = time.AfterFunc(e.opts.AutoSaveInterval, e.timedSave)
	}
	return nil
}

func (e *Emulator) timedSave() {
	e.saves.mu.Lock()
	e.saves.timer = nil
	e.saves.mu.Unlock()
	// A failure is kept in saves.err: Flush and Close report it.
	_ = e.Flush()
}

// Flush saves the state to Options.AutoSavePath when a change since the
// last save is unsaved, and reports the error of the last auto-save when
// it failed. It does nothing without AutoSavePath.
func (e *Emulator) Flush() error {
	if e.opts.AutoSavePath == "" {
		return nil
	}
	e.saves.mu.Lock()
	unsaved, err := e.saves.unsaved, e.saves.err
	e.saves.mu.Unlock()
	if !unsaved {
		return err
	}
	return e.SaveStateFile(e.opts.AutoSavePath)
}

// Close stops the timer of batched auto-saves and saves what is unsaved
// (Flush); 'flowplan sandbox serve' calls it when it stops, so that no
// change is lost. The emulator stays usable: a later change starts a new
// timer.
func (e *Emulator) Close() error {
	e.saves.mu.Lock()
	if e.saves.timer != nil {
		e.saves.timer.Stop()
		e.saves.timer = nil
	}
	e.saves.mu.Unlock()
	return e.Flush()
}

// dropExpiredKeys forgets temporary credentials that have expired, old
// client tokens and the flow logs of deleted resources past their linger.
// The caller holds e.mu for writing.
func (e *Emulator) dropExpiredKeys() {
	now := e.now()
	for id, k := range e.st.Keys {
		if !k.Expires.IsZero() && !now.Before(k.Expires) {
			delete(e.st.Keys, id)
		}
	}
	for _, a := range e.st.Accounts {
		for _, r := range a.Regions {
			for token, rec := range r.ClientTokens {
				if now.Sub(rec.Created) > clientTokenLifetime {
					delete(r.ClientTokens, token)
				}
			}
			for token, rec := range r.CreateTokens {
				if now.Sub(rec.Created) > clientTokenLifetime {
					delete(r.CreateTokens, token)
				}
			}
			r.purgeGoneFlowLogs(now)
		}
	}
}

// LoadStateFile replaces the state with the one saved in path.
func (e *Emulator) LoadStateFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("load state: %w", err)
	}
	defer f.Close()
	if err := e.Load(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// OpenSandbox loads the state in statePath, or, when that file does not
// exist, seeds the emulator from worldPath and saves the state there. It
// reports whether the state was created. This is the sandbox's
// "created from the world on first use".
func (e *Emulator) OpenSandbox(statePath, worldPath string) (created bool, err error) {
	err = e.LoadStateFile(statePath)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if err := e.LoadWorldFile(worldPath); err != nil {
		return false, err
	}
	return true, e.SaveStateFile(statePath)
}
