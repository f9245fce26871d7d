package reststore_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/reststore"
)

// loseAnswers is a transport that loses the answers of lease POSTs while
// lose is set: the server answered, the client never hears.
type loseAnswers struct{ lose atomic.Bool }

func (l *loseAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/.lease/") && l.lose.Load() {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, errors.New("the answer was lost")
	}
	return resp, err
}

// TestLockAnswerLost checks that when the server grants and the answer is
// lost, Lock fails and its withdrawal releases the lease, so that the next
// client gets it at once rather than after the time to live.
func TestLockAnswerLost(t *testing.T) {
	ts := newServer(t, server.Options{}, nil)
	tr := &loseAnswers{}
	tr.lose.Store(true)
	lossy := open(t, ts, reststore.Options{Client: &http.Client{Transport: tr}})
	other := open(t, ts, reststore.Options{})
	if _, err := lossy.Lock(t.Context(), "f", "h"); err == nil {
		t.Fatal("Lock whose answer was lost succeeded")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second) // less than the time to live
	defer cancel()
	u, err := other.Lock(ctx, "f", "h")
	if err != nil {
		t.Fatalf("Lock after another's answer was lost: %v", err)
	}
	u()
}

// TestLockGoneWaiter is TestLockClose made certain: the server does
// not see the waiter leave (its handler's context outlives the
// connection), so it grants the lease to the gone waiter; the waiter's
// withdrawal must keep that grant from blocking the next client.
func TestLockGoneWaiter(t *testing.T) {
	ts := newServer(t, server.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(context.WithoutCancel(r.Context())))
		})
	})
	holder := open(t, ts, reststore.Options{})
	waiter := open(t, ts, reststore.Options{})
	other := open(t, ts, reststore.Options{})
	unlock, err := holder.Lock(t.Context(), "f", "h")
	if err != nil {
		t.Fatal(err)
	}
	// No deadline: the POST asks the server to wait 5 s; the wait ends by
	// cancel, as by Close, which the server does not see.
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	if _, err := waiter.Lock(ctx, "f", "h"); err == nil {
		t.Fatal("waiter got a held lease")
	}
	cancel()
	unlock()
	ctx, cancel = context.WithTimeout(t.Context(), 3*time.Second) // less than the time to live
	defer cancel()
	u, err := other.Lock(ctx, "f", "h")
	if err != nil {
		t.Fatalf("Lock after the waiter left and the holder released: %v", err)
	}
	u()
}

// TestCloseLeavesNoConnection checks that the withdrawal of a Lock that
// Close ended, sent after Close closed the idle connections, leaves no
// connection open in the closed store's transport.
func TestCloseLeavesNoConnection(t *testing.T) {
	var open atomic.Int32
	ts := httptest.NewUnstartedServer(nil)
	mem := memstore.Open("attack-close-" + time.Now().Format(time.RFC3339Nano))
	defer mem.Close()
	ts.Config.Handler = server.New(mem, server.Options{})
	ts.Config.ConnState = func(c net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	ts.Start()
	defer ts.Close()
	holder, err := reststore.Open(ts.URL, reststore.Options{Client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.Lock(t.Context(), "f", "h"); err != nil {
		t.Fatal(err)
	}
	waiting, err := reststore.Open(ts.URL, reststore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := waiting.Lock(t.Context(), "f", "h")
		got <- err
	}()
	time.Sleep(100 * time.Millisecond)
	_ = waiting.Close()
	<-got
	time.Sleep(300 * time.Millisecond)
	if n := open.Load(); n != 0 {
		t.Errorf("%d connections open to the server after the waiting store closed and its Lock returned, want 0", n)
	}
}

// TestLockChurn has many clients Lock with short random deadlines on a
// server that never sees a client leave (every waiting POST that gives up
// must be withdrawn): one holder at a time, and at the end the lease is
// free at once, not held for nobody.
func TestLockChurn(t *testing.T) {
	for name, wrapStore := range map[string]bool{"table": false, "storelock": true} {
		t.Run(name, func(t *testing.T) {
			detach := func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					h.ServeHTTP(w, r.WithContext(context.WithoutCancel(r.Context())))
				})
			}
			var ts *httptest.Server
			if wrapStore {
				base := lockingServer(t)
				ts = httptest.NewServer(detach(base.Config.Handler))
				t.Cleanup(ts.Close)
			} else {
				ts = newServer(t, server.Options{}, detach)
			}
			var holders, entered atomic.Int32
			var wg sync.WaitGroup
			for g := range 12 {
				st := open(t, ts, reststore.Options{LeaseTTL: 5 * time.Second})
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 15 {
						d := time.Duration(1+(g*7+i*13)%40) * time.Millisecond
						ctx, cancel := context.WithCancel(t.Context())
						time.AfterFunc(d, cancel)
						unlock, err := st.Lock(ctx, "f", "h")
						if err != nil {
							cancel()
							continue
						}
						entered.Add(1)
						if n := holders.Add(1); n != 1 {
							t.Errorf("%d holders at once", n)
						}
						time.Sleep(time.Millisecond)
						holders.Add(-1)
						unlock()
						cancel()
					}
				}()
			}
			wg.Wait()
			time.Sleep(200 * time.Millisecond) // the last releases arrive
			st := open(t, ts, reststore.Options{})
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
			defer cancel()
			start := time.Now()
			u, err := st.Lock(ctx, "f", "h")
			if err != nil {
				t.Fatalf("Lock after the churn (%d entered): %v: the lease is held for nobody", entered.Load(), err)
			}
			t.Logf("%d entered; the last Lock waited %v", entered.Load(), time.Since(start))
			u()
		})
	}
}
