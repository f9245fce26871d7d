package stores_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/storetest"
)

// TestFallbacks checks what the portable store does for a driver with none
// of the optional interfaces, as optional.go documents it.
func TestFallbacks(t *testing.T) {
	counting := storetest.NewCounting(bare{Store: memDriver(t)})
	st := stores.NewStore(counting.Driver(), "mem://bare")
	defer st.Close()
	ctx := t.Context()

	// Len counts pages of List, reading no record.
	const records = 1234
	for i := range records {
		if err := st.Put(ctx, "f", fmt.Sprintf("h%05d", i), stores.Record{Result: []byte("r")}); err != nil {
			t.Fatal(err)
		}
	}
	counting.Reset()
	n, err := st.Len(ctx, "f")
	if err != nil || n != records {
		t.Fatalf("Len = %d, %v; want %d", n, err, records)
	}
	got := counting.Counts()
	if got.Lists < 2 || got.Listed < records || got.Reads != 0 || got.Lens != 0 {
		t.Errorf("Len without a Counter: %d List calls listing %d, %d Reads, %d Lens; want pages of List and nothing else",
			got.Lists, got.Listed, got.Reads, got.Lens)
	}

	if st.CanListFuncs() {
		t.Error("CanListFuncs = true for a driver without FuncLister")
	}
	calls := 0
	for name, err := range st.Funcs(ctx) {
		calls++
		if !errors.Is(err, stores.ErrUnsupported) || name != "" {
			t.Errorf("Funcs yielded %q, %v; want one error wrapping ErrUnsupported", name, err)
		}
	}
	if calls != 1 {
		t.Errorf("Funcs yielded %d times, want once", calls)
	}

	if st.CanLock() {
		t.Error("CanLock = true for a driver without Locker")
	}
	unlock, err := st.Lock(ctx, "f", "h00001")
	if !errors.Is(err, stores.ErrUnsupported) || unlock != nil {
		t.Errorf("Lock = %v, %v; want nil, ErrUnsupported", unlock != nil, err)
	}
	if stores.ErrorCode(err) != driver.Unsupported {
		t.Errorf("ErrorCode(Lock's error) = %d, want Unsupported", stores.ErrorCode(err))
	}

	if data, release, err := st.MapResult(ctx, "f", "h00001"); !errors.Is(err, stores.ErrUnsupported) || data != nil || release != nil {
		t.Errorf("MapResult = %q, %v, %v; want ErrUnsupported", data, release != nil, err)
	}

	// As: the driver itself, and nothing else.
	var d driver.Store
	if !st.As(&d) || d != counting.Driver() {
		t.Errorf("As(*driver.Store) = %v, want the driver NewStore was given", d)
	}
	var s string
	if st.As(&s) {
		t.Error("As(*string) = true for a driver without As")
	}
	if err := st.Clear(ctx, "f"); err != nil {
		t.Fatal(err)
	}
}

// TestFallbacksCheckFirst checks that the fallbacks refuse as every other
// call does first: on a closed store, and with an invalid name.
func TestFallbacksCheckFirst(t *testing.T) {
	st := bareStore(t, driver.NameRules{})
	ctx := t.Context()
	if _, err := st.Lock(ctx, "f", "a/b"); !errors.Is(err, stores.ErrInvalidName) {
		t.Errorf("Lock of an invalid hash: %v, want ErrInvalidName", err)
	}
	if _, _, err := st.MapResult(ctx, "..", "h"); !errors.Is(err, stores.ErrInvalidName) {
		t.Errorf("MapResult of an invalid funcname: %v, want ErrInvalidName", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Lock(ctx, "f", "h"); !errors.Is(err, stores.ErrClosed) {
		t.Errorf("Lock after Close: %v, want ErrClosed", err)
	}
	for _, err := range st.Funcs(ctx) {
		if !errors.Is(err, stores.ErrClosed) {
			t.Errorf("Funcs after Close: %v, want ErrClosed", err)
		}
	}
	if _, err := st.Len(ctx, "f"); !errors.Is(err, stores.ErrClosed) {
		t.Errorf("Len after Close: %v, want ErrClosed", err)
	}
}
