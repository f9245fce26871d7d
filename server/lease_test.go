package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores/filestore"
)

// takeLease posts for the lease of f/hash and returns the answer and, on
// 201, the lease.
func takeLease(t *testing.T, fx *fixture, hash, query string) (answer, wire.Lease) {
	t.Helper()
	return takeLeaseAnswer(t, fx.do(t, http.MethodPost, wire.LeasePath+"/f/"+hash+query, nil, ""))
}

// takeLeaseAnswer returns a and, if it is a 201, the lease it grants.
func takeLeaseAnswer(t *testing.T, a answer) (answer, wire.Lease) {
	t.Helper()
	var l wire.Lease
	if a.status == http.StatusCreated {
		if err := json.Unmarshal(a.body, &l); err != nil || l.Token == "" || l.TTLMillis <= 0 {
			t.Fatalf("201 answer %s: %v, want a lease with a token and a time to live", a.body, err)
		}
	}
	return a, l
}

func withToken(token string) map[string]string {
	return map[string]string{wire.LeaseTokenHeader: token}
}

// TestLeaseOwnerOnly checks that only the token of a lease renews or
// releases it, and what each request answers on the way.
func TestLeaseOwnerOnly(t *testing.T) {
	fx := newFixture(t, server.Options{})
	a, l := takeLease(t, fx, "h", "")
	if a.status != http.StatusCreated {
		t.Fatalf("POST of a free lease: %d %s, want 201", a.status, a.body)
	}
	if l.StoreLock {
		t.Errorf("a lease over a memory store says store_lock: true")
	}
	if l.TTLMillis != server.DefaultLeaseTTL.Milliseconds() {
		t.Errorf("ttl_ms = %d, want the default %d", l.TTLMillis, server.DefaultLeaseTTL.Milliseconds())
	}
	if a, _ := takeLease(t, fx, "h", "?wait_ms=50"); a.status != http.StatusConflict {
		t.Errorf("POST of a held lease: %d %s, want 409", a.status, a.body)
	}
	path := wire.LeasePath + "/f/h"
	for _, tok := range []string{"", "not-the-token", l.Token + "0"} {
		if a := fx.do(t, http.MethodPut, path, withToken(tok), ""); a.status != http.StatusConflict {
			t.Errorf("PUT with token %q: %d %s, want 409", tok, a.status, a.body)
		}
		if a := fx.do(t, http.MethodDelete, path, withToken(tok), ""); a.status != http.StatusConflict {
			t.Errorf("DELETE with token %q: %d %s, want 409", tok, a.status, a.body)
		}
	}
	if a := fx.do(t, http.MethodPut, path+"?ttl_ms=1", withToken(l.Token), ""); a.status != http.StatusOK {
		t.Errorf("PUT with the token: %d %s, want 200", a.status, a.body)
	} else if err := json.Unmarshal(a.body, &l); err != nil || l.TTLMillis != server.MinLeaseTTL.Milliseconds() {
		t.Errorf("PUT asking for 1 ms: %s, %v; want the minimum, %v", a.body, err, server.MinLeaseTTL)
	}
	if a := fx.do(t, http.MethodDelete, path, withToken(l.Token), ""); a.status != http.StatusNoContent {
		t.Errorf("DELETE with the token: %d %s, want 204", a.status, a.body)
	}
	if a := fx.do(t, http.MethodDelete, path, withToken(l.Token), ""); a.status != http.StatusNotFound {
		t.Errorf("second DELETE: %d %s, want 404", a.status, a.body)
	}
	if a := fx.do(t, http.MethodPut, path, withToken(l.Token), ""); a.status != http.StatusNotFound {
		t.Errorf("PUT after the release: %d %s, want 404", a.status, a.body)
	}
	if a, _ := takeLease(t, fx, "h", ""); a.status != http.StatusCreated {
		t.Errorf("POST after the release: %d %s, want 201", a.status, a.body)
	}
	for _, q := range []string{"?ttl_ms=soon", "?wait_ms=-1", "?ttl_ms=99999999999"} {
		if a, _ := takeLease(t, fx, "other", q); a.status != http.StatusBadRequest {
			t.Errorf("POST %s: %d %s, want 400", q, a.status, a.body)
		}
	}
	if a := fx.do(t, http.MethodGet, path, nil, ""); a.status != http.StatusMethodNotAllowed {
		t.Errorf("GET of a lease: %d, want 405", a.status)
	}
	if a := fx.do(t, http.MethodPost, wire.LeasePath+"/no-dash/h", nil, ""); a.status != http.StatusBadRequest {
		t.Errorf("POST of a lease of a bad funcname: %d, want 400", a.status)
	}
}

