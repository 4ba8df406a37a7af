package awsemu

// SetHandlerHook makes e call hook with each call's account, region and
// action while the call holds its locks, just before its handler runs.
// Tests use it to hold a call inside the emulator; set it before the
// first call.
func SetHandlerHook(e *Emulator, hook func(account, region, action string)) {
	e.inHandler = func(c *call) { hook(c.key.Account, c.region, c.action) }
}

// PumpVisits is how many account-regions e's delivery pumps have looked
// at so far.
func PumpVisits(e *Emulator) uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pumpVisits
}
