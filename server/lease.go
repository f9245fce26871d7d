package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
)

// The bounds of a lease (see the package documentation). A client asks
// for a time to live within [MinLeaseTTL, MaxLeaseTTL] (DefaultLeaseTTL
// when it does not say) and may wait up to MaxLeaseWait for a held lease.
const (
	DefaultLeaseTTL = 10 * time.Second
	MinLeaseTTL     = 100 * time.Millisecond
	MaxLeaseTTL     = 5 * time.Minute
	MaxLeaseWait    = 10 * time.Second
)

// minStoreLockWait is the least time a POST gives the store's Lock: taking
// it is a round trip to the store even when nobody holds it, and a
// deadline shorter than that would answer 409 for a free lease.
const minStoreLockWait = time.Second

// The ways a lease request fails that are the client's to act on.
var (
	errLeaseHeld = errors.New("the lease is held by another client")
	errNoLease   = errors.New("no lease is held (it expired, or was released)")
)

// leaseKey names the lease of one entry.
type leaseKey struct{ funcname, hash string }

// lease is one client's claim, held by the server on its behalf: the
// store's lock (when the store has one) is taken when the lease begins and
// released when it ends, by its owner's DELETE or by its timer, which the
// owner's renewals push back. The server renews nothing itself: a client
// that stops renewing loses the lease after its time to live.
type lease struct {
	// token is empty while the store's lock is being taken: the lease is
	// in the table, so that other clients wait, but nobody holds it yet.
	token  string
	unlock func() // the store's, or nil
	timer  *time.Timer
	done   chan struct{} // closed when the lease ends
}

// leaseTable holds the server's leases. Its mutex guards the maps and
// every lease's token and timer; the store's Lock and unlock run outside
// it.
type leaseTable struct {
	mu sync.Mutex
	m  map[leaseKey]*lease
	// withdrawn holds, until the time beside each, the tokens that a
	// release named for a lease they did not hold: a client that gives up
	// a POST before its answer releases the token it sent, and a grant the
	// server makes to that token later would otherwise go to nobody and
	// keep the others out for its whole time to live.
	withdrawn map[withdrawal]time.Time
}

// withdrawal names the token of a POST its client gave up on.
type withdrawal struct {
	k     leaseKey
	token string
}

// A withdrawal is kept for longer than any POST waits, and at most
// maxWithdrawn are kept at once; past that a dead client's grant only
// expires, as it would with a client that sends no token.
const (
	withdrawalLife = 2 * MaxLeaseWait
	maxWithdrawn   = 4096
)

// take waits until k is free in the table, enters a lease there, takes the
// store's lock if it has one, and starts the lease's timer, under token,
// the client's own, or a new one when token is empty. A lease that token
// holds already is renewed and granted again, so that a POST repeated
// after its answer was lost does not wait for itself. It fails with
// errLeaseHeld when wait ends first, or when the client withdrew token.
func (t *leaseTable) take(wait context.Context, st *stores.Store, k leaseKey, ttl time.Duration, token string) (wire.Lease, error) {
	if token == "" {
		token = newLeaseToken()
	}
	for {
		t.mu.Lock()
		if t.m == nil {
			t.m = make(map[leaseKey]*lease)
		}
		if held := t.m[k]; held != nil {
			if held.token != "" && subtle.ConstantTimeCompare([]byte(held.token), []byte(token)) == 1 && held.timer.Stop() {
				held.timer.Reset(ttl)
				t.mu.Unlock()
				return wire.Lease{Token: token, TTLMillis: ttl.Milliseconds(), StoreLock: held.unlock != nil}, nil
			}
			done := held.done
			t.mu.Unlock()
			select {
			case <-done:
				continue
			case <-wait.Done():
				return wire.Lease{}, errLeaseHeld
			}
		}
		l := &lease{done: make(chan struct{})}
		t.m[k] = l
		t.mu.Unlock()

		if st.CanLock() {
			unlock, err := st.Lock(wait, k.funcname, k.hash)
			if err != nil {
				t.end(k, l)
				if wait.Err() != nil {
					// Another server on the same store holds the lock.
					return wire.Lease{}, errLeaseHeld
				}
				return wire.Lease{}, err
			}
			l.unlock = unlock
		}
		t.mu.Lock()
		w := withdrawal{k, token}
		if _, ok := t.withdrawn[w]; ok {
			delete(t.withdrawn, w)
			t.mu.Unlock()
			t.end(k, l)
			return wire.Lease{}, fmt.Errorf("%w: its client withdrew the request", errLeaseHeld)
		}
		l.token = token
		l.timer = time.AfterFunc(ttl, func() { t.end(k, l) })
		t.mu.Unlock()
		return wire.Lease{Token: token, TTLMillis: ttl.Milliseconds(), StoreLock: l.unlock != nil}, nil
	}
}