// TestLeaseExpires checks that a lease nobody renews ends after its time
// to live and lets the next client in, and that renewals keep it.
func TestLeaseExpires(t *testing.T) {
	fx := newFixture(t, server.Options{})
	// Long enough that a renewal every quarter of it is not late on a
	// loaded machine.
	const ttl = 400 * time.Millisecond
	q := "?ttl_ms=" + jsonNumber(ttl.Milliseconds())
	_, l := takeLease(t, fx, "h", q)
	// Renewed for three times its time to live, it stays held.
	for range 12 {
		time.Sleep(ttl / 4)
		if a := fx.do(t, http.MethodPut, wire.LeasePath+"/f/h"+q, withToken(l.Token), ""); a.status != http.StatusOK {
			t.Fatalf("renewal: %d %s, want 200", a.status, a.body)
		}
	}
	if a, _ := takeLease(t, fx, "h", ""); a.status != http.StatusConflict {
		t.Fatalf("POST of a renewed lease: %d, want 409", a.status)
	}
	// Left alone, it ends, and a waiting POST gets it.
	start := time.Now()
	a, _ := takeLease(t, fx, "h", "?wait_ms=10000")
	if a.status != http.StatusCreated {
		t.Fatalf("POST waiting for an abandoned lease: %d %s, want 201", a.status, a.body)
	}
	t.Logf("an abandoned lease of %v was taken over after %v", ttl, time.Since(start))
	if a := fx.do(t, http.MethodPut, wire.LeasePath+"/f/h", withToken(l.Token), ""); a.status != http.StatusConflict {
		t.Errorf("renewal of the expired lease, now another's: %d, want 409", a.status)
	}
}

// TestLeaseClientToken checks a POST carrying the client's own token: the
// lease is granted under it, a repeated POST with it is granted again at
// once, and a token the server would not take is refused.
func TestLeaseClientToken(t *testing.T) {
	fx := newFixture(t, server.Options{})
	const mine = "0123456789abcdef0123456789abcdef"
	path := wire.LeasePath + "/f/h"
	a, l := takeLeaseAnswer(t, fx.do(t, http.MethodPost, path, withToken(mine), ""))
	if a.status != http.StatusCreated || l.Token != mine {
		t.Fatalf("POST with a token: %d %s, want 201 and the lease under %s", a.status, a.body, mine)
	}
	a, l = takeLeaseAnswer(t, fx.do(t, http.MethodPost, path+"?wait_ms=5000&ttl_ms=2000", withToken(mine), ""))
	if a.status != http.StatusCreated || l.Token != mine || l.TTLMillis != 2000 {
		t.Errorf("POST repeated with the holder's token: %d %s, want 201, %s and the new time to live", a.status, a.body, mine)
	}
	if a, _ := takeLease(t, fx, "h", ""); a.status != http.StatusConflict {
		t.Errorf("POST of the held lease by another: %d %s, want 409", a.status, a.body)
	}
	for _, tok := range []string{"short", mine + "/", mine + " x"} {
		if a := fx.do(t, http.MethodPost, wire.LeasePath+"/f/other", withToken(tok), ""); a.status != http.StatusBadRequest {
			t.Errorf("POST with token %q: %d %s, want 400", tok, a.status, a.body)
		}
	}
}

