package persist

import (
	"sync"
)

// Versions of code. A result is kept with the version of the code that
// computed it (see Stamp); a call whose Memo has another version does not
// use it, and replaces it. Options.Version sets the version by hand; a
// fingerprint that persist fingerprint generated from the function's
// source, and the source of the functions it calls, sets it without
// asking, so that editing the function, a helper it calls or a constant
// it uses invalidates its results, and reformatting does not.

var (
	fingerprintsMu sync.RWMutex
	fingerprints   = map[string]string{}
)

// RegisterFingerprint records the fingerprint of a function's code, under
// the function's full name as the runtime reports it
// ("example.com/m/pkg.Fib", "example.com/m/pkg.(*T).Method"). It is
// called by the init function of the file that persist fingerprint
// generates (run it with go generate); Decorate uses a registered
// fingerprint as the Version of a function whose Options give none.
func RegisterFingerprint(function, fingerprint string) {
	fingerprintsMu.Lock()
	defer fingerprintsMu.Unlock()
	fingerprints[function] = fingerprint
}

// Fingerprint returns the fingerprint registered for the function of that
// full name, and whether there is one.
func Fingerprint(function string) (string, bool) {
	fingerprintsMu.RLock()
	defer fingerprintsMu.RUnlock()
	fp, ok := fingerprints[function]
	return fp, ok
}

// settleVersion chooses the version of m's results, and whether they are
// stamped: the default pickling always stamps (the stamp carries the
// compute time too); a custom one only for a version, so that a
// pypersist-compatible pickling stays pypersist's byte for byte.
func (m *Memo) settleVersion(full string) error {
	m.version = m.opts.Version
	if m.version == "" {
		m.version, _ = Fingerprint(full)
	}
	if len(m.version) > maxVersionLen {
		return optErrorf(m.name, "Version is %d bytes long, more than %d", len(m.version), maxVersionLen)
	}
	m.stamped = m.version != "" || !m.hooks.pickle.set()
	// Keys leave defaults out, so a key without an argument meant another
	// value under other defaults: their digest is in every stamp, and
	// checked on every hit (a custom pickling without a Version stays
	// pypersist's, byte for byte, unchecked).
	m.defaults = m.spec.defaultsDigest()
	return nil
}
