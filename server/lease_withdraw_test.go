package server_test

// Withdrawals of POSTs whose clients gave up, through the server.

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores/filestore"
	"github.com/gopersist/persist/stores/memstore"
)

func randToken(t testing.TB) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TestWithdrawalExpires checks that a withdrawal that came before its POST
// is kept for a time only: an hour later, a POST of a free lease with the
// token is granted.
func TestWithdrawalExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := memstore.Open("attack-life-" + randToken(t))
		defer mem.Close()
		h := server.New(mem, server.Options{})
		do := func(method, target, token string) int {
			r := httptest.NewRequest(method, target, nil)
			r.Header.Set(wire.LeaseTokenHeader, token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w.Code
		}
		path := wire.LeasePath + "/f/h"
		tok := randToken(t)
		if c := do(http.MethodDelete, path, tok); c != http.StatusNotFound {
			t.Fatalf("DELETE of a free lease: %d, want 404", c)
		}
		time.Sleep(time.Hour) // far past earlyLife (20 s)
		if c := do(http.MethodPost, path, tok); c != http.StatusCreated {
			t.Errorf("POST of a free lease an hour after its token was withdrawn: %d, want 201 (the withdrawal is past its life)", c)
		}
	})
}

// heldPOST sends a POST of path with token on a connection of its own and
// returns a channel with its status line; the connection stays open until
// the test ends, so that the server cannot tell that its client gave up.
func heldPOST(t *testing.T, base, path, token string) <-chan string {
	t.Helper()
	u, _ := url.Parse(base)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\n%s: %s\r\nContent-Length: 0\r\n\r\n", path, u.Host, wire.LeaseTokenHeader, token)
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(c).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	return got
}

// TestWithdrawalAfterJunk checks that DELETEs naming random tokens, more
// than the server keeps early withdrawals of, do not keep a client from
// withdrawing its waiting POST.
func TestWithdrawalAfterJunk(t *testing.T) {
	fx := newFixture(t, server.Options{})
	for i := range 2000 { // more than maxEarly
		if a := fx.do(t, http.MethodDelete, wire.LeasePath+"/f/junk", withToken(randToken(t)), ""); a.status != http.StatusNotFound {
			t.Fatalf("DELETE %d: %d", i, a.status)
		}
	}
	path := wire.LeasePath + "/f/h"
	_, held := takeLease(t, fx, "h", "")
	gone := randToken(t)
	waited := heldPOST(t, fx.url, path+"?wait_ms=10000", gone)
	time.Sleep(100 * time.Millisecond)
	if a := fx.do(t, http.MethodDelete, path, withToken(gone), ""); a.status != http.StatusConflict {
		t.Errorf("DELETE withdrawing a waiting POST: %d %s, want 409", a.status, a.body)
	}
	if a := fx.do(t, http.MethodDelete, path, withToken(held.Token), ""); a.status != http.StatusNoContent {
		t.Fatalf("DELETE by the holder: %d", a.status)
	}
	if line := <-waited; !strings.Contains(line, "409") {
		t.Errorf("the withdrawn POST, after 2000 junk DELETEs: %q, want 409 (the lease went to a client that is gone)", line)
	}
}

// TestWithdrawAfterGrant checks the withdrawal of a POST the server
// granted unseen (the client had left; the server had not seen it): the
// DELETE names the token that holds the lease, and releases it.
func TestWithdrawAfterGrant(t *testing.T) {
	fx := newFixture(t, server.Options{})
	path := wire.LeasePath + "/f/h"
	_, held := takeLease(t, fx, "h", "")
	tok := randToken(t)
	waited := heldPOST(t, fx.url, path+"?wait_ms=10000", tok)
	time.Sleep(100 * time.Millisecond)
	if a := fx.do(t, http.MethodDelete, path, withToken(held.Token), ""); a.status != http.StatusNoContent {
		t.Fatalf("DELETE by the holder: %d", a.status)
	}
	if line := <-waited; !strings.Contains(line, "201") {
		t.Fatalf("the waiting POST: %q, want 201", line)
	}
	if a := fx.do(t, http.MethodDelete, path, withToken(tok), ""); a.status != http.StatusNoContent {
		t.Errorf("withdrawal DELETE of a POST granted unseen: %d %s, want 204 (a release)", a.status, a.body)
	}
	if a, _ := takeLease(t, fx, "h", ""); a.status != http.StatusCreated {
		t.Errorf("POST after the withdrawal released the grant: %d, want 201", a.status)
	}
	// The release left no withdrawal behind: the token may POST again.
	if a, _ := takeLeaseAnswer(t, fx.do(t, http.MethodPost, wire.LeasePath+"/f/h2", withToken(tok), "")); a.status != http.StatusCreated {
		t.Errorf("POST of another key with the token: %d", a.status)
	}
}

// TestWithdrawnStoreLock checks that over a store that locks, a withdrawn
// POST gives the store's lock back.
func TestWithdrawnStoreLock(t *testing.T) {
	st, err := filestore.Open(t.TempDir(), filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts := httptest.NewServer(server.New(st, server.Options{}))
	defer ts.Close()
	fx := &fixture{url: ts.URL, store: st}
	path := wire.LeasePath + "/f/h"
	_, held := takeLease(t, fx, "h", "")
	gone := randToken(t)
	waited := heldPOST(t, ts.URL, path+"?wait_ms=10000", gone)
	time.Sleep(100 * time.Millisecond)
	_ = fx.do(t, http.MethodDelete, path, withToken(gone), "")
	_ = fx.do(t, http.MethodDelete, path, withToken(held.Token), "")
	if line := <-waited; !strings.Contains(line, "409") {
		t.Errorf("withdrawn POST over a file store: %q, want 409", line)
	}
	start := time.Now()
	if a, _ := takeLease(t, fx, "h", "?wait_ms=3000"); a.status != http.StatusCreated {
		t.Errorf("POST after the withdrawn one: %d %s", a.status, a.body)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the next POST waited %v: the store's lock was kept", d)
	}
}

// TestLeaseStoreLockRace races leases over a store that locks with item
// POSTs under RefuseDuplicates, which ask whether a lease holds the
// store's lock (for -race).
func TestLeaseStoreLockRace(t *testing.T) {
	st, err := filestore.Open(t.TempDir(), filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts := httptest.NewServer(server.New(st, server.Options{RefuseDuplicates: true}))
	defer ts.Close()
	fx := &fixture{url: ts.URL, store: st}
	for i := range 100 {
		hash := fmt.Sprintf("h%d", i)
		done := make(chan struct{})
		go func() {
			defer close(done)
			fx.post(t, "f", item("f", hash, "r"))
		}()
		a, l := takeLease(t, fx, hash, "?wait_ms=2000")
		if a.status == http.StatusCreated {
			fx.do(t, http.MethodDelete, wire.LeasePath+"/f/"+hash, withToken(l.Token), "")
		}
		<-done
	}
}
