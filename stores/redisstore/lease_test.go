package redisstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
)

// leaseURLs are the servers the lease tests run on: a single server and,
// when one can be started, the cluster.
func leaseURLs(t *testing.T) map[string]string {
	t.Helper()
	urls := map[string]string{"single": needServer(t)}
	urls["cluster"] = needCluster(t)
	return urls
}

// TestLeaseRace has 16 goroutines, each with a client of its own as a
// process on another machine would have, race for one lease: exactly one
// takes it, every round.
func TestLeaseRace(t *testing.T) {
	const (
		racers = 16
		rounds = 5
	)
	for name, base := range leaseURLs(t) {
		t.Run(name, func(t *testing.T) {
			handles := make([]*stores.Store, racers)
			for i := range handles {
				handles[i] = openStore(t, base)
			}
			fn := "lease_race_" + newToken()
			defer handles[0].Clear(context.Background(), fn)
			for round := range rounds {
				var winners atomic.Int32
				var wg sync.WaitGroup
				start := make(chan struct{})
				unlocks := make(chan func(), racers)
				for _, st := range handles {
					wg.Go(func() {
						<-start
						// The lease (30 s) far outlasts the wait: only the
						// first taker can succeed.
						ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
						defer cancel()
						unlock, err := st.Lock(ctx, fn, "h")
						if err == nil {
							winners.Add(1)
							unlocks <- unlock
						} else if !errors.Is(err, context.DeadlineExceeded) {
							t.Errorf("Lock: %v", err)
						}
					})
				}
				close(start)
				wg.Wait()
				close(unlocks)
				if n := winners.Load(); n != 1 {
					t.Errorf("round %d: %d goroutines took the lease, want exactly 1", round, n)
				}
				for u := range unlocks {
					u()
				}
			}
		})
	}
}

// TestLeaseTakeover checks that a lease whose holder stopped renewing it
// (its store closed, as a process that died would) stays taken until it
// expires, and is then taken over.
func TestLeaseTakeover(t *testing.T) {
	t.Parallel()
	const lease = 2 * time.Second
	for name, base := range leaseURLs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			u := withOptions(t, base, "lease", lease.String())
			holder, waiter := openStore(t, u), openStore(t, u)
			fn := "lease_takeover_" + newToken()
			defer waiter.Clear(context.Background(), fn)
			if _, err := holder.Lock(t.Context(), fn, "h"); err != nil {
				t.Fatal(err)
			}
			stopped := time.Now()
			if err := holder.Close(); err != nil {
				t.Fatal(err)
			}
			// Closed, the holder no longer renews, nor releases: the lease
			// is still held for a while.
			ctx, cancel := context.WithTimeout(t.Context(), lease/5)
			_, err := waiter.Lock(ctx, fn, "h")
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Lock just after the holder stopped: err = %v, want the lease still held", err)
			}
			ctx, cancel = context.WithTimeout(t.Context(), 20*lease)
			defer cancel()
			unlock, err := waiter.Lock(ctx, fn, "h")
			if err != nil {
				t.Fatalf("Lock after the holder's lease expired: %v", err)
			}
			t.Logf("taken over %v after the holder stopped (lease %v)", time.Since(stopped).Round(time.Millisecond), lease)
			unlock()
		})
	}
}

// TestLeaseRenewed checks that a holder that keeps running keeps its
// lease for several times the lease's duration.
func TestLeaseRenewed(t *testing.T) {
	t.Parallel()
	const lease = 2 * time.Second
	u := withOptions(t, needServer(t), "lease", lease.String())
	holder, waiter := openStore(t, u), openStore(t, u)
	fn := "lease_renewed_" + newToken()
	unlock, err := holder.Lock(t.Context(), fn, "h")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*lease)
	defer cancel()
	if u, err := waiter.Lock(ctx, fn, "h"); err == nil {
		u()
		t.Fatal("a waiter took a lease whose holder kept renewing it")
	}
	unlock()
	if u, err := waiter.Lock(t.Context(), fn, "h"); err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	} else {
		u()
	}
}

// TestLeaseOnlyOwnerReleases checks that a holder whose lease expired and
// was taken by another neither renews nor deletes the other's lease.
func TestLeaseOnlyOwnerReleases(t *testing.T) {
	t.Parallel()
	const lease = time.Second
	u := withOptions(t, needServer(t), "lease", lease.String())
	st := openStore(t, u)
	d := testDriver(t, st)
	c := rawClient(t, st)
	fn := "lease_owner_" + newToken()
	key := d.keys(fn).lease("h")
	unlock, err := st.Lock(t.Context(), fn, "h")
	if err != nil {
		t.Fatal(err)
	}
	// Another process's lease in its place, as after an expiry and a
	// takeover.
	if err := c.Set(t.Context(), key, "another holder", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(lease / 2) // at least one renewal attempt
	unlock()
	got, err := c.Get(t.Context(), key).Result()
	if err != nil || got != "another holder" {
		t.Fatalf("after the first holder's unlock the lease is %q, %v; want the other holder's", got, err)
	}
	if ttl := c.PTTL(t.Context(), key).Val(); ttl > time.Minute || ttl < 50*time.Second {
		t.Errorf("the other holder's lease expires in %v: the first holder changed it", ttl)
	}
	// The scripts themselves: only the token's owner renews or deletes.
	if n, err := renewScript.Run(t.Context(), c, []string{key}, "not the token", 1000).Int(); err != nil || n != 0 {
		t.Errorf("renew with a wrong token = %d, %v; want 0", n, err)
	}
	if n, err := releaseScript.Run(t.Context(), c, []string{key}, "not the token").Int(); err != nil || n != 0 {
		t.Errorf("release with a wrong token = %d, %v; want 0", n, err)
	}
	if n, err := releaseScript.Run(t.Context(), c, []string{key}, "another holder").Int(); err != nil || n != 1 {
		t.Errorf("release with the right token = %d, %v; want 1", n, err)
	}
}
