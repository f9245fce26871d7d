package s3store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// TestLeaseRace races 16 clients, each with a connection pool of its own
// as 16 machines would have, to create one lease, 20 times over: every
// round has exactly one winner, and every loser is told so without error.
func TestLeaseRace(t *testing.T) {
	const clients, rounds = 16, 20
	drivers := make([]*s3Driver, clients)
	for i := range drivers {
		drivers[i] = driverOf(t, openStore(t, nil))
	}
	fn := "LeaseRace_" + randomHex(4)
	t.Cleanup(func() { clearLeases(t, drivers[0], fn) })
	for round := range rounds {
		hash := fmt.Sprintf("h%d", round)
		start := make(chan struct{})
		var wg sync.WaitGroup
		won := make([]bool, clients)
		errs := make([]error, clients)
		for i, d := range drivers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l := &lease{d: d, key: d.dir(fn) + hash + leaseSuffix, holder: fmt.Sprintf("client-%d", i)}
				<-start
				won[i], errs[i] = l.take(t.Context())
			}()
		}
		close(start)
		wg.Wait()
		winners := 0
		for i := range drivers {
			if errs[i] != nil {
				t.Errorf("round %d, client %d: %v", round, i, errs[i])
			}
			if won[i] {
				winners++
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d clients created the lease, want exactly 1", round, winners)
		}
	}
}

// clearLeases removes the lease objects a test left under fn, which Clear
// leaves alone.
func clearLeases(t *testing.T, d *s3Driver, fn string) {
	ctx := context.Background()
	for obj := range d.client.ListObjectsIter(ctx, d.bucket, minio.ListObjectsOptions{Prefix: d.dir(fn), Recursive: true}) {
		if obj.Err != nil {
			t.Logf("listing leases to remove: %v", obj.Err)
			return
		}
		_ = d.client.RemoveObject(ctx, d.bucket, obj.Key, minio.RemoveObjectOptions{})
	}
}

// readLease returns the lease object of (fn, hash) as stored.
func readLease(t *testing.T, d *s3Driver, fn, hash string) leaseBody {
	t.Helper()
	data, _, err := d.get(t.Context(), d.dir(fn)+hash+leaseSuffix)
	if err != nil {
		t.Fatalf("reading the lease of %s/%s: %v", fn, hash, err)
	}
	var b leaseBody
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatalf("lease %q: %v", data, err)
	}
	return b
}

// TestLeaseTakeover checks that a lease whose holder stopped renewing it
// (its store was closed without unlocking, as a killed process leaves it)
// is taken over once it has expired, and not before.
func TestLeaseTakeover(t *testing.T) {
	short := url.Values{"lease": {"1s"}}
	dead := openStore(t, short)
	heir := openStore(t, short)
	fn := "LeaseTakeover_" + randomHex(4)
	t.Cleanup(func() { clearLeases(t, driverOf(t, heir), fn) })
	if _, err := dead.Lock(t.Context(), fn, "h"); err != nil {
		t.Fatal(err)
	}
	if err := dead.Close(); err != nil {
		t.Fatal(err)
	}
	abandoned := readLease(t, driverOf(t, heir), fn, "h")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	unlock, err := heir.Lock(ctx, fn, "h")
	if err != nil {
		t.Fatalf("Lock of an abandoned lease: %v", err)
	}
	took := time.Now()
	defer unlock()
	if took.Before(abandoned.Expires) {
		t.Errorf("the lease was taken over at %v, before it expired at %v", took, abandoned.Expires)
	}
	if now := readLease(t, driverOf(t, heir), fn, "h"); now.Holder == abandoned.Holder {
		t.Errorf("after the takeover the lease still names the dead holder %s", now.Holder)
	}
}

// TestLeaseRenew checks that a holder's heartbeat keeps its lease for
// several lease durations, and that the waiter gets it once it is
// released. The lease of 2 s leaves a loaded machine more than a second
// to send each renewal, due every 667 ms.
func TestLeaseRenew(t *testing.T) {
	short := url.Values{"lease": {"2s"}}
	holder := openStore(t, short)
	waiter := openStore(t, short)
	fn := "LeaseRenew_" + randomHex(4)
	t.Cleanup(func() { clearLeases(t, driverOf(t, waiter), fn) })
	unlock, err := holder.Lock(t.Context(), fn, "h")
	if err != nil {
		t.Fatal(err)
	}
	first := readLease(t, driverOf(t, waiter), fn, "h")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	_, err = waiter.Lock(ctx, fn, "h")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock while another holder renews its 2s lease for 5s: %v, want the deadline", err)
	}
	if later := readLease(t, driverOf(t, waiter), fn, "h"); later.Holder != first.Holder || !later.Expires.After(first.Expires) {
		t.Errorf("the lease went from %+v to %+v; want the same holder with a later expiry", first, later)
	}
	unlock()
	ctx, cancel = context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	unlock2, err := waiter.Lock(ctx, fn, "h")
	if err != nil {
		t.Fatalf("Lock after the holder released: %v", err)
	}
	unlock2()
	if _, _, err := driverOf(t, waiter).get(t.Context(), driverOf(t, waiter).dir(fn)+"h"+leaseSuffix); !errors.Is(err, errNotFound) {
		t.Errorf("the lease object after unlock: %v, want it removed", err)
	}
}
