package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
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

// leaseTable holds the server's leases. Its mutex guards the maps, every
// lease's token, timer and unlock, and every waiter's withdrawn; the
// store's Lock and unlock run outside it.
type leaseTable struct {
	mu sync.Mutex
	m  map[leaseKey]*lease
	// waiting are the POSTs under way that carry their client's token. A
	// client that gives up a POST before its answer releases the token
	// it sent; that withdraws the POST, which ends its wait and is never
	// granted: the server may not have seen the client leave, and a
	// lease granted to nobody would keep the others out for its whole
	// time to live. Its size is that of the requests in flight.
	waiting map[withdrawal]*waiter
	// early are the withdrawals that came before their POST, still on
	// its way, until the time beside each; the POST is refused when it
	// comes. earlyOrder keeps them oldest first, at most maxEarly.
	early      map[withdrawal]time.Time
	earlyOrder []earlyWithdrawal
}

// earlyWithdrawal is one entry of leaseTable.earlyOrder.
type earlyWithdrawal struct {
	id    withdrawal
	until time.Time
}

// withdrawal names the POST of one client token for one lease.
type withdrawal struct {
	k     leaseKey
	token string
}

// waiter is a POST under way with its client's token.
type waiter struct {
	cancel    context.CancelFunc // ends its wait
	withdrawn bool
}

// An early withdrawal is kept longer than any POST waits, and at most
// maxEarly are kept, the oldest dropped first: a flood of DELETEs for no
// lease can only push out a withdrawal whose POST is later than that.
const (
	earlyLife = 2 * MaxLeaseWait
	maxEarly  = 1024
)

// errWithdrawn refuses a POST that its client withdrew.
var errWithdrawn = fmt.Errorf("%w: its client withdrew the request", errLeaseHeld)

// take waits until k is free in the table, enters a lease there, takes the
// store's lock if it has one, and starts the lease's timer, under token,
// the client's own, or a new one when token is empty. A lease that token
// holds already is renewed and granted again, so that a POST repeated
// after its answer was lost does not wait for itself. It fails with
// errLeaseHeld when wait ends first, or when the client withdrew token.
func (t *leaseTable) take(wait context.Context, st *stores.Store, k leaseKey, ttl time.Duration, token string) (wire.Lease, error) {
	// The table outlives the request, whose line the strings point into.
	k = leaseKey{strings.Clone(k.funcname), strings.Clone(k.hash)}
	var w *waiter
	if token == "" {
		token = rand.Text() // 128 random bits
	} else {
		token = strings.Clone(token)
		id := withdrawal{k, token}
		var cancel context.CancelFunc
		wait, cancel = context.WithCancel(wait)
		defer cancel()
		w = &waiter{cancel: cancel}
		t.mu.Lock()
		if t.takeEarly(id) {
			t.mu.Unlock()
			return wire.Lease{}, errWithdrawn
		}
		if t.waiting == nil {
			t.waiting = make(map[withdrawal]*waiter)
		}
		t.waiting[id] = w
		t.mu.Unlock()
		defer func() {
			t.mu.Lock()
			if t.waiting[id] == w {
				delete(t.waiting, id)
			}
			t.mu.Unlock()
		}()
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
				if w != nil && w.withdrawnNow(t) {
					return wire.Lease{}, errWithdrawn
				}
				return wire.Lease{}, errLeaseHeld
			}
		}
		l := &lease{done: make(chan struct{})}
		t.m[k] = l
		t.mu.Unlock()

		var unlock func()
		if st.CanLock() {
			var err error
			unlock, err = st.Lock(wait, k.funcname, k.hash)
			if err != nil {
				t.end(k, l)
				if wait.Err() != nil {
					// Another server on the same store holds the lock, or
					// the client withdrew.
					return wire.Lease{}, errLeaseHeld
				}
				return wire.Lease{}, err
			}
		}
		t.mu.Lock()
		l.unlock = unlock
		if w != nil && w.withdrawn {
			t.mu.Unlock()
			t.end(k, l)
			return wire.Lease{}, errWithdrawn
		}
		l.token = token
		l.timer = time.AfterFunc(ttl, func() { t.end(k, l) })
		t.mu.Unlock()
		return wire.Lease{Token: token, TTLMillis: ttl.Milliseconds(), StoreLock: unlock != nil}, nil
	}
}

// withdrawnNow reports, taking t.mu, whether w was withdrawn.
func (w *waiter) withdrawnNow(t *leaseTable) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return w.withdrawn
}

// takeEarly reports whether id was withdrawn before its POST came, and
// forgets it; the caller holds t.mu.
func (t *leaseTable) takeEarly(id withdrawal) bool {
	until, ok := t.early[id]
	if ok {
		delete(t.early, id)
	}
	return ok && time.Now().Before(until)
}

// withdraw withdraws the POST of id: the one waiting, or the one to come
// if none is; the caller holds t.mu.
func (t *leaseTable) withdraw(id withdrawal) {
	if w := t.waiting[id]; w != nil {
		w.withdrawn = true
		w.cancel()
		return
	}
	if !validLeaseToken(id.token) {
		return // no POST carries it
	}
	now := time.Now()
	for len(t.earlyOrder) > 0 && (len(t.earlyOrder) >= maxEarly || !now.Before(t.earlyOrder[0].until)) {
		first := t.earlyOrder[0]
		t.earlyOrder = t.earlyOrder[1:]
		if until, ok := t.early[first.id]; ok && until.Equal(first.until) {
			delete(t.early, first.id) // not withdrawn again since
		}
	}
	id = withdrawal{leaseKey{strings.Clone(id.k.funcname), strings.Clone(id.k.hash)}, strings.Clone(id.token)}
	if t.early == nil {
		t.early = make(map[withdrawal]time.Time)
	}
	e := earlyWithdrawal{id, now.Add(earlyLife)}
	t.early[id] = e.until
	t.earlyOrder = append(t.earlyOrder, e)
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
// holds no lease of k withdraws the POST that carries it: the one waiting,
// which ends at once, or the one still on its way.
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
