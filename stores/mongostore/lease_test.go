package mongostore

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
)

// shortLease makes an abandoned lock expire within the test.
var shortLease = url.Values{"lease": {"1s"}}

// tryLock attempts to take a lock for d and reports whether it did.
func tryLock(t *testing.T, st *stores.Store, funcname, hash string, d time.Duration) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	unlock, err := st.Lock(ctx, funcname, hash)
	if errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	unlock()
	return true
}

// TestLeaseExpires checks that the lock of a holder that stopped without
// unlocking (closing its handle stops the renewals, as a crash would) is
// broken once its lease has run out.
func TestLeaseExpires(t *testing.T) {
	t.Parallel()
	crashed := openStore(t, shortLease)
	waiter := openStore(t, shortLease)
	fn := "lease_expires_" + runSuffix()
	if _, err := crashed.Lock(t.Context(), fn, "h"); err != nil {
		t.Fatalf("Lock: %v", err)
	}
	if err := crashed.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if tryLock(t, waiter, fn, "h", 100*time.Millisecond) {
		t.Fatal("the lock was taken while the crashed holder's lease was still running")
	}
	if !tryLock(t, waiter, fn, "h", 30*time.Second) {
		t.Fatal("the lock of a crashed holder was not broken after its lease")
	}
}

// TestLeaseRenewed checks that a live holder keeps its lock for longer than
// the lease, and hands it over when it unlocks.
func TestLeaseRenewed(t *testing.T) {
	t.Parallel()
	holder := openStore(t, shortLease)
	waiter := openStore(t, shortLease)
	fn := "lease_renewed_" + runSuffix()
	unlock, err := holder.Lock(t.Context(), fn, "h")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	// Three leases long: without renewals the waiter would get in.
	if tryLock(t, waiter, fn, "h", 3*time.Second) {
		t.Fatal("the lock was taken while its holder was renewing it")
	}
	unlock()
	unlock() // a second unlock does nothing
	if !tryLock(t, waiter, fn, "h", 30*time.Second) {
		t.Fatal("the lock was not handed over after unlock")
	}
}

// runSuffix keeps funcnames of different runs apart on a shared server.
func runSuffix() string {
	return strconv.FormatInt(time.Now().UnixNano(), 36)
}

// TestLockWaitingWhenClosed checks that closing a handle ends the waits for
// a lock that its callers are in, with ErrClosed.
func TestLockWaitingWhenClosed(t *testing.T) {
	t.Parallel()
	holder := openStore(t, nil)
	waiter := openStore(t, nil)
	fn := "lock_closed_" + runSuffix()
	unlock, err := holder.Lock(t.Context(), fn, "h")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	defer unlock()
	done := make(chan error, 1)
	go func() {
		unlock, err := waiter.Lock(t.Context(), fn, "h")
		if err == nil {
			unlock()
		}
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // let the waiter poll the held lease
	if err := waiter.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, stores.ErrClosed) {
			t.Errorf("Lock waiting when its store closed: %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Lock still waits 10 s after its store closed")
	}
}