// TestLeaseWithdrawn checks that a client that gives up a waiting POST
// and releases its token keeps the server from granting the lease to it:
// the server may not have seen the client leave when the lease frees.
func TestLeaseWithdrawn(t *testing.T) {
	fx := newFixture(t, server.Options{})
	path := wire.LeasePath + "/f/h"
	_, held := takeLease(t, fx, "h", "")
	const gone = "fedcba9876543210fedcba9876543210"
	waited := make(chan answer, 1)
	go func() {
		// Still connected: the server cannot tell that its client left.
		waited <- fx.do(t, http.MethodPost, path+"?wait_ms=10000", withToken(gone), "")
	}()
	time.Sleep(100 * time.Millisecond) // the POST is waiting
	if a := fx.do(t, http.MethodDelete, path, withToken(gone), ""); a.status != http.StatusConflict {
		t.Errorf("DELETE withdrawing a waiting POST: %d %s, want 409 (the lease is another's)", a.status, a.body)
	}
	if a := fx.do(t, http.MethodDelete, path, withToken(held.Token), ""); a.status != http.StatusNoContent {
		t.Fatalf("DELETE by the holder: %d %s, want 204", a.status, a.body)
	}
	if a := <-waited; a.status != http.StatusConflict {
		t.Errorf("the withdrawn POST: %d %s, want 409", a.status, a.body)
	}
	if a, _ := takeLease(t, fx, "h", ""); a.status != http.StatusCreated {
		t.Errorf("POST after the holder released and the waiter withdrew: %d %s, want 201 at once", a.status, a.body)
	}
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestLeaseToken checks that the lease paths follow the token rules of
// writes.
func TestLeaseToken(t *testing.T) {
	const token = "tok"
	fx := newFixture(t, server.Options{Token: token})
	if a, _ := takeLease(t, fx, "h", ""); a.status != http.StatusUnauthorized {
		t.Errorf("POST of a lease without the token: %d, want 401", a.status)
	}
	a := fx.do(t, http.MethodPost, wire.LeasePath+"/f/h", map[string]string{"Authorization": "Bearer " + token}, "")
	if a.status != http.StatusCreated {
		t.Errorf("POST of a lease with the token: %d %s, want 201", a.status, a.body)
	}
}

// lockingFixture is a persist server over a file store in dir, which can
// lock.
func lockingFixture(t *testing.T, dir string, opts server.Options) *fixture {
	t.Helper()
	st, err := filestore.Open(dir, filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ts := httptest.NewServer(server.New(st, opts))
	t.Cleanup(ts.Close)
	return &fixture{url: ts.URL, store: st}
}

// TestLeaseHoldsStoreLock checks that over a store that can lock, a lease
// holds the store's lock: another handle on the store (another server, a
// program using the directory) waits while it lives and gets in when it is
// released or expires.
func TestLeaseHoldsStoreLock(t *testing.T) {
	dir := t.TempDir()
	fx := lockingFixture(t, dir, server.Options{})
	other, err := filestore.Open(dir, filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	blocked := func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		unlock, err := other.Lock(ctx, "f", "h")
		if err == nil {
			unlock()
			return false
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Lock: %v", err)
		}
		return true
	}
	a, l := takeLease(t, fx, "h", "")
	if a.status != http.StatusCreated || !l.StoreLock {
		t.Fatalf("POST over a file store: %d %s, want 201 with store_lock", a.status, a.body)
	}
	if !blocked() {
		t.Fatal("another handle took the store's lock while a lease held it")
	}
	if a := fx.do(t, http.MethodDelete, wire.LeasePath+"/f/h", withToken(l.Token), ""); a.status != http.StatusNoContent {
		t.Fatalf("release: %d", a.status)
	}
	if blocked() {
		t.Fatal("the store's lock stayed held after the lease was released")
	}
	// An expired lease releases the store's lock too.
	takeLease(t, fx, "h", "?ttl_ms=100")
	deadline := time.Now().Add(30 * time.Second)
	for blocked() {
		if time.Now().After(deadline) {
			t.Fatal("the store's lock stayed held 30 s after its lease's time to live of 100 ms")
		}
	}
}

// TestLeaseRefuseDuplicates checks that a POST of the item whose lease the
// client holds does not wait for the store's lock, which the lease holds.
func TestLeaseRefuseDuplicates(t *testing.T) {
	fx := lockingFixture(t, t.TempDir(), server.Options{RefuseDuplicates: true})
	_, l := takeLease(t, fx, "h", "")
	done := make(chan answer, 1)
	go func() { done <- fx.post(t, "f", item("f", "h", "r")) }()
	select {
	case a := <-done:
		if a.status != http.StatusCreated {
			t.Fatalf("POST under the lease: %d %s, want 201", a.status, a.body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("POST under the lease waited 30 s for the lock the lease holds")
	}
	if a := fx.do(t, http.MethodDelete, wire.LeasePath+"/f/h", withToken(l.Token), ""); a.status != http.StatusNoContent {
		t.Fatalf("release: %d", a.status)
	}
	rec, err := fx.store.Get(t.Context(), "f", "h")
	if err != nil || string(rec.Result) != "r" {
		t.Fatalf("Get after the POST and the release: %q, %v", rec.Result, err)
	}
}
