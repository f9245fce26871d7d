package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/gopersist/persist/stores"
)

// testOwner checks the owner record: absent at first, claimed once, kept
// apart from the records, removed by Clear.
func testOwner(t *testing.T, s *suite) {
	ctx := context.Background()
	st := s.handle(t)
	fn := newFunc(t, st)
	if _, err := st.Owner(ctx, fn); !errors.Is(err, stores.ErrNotFound) {
		t.Fatalf("Owner of a new funcname: err = %v, want ErrNotFound", err)
	}
	first, second := []byte("owner one\n"), []byte("owner two\n")
	got, err := st.ClaimOwner(ctx, fn, first)
	if err != nil || !bytes.Equal(got, first) {
		t.Fatalf("first ClaimOwner = %q, %v; want %q", got, err, first)
	}
	got[0] = 'X' // the store must not keep the slice it returned
	if got, err := st.ClaimOwner(ctx, fn, second); err != nil || !bytes.Equal(got, first) {
		t.Fatalf("second ClaimOwner = %q, %v; want the first claim %q", got, err, first)
	}
	if got, err := st.Owner(ctx, fn); err != nil || !bytes.Equal(got, first) {
		t.Fatalf("Owner = %q, %v; want %q", got, err, first)
	}
	// The record is no entry of the function.
	if n := length(t, st, fn); n != 0 {
		t.Errorf("Len with only an owner record = %d, want 0", n)
	}
	if got := collect(t, st, fn); len(got) != 0 {
		t.Errorf("Entries with only an owner record yielded %d entries", len(got))
	}
	if st.CanListFuncs() {
		for name, err := range st.Funcs(ctx) {
			if err != nil {
				t.Fatalf("Funcs: %v", err)
			}
			if name == fn {
				t.Errorf("Funcs lists %s, which has an owner record and no entry", fn)
			}
		}
	}
	// Clear removes it with the records, so that another owner can claim.
	put(t, st, fn, "h", record("r", nil, nil))
	if err := st.Clear(ctx, fn); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	if _, err := st.Owner(ctx, fn); !errors.Is(err, stores.ErrNotFound) {
		t.Fatalf("Owner after Clear: err = %v, want ErrNotFound", err)
	}
	if got, err := st.ClaimOwner(ctx, fn, second); err != nil || !bytes.Equal(got, second) {
		t.Fatalf("ClaimOwner after Clear = %q, %v; want %q", got, err, second)
	}
	// Another funcname's owner is its own.
	other := newFunc(t, st)
	if _, err := st.Owner(ctx, other); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Owner of another funcname: err = %v, want ErrNotFound", err)
	}
	for _, name := range invalidNames {
		if _, err := st.Owner(ctx, name); !errors.Is(err, stores.ErrInvalidName) {
			t.Errorf("Owner(%q): err = %v, want ErrInvalidName", name, err)
		}
		if _, err := st.ClaimOwner(ctx, name, first); !errors.Is(err, stores.ErrInvalidName) {
			t.Errorf("ClaimOwner(%q): err = %v, want ErrInvalidName", name, err)
		}
	}
}

// testOwnerRace checks that of concurrent claims through several handles
// exactly one wins and every claimant learns which.
func testOwnerRace(t *testing.T, s *suite) {
	const claimants = 8
	st := s.handle(t)
	fn := newFunc(t, st)
	handles := make([]*stores.Store, claimants)
	for i := range handles {
		handles[i] = s.handle(t)
	}
	results := make([][]byte, claimants)
	errs := make([]error, claimants)
	var wg sync.WaitGroup
	for i, h := range handles {
		wg.Go(func() {
			results[i], errs[i] = h.ClaimOwner(context.Background(), fn, fmt.Appendf(nil, "claimant %d", i))
		})
	}
	wg.Wait()
	for i := range claimants {
		if errs[i] != nil {
			t.Fatalf("claimant %d: %v", i, errs[i])
		}
		if !bytes.Equal(results[i], results[0]) {
			t.Fatalf("claimant %d was told the owner is %q, claimant 0 %q", i, results[i], results[0])
		}
	}
	got, err := st.Owner(context.Background(), fn)
	if err != nil || !bytes.Equal(got, results[0]) {
		t.Fatalf("Owner = %q, %v; the claims said %q", got, err, results[0])
	}
}
