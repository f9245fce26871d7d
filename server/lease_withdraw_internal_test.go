package server

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/gopersist/persist/stores/memstore"
)

// TestEarlyWithdrawalsBounded checks what the table keeps of DELETEs
// that name no lease: nothing for a token no POST can carry, copies of
// the names (never the request line they point into), at most maxEarly,
// the newest kept.
func TestEarlyWithdrawalsBounded(t *testing.T) {
	var tb leaseTable
	line := "/persist/.lease/f/h?pad=" + strings.Repeat("A", 1<<16)
	k := leaseKey{line[16:17], line[18:19]}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.withdraw(withdrawal{k, strings.Repeat("x", 1<<16)})
	tb.withdraw(withdrawal{k, "not a token!"})
	if len(tb.early) != 0 {
		t.Fatalf("%d withdrawals kept of tokens no POST carries", len(tb.early))
	}
	for i := range maxEarly + 10 {
		tb.withdraw(withdrawal{k, fmt.Sprintf("%032d", i)})
	}
	if len(tb.early) != maxEarly || len(tb.earlyOrder) != maxEarly {
		t.Errorf("%d withdrawals kept (%d in order), want maxEarly, %d", len(tb.early), len(tb.earlyOrder), maxEarly)
	}
	newest := withdrawal{k, fmt.Sprintf("%032d", maxEarly+9)}
	if _, ok := tb.early[newest]; !ok {
		t.Errorf("the newest withdrawal was dropped")
	}
	for id := range tb.early {
		if unsafe.StringData(id.k.funcname) == unsafe.StringData(k.funcname) || unsafe.StringData(id.k.hash) == unsafe.StringData(k.hash) {
			t.Fatalf("a withdrawal keeps the request's strings")
		}
	}
}

// TestRenewFiredTimer checks that a POST repeated with the holder's token
// when the lease's timer has fired, but its end waits for the table's
// mutex, does not renew the dead lease: it waits for the end and gets a
// new one.
func TestRenewFiredTimer(t *testing.T) {
	st := memstore.Open("renew-fired")
	defer st.Close()
	for range 20 {
		var tb leaseTable
		k := leaseKey{"f", "h"}
		const tok = "0123456789abcdef0123456789abcdef"
		if _, err := tb.take(t.Context(), st, k, MinLeaseTTL, tok); err != nil {
			t.Fatal(err)
		}
		tb.mu.Lock()
		old := tb.m[k]
		time.Sleep(MinLeaseTTL + 50*time.Millisecond) // the timer fires; its end waits
		got := make(chan error, 1)
		go func() {
			_, err := tb.take(t.Context(), st, k, time.Minute, tok)
			got <- err
		}()
		tb.mu.Unlock()
		if err := <-got; err != nil {
			t.Fatalf("repeated POST: %v", err)
		}
		tb.mu.Lock()
		l := tb.m[k]
		tb.mu.Unlock()
		if l == nil || l == old {
			t.Fatalf("after the repeated POST the table holds %p (the fired lease was %p): want a new lease", l, old)
		}
		if _, err := tb.renew(k, tok, time.Minute); err != nil {
			t.Fatalf("renewing the new lease: %v", err)
		}
	}
}