// owned returns the lease of k if token is its token; the caller holds
// t.mu.
func (t *leaseTable) owned(k leaseKey, token string) (*lease, error) {
	l := t.m[k]
	switch {
	case l == nil:
		return nil, errNoLease
	case l.token == "" || subtle.ConstantTimeCompare([]byte(l.token), []byte(token)) != 1:
		return nil, errLeaseHeld
	}
	return l, nil
}

// renew pushes the end of the lease of k, whose token is token, to ttl
// from now.
func (t *leaseTable) renew(k leaseKey, token string, ttl time.Duration) (wire.Lease, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, err := t.owned(k, token)
	if err != nil {
		return wire.Lease{}, err
	}
	if !l.timer.Stop() {
		// The timer fired: the lease is ending, its end waits for t.mu.
		return wire.Lease{}, errNoLease
	}
	l.timer.Reset(ttl)
	return wire.Lease{Token: token, TTLMillis: ttl.Milliseconds(), StoreLock: l.unlock != nil}, nil
}

// release ends the lease of k, whose token is token, now. A token that
// holds no lease of k is withdrawn: a POST still waiting with it is
// refused when the lease frees.
func (t *leaseTable) release(k leaseKey, token string) error {
	t.mu.Lock()
	l, err := t.owned(k, token)
	if err != nil {
		if token != "" {
			t.withdraw(withdrawal{k, token})
		}
		t.mu.Unlock()
		return err
	}
	if !l.timer.Stop() {
		t.mu.Unlock()
		return nil // its timer fired: it is ending anyway
	}
	t.mu.Unlock()
	t.end(k, l)
	return nil
}

// withdraw records w, first dropping the withdrawals past their life when
// the table is full; the caller holds t.mu.
func (t *leaseTable) withdraw(w withdrawal) {
	now := time.Now()
	if len(t.withdrawn) >= maxWithdrawn {
		for w, until := range t.withdrawn {
			if now.After(until) {
				delete(t.withdrawn, w)
			}
		}
		if len(t.withdrawn) >= maxWithdrawn {
			return
		}
	}
	if t.withdrawn == nil {
		t.withdrawn = make(map[withdrawal]time.Time)
	}
	t.withdrawn[w] = now.Add(withdrawalLife)
}

// end removes l from the table if it is still there, releases the store's
// lock it held and wakes the clients waiting for it. The one call that
// removes l does all this; any other returns.
func (t *leaseTable) end(k leaseKey, l *lease) {
	t.mu.Lock()
	if t.m[k] != l {
		t.mu.Unlock()
		return
	}
	delete(t.m, k)
	t.mu.Unlock()
	if l.unlock != nil {
		l.unlock()
	}
	close(l.done)
}

// holdsStoreLock reports whether a lease of k holds the store's lock: a
// POST of the item under RefuseDuplicates must then not wait for that lock,
// which the server already holds.
func (t *leaseTable) holdsStoreLock(k leaseKey) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.m[k]
	return l != nil && l.unlock != nil
}

