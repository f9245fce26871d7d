package reststore_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
	"github.com/gopersist/persist/stores/reststore"
)

// lockWait bounds a Lock that must succeed: long enough for a loaded
// machine, short enough to end a hung test.
const lockWait = 60 * time.Second

// lockingServer serves a file store, which can lock, so that leases hold
// the store's lock.
func lockingServer(t *testing.T) *httptest.Server {
	t.Helper()
	st, err := filestore.Open(t.TempDir(), filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ts := httptest.NewServer(server.New(st, server.Options{}))
	t.Cleanup(ts.Close)
	return ts
}

// TestLockRace has 16 goroutines, each on a client of its own as on
// machines of their own, race for one lease, a few rounds each: exactly
// one holds it at a time, and every round gets it. Over a memory store the
// server's lease table decides; over a file store, the store's lock.
func TestLockRace(t *testing.T) {
	for name, ts := range map[string]*httptest.Server{
		"table":     newServer(t, server.Options{}, nil),
		"storelock": lockingServer(t),
	} {
		t.Run(name, func(t *testing.T) {
			const goroutines, rounds = 16, 3
			var holders, entered atomic.Int32
			var wg sync.WaitGroup
			errs := make(chan error, goroutines*rounds)
			for range goroutines {
				st := open(t, ts, reststore.Options{})
				if !st.CanLock() {
					t.Fatal("CanLock is false")
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range rounds {
						ctx, cancel := context.WithTimeout(t.Context(), lockWait)
						unlock, err := st.Lock(ctx, "f", "h")
						cancel()
						if err != nil {
							errs <- err
							return
						}
						entered.Add(1)
						if n := holders.Add(1); n != 1 {
							errs <- errors.New("two clients hold the lease at once")
						}
						time.Sleep(2 * time.Millisecond)
						holders.Add(-1)
						unlock()
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if n := entered.Load(); n != goroutines*rounds {
				t.Errorf("the lease was held %d times, want %d", n, goroutines*rounds)
			}
		})
	}
}

// cuttable is a transport that can be cut: every request after cut fails,
// as for a machine that died or left the network.
type cuttable struct {
	cut atomic.Bool
}

func (c *cuttable) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.cut.Load() {
		return nil, errors.New("the network is cut")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestLockExpires checks that a holder whose renewals stop (its network is
// cut, so its heartbeat reaches nobody) loses the lease after its time to
// live and a waiter gets it, while a holder that renews keeps it for many
// times its time to live.
func TestLockExpires(t *testing.T) {
	// Long enough that a renewal every third of it is not late on a
	// loaded machine.
	const ttl = 500 * time.Millisecond
	ts := newServer(t, server.Options{}, nil)
	net := &cuttable{}
	holder := open(t, ts, reststore.Options{LeaseTTL: ttl, Client: &http.Client{Transport: net}})
	waiter := open(t, ts, reststore.Options{LeaseTTL: ttl})
	unlock, err := holder.Lock(t.Context(), "f", "h")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(t.Context(), 3*ttl)
	u, err := waiter.Lock(ctx, "f", "h")
	cancel()
	if err == nil {
		u()
		t.Fatalf("a waiter got a lease whose holder renewed it, %v into a time to live of %v", 3*ttl, ttl)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiter: %v, want DeadlineExceeded", err)
	}
	net.cut.Store(true)
	cut := time.Now()
	ctx, cancel = context.WithTimeout(t.Context(), lockWait)
	defer cancel()
	u, err = waiter.Lock(ctx, "f", "h")
	if err != nil {
		t.Fatalf("waiter after the holder's network was cut: %v", err)
	}
	t.Logf("lease of %v taken over %v after its holder's network was cut", ttl, time.Since(cut))
	u()
}

// TestLockReleasedByOwnerOnly checks that unlock releases the lease it
// took and nothing else: a holder that lost its lease, and then unlocks,
// leaves the new holder's lease alone.
func TestLockReleasedByOwnerOnly(t *testing.T) {
	const ttl = 500 * time.Millisecond
	ts := newServer(t, server.Options{}, nil)
	net := &cuttable{}
	first := open(t, ts, reststore.Options{LeaseTTL: ttl, Client: &http.Client{Transport: net}})
	second := open(t, ts, reststore.Options{LeaseTTL: ttl})
	third := open(t, ts, reststore.Options{LeaseTTL: ttl})
	unlockFirst, err := first.Lock(t.Context(), "f", "h")
	if err != nil {
		t.Fatal(err)
	}
	net.cut.Store(true) // first's lease expires
	ctx, cancel := context.WithTimeout(t.Context(), lockWait)
	defer cancel()
	unlockSecond, err := second.Lock(ctx, "f", "h")
	if err != nil {
		t.Fatal(err)
	}
	defer unlockSecond()
	net.cut.Store(false)
	unlockFirst() // first's release reaches the server now: refused
	// Give the release time to arrive, then check that second still holds.
	time.Sleep(100 * time.Millisecond)
	ctx, cancel = context.WithTimeout(t.Context(), 2*ttl)
	defer cancel()
	if u, err := third.Lock(ctx, "f", "h"); err == nil {
		u()
		t.Fatal("a third client got the lease: the first one's unlock released the second's")
	}
}

// TestLockUnsupported checks that against a server without the lease
// extension Lock fails with ErrUnsupported, and asks the server once.
func TestLockUnsupported(t *testing.T) {
	var asked atomic.Int32
	ts := newServer(t, server.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/.lease/") {
				asked.Add(1)
				http.NotFound(w, r) // as Eve and an older persist serve answer
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	st := open(t, ts, reststore.Options{})
	for range 3 {
		_, err := st.Lock(t.Context(), "f", "h")
		if !errors.Is(err, stores.ErrUnsupported) {
			t.Fatalf("Lock against a server without leases: %v, want ErrUnsupported", err)
		}
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("the server was asked for a lease %d times, want once", n)
	}
	if err := st.Put(t.Context(), "f", "h", stores.Record{Result: []byte("r")}); err != nil {
		t.Errorf("Put after the failed Lock: %v", err)
	}
}

// TestLockClose checks that Close ends a wait for a lease and releases the
// leases the store holds.
func TestLockClose(t *testing.T) {
	ts := newServer(t, server.Options{}, nil)
	holder, err := reststore.Open(ts.URL, reststore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	waiting, err := reststore.Open(ts.URL, reststore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Lock(t.Context(), "f", "h"); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := waiting.Lock(t.Context(), "f", "h")
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	_ = waiting.Close()
	if err := <-got; !errors.Is(err, stores.ErrClosed) {
		t.Errorf("Lock waiting as its store closed: %v, want ErrClosed", err)
	}
	_ = holder.Close() // releases the lease
	other := open(t, ts, reststore.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second) // less than the default time to live
	defer cancel()
	u, err := other.Lock(ctx, "f", "h")
	if err != nil {
		t.Fatalf("Lock after the holder's store closed: %v", err)
	}
	u()
}