// validLeaseToken reports whether a token a client chose for its lease is
// one the server takes: 16 to 128 characters of the URL-safe base64
// alphabet, which hex and base64url tokens are.
func validLeaseToken(tok string) bool {
	if len(tok) < 16 || len(tok) > 128 {
		return false
	}
	for _, c := range []byte(tok) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// newLeaseToken returns 128 random bits in hex.
func newLeaseToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// leaseMillis reads a query parameter of milliseconds; absent, it is def.
func leaseMillis(r *http.Request, name string, def time.Duration) (time.Duration, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > int64(time.Hour/time.Millisecond) {
		return 0, fmt.Errorf("%s=%q is not a number of milliseconds between 0 and 3600000", name, v)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// leaseTTL reads the time to live a request asks for, within the bounds.
func leaseTTL(r *http.Request) (time.Duration, error) {
	ttl, err := leaseMillis(r, wire.LeaseTTLParam, DefaultLeaseTTL)
	return min(max(ttl, MinLeaseTTL), MaxLeaseTTL), err
}

// takeLease answers a POST: 201 and the lease, or 409 when another client
// holds it until the request's wait ends.
func (s *server) takeLease(w http.ResponseWriter, r *http.Request, funcname, hash string) {
	ttl, err := leaseTTL(r)
	token := r.Header.Get(wire.LeaseTokenHeader)
	if err == nil && token != "" && !validLeaseToken(token) {
		err = fmt.Errorf("the %s header of a POST must be 16 to 128 characters of [A-Za-z0-9_-]", wire.LeaseTokenHeader)
	}
	if err == nil {
		var wait time.Duration
		wait, err = leaseMillis(r, wire.LeaseWaitParam, 0)
		wait = min(wait, MaxLeaseWait)
		if s.store.CanLock() {
			wait = max(wait, minStoreLockWait)
		}
		if err == nil {
			ctx, cancel := context.WithTimeout(r.Context(), wait)
			defer cancel()
			var l wire.Lease
			k := leaseKey{funcname, hash}
			l, err = s.leases.take(ctx, s.store, k, ttl, token)
			if err == nil && r.Context().Err() != nil {
				// The client went away while it waited: nobody would
				// renew or release the lease, which would keep the
				// others out for its whole time to live.
				_ = s.leases.release(k, l.Token)
				return
			}
			if err == nil {
				writeJSON(w, http.StatusCreated, l)
				return
			}
			s.leaseFailed(w, r, "lock", err)
			return
		}
	}
	writeError(w, http.StatusBadRequest, err.Error())
}

// renewLease answers a PUT: 200 and the lease with its new time to live;
// 404 if it ended; 409 if the token is not its owner's.
func (s *server) renewLease(w http.ResponseWriter, r *http.Request, funcname, hash string) {
	ttl, err := leaseTTL(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	l, err := s.leases.renew(leaseKey{funcname, hash}, r.Header.Get(wire.LeaseTokenHeader), ttl)
	if err != nil {
		s.leaseFailed(w, r, "renew a lease", err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

// releaseLease answers a DELETE: 204; 404 if the lease ended; 409 if the
// token is not its owner's.
func (s *server) releaseLease(w http.ResponseWriter, r *http.Request, funcname, hash string) {
	if err := s.leases.release(leaseKey{funcname, hash}, r.Header.Get(wire.LeaseTokenHeader)); err != nil {
		s.leaseFailed(w, r, "release a lease", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// leaseFailed answers a lease request that failed.
func (s *server) leaseFailed(w http.ResponseWriter, r *http.Request, op string, err error) {
	switch {
	case errors.Is(err, errLeaseHeld):
		writeError(w, http.StatusConflict, "The lease is held by another client.")
	case errors.Is(err, errNoLease):
		writeError(w, http.StatusNotFound, "No lease is held: it expired or was released.")
	default:
		s.storeFailed(w, r, op, err)
	}
}
