package stores_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/storetest"
)

// openBudget opens a fresh memory space with the URL's budget options.
func openBudget(t *testing.T, options string) *stores.Store {
	t.Helper()
	url := fmt.Sprintf("mem://budget-%s-%d?%s", t.Name(), time.Now().UnixNano(), options)
	st, err := stores.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open(%q): %v", url, err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func entries(t *testing.T, st *stores.Store, funcs ...string) (n int, bytes int64) {
	t.Helper()
	for _, fn := range funcs {
		for m, err := range st.ListAll(t.Context(), fn) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			bytes += m.Size
		}
	}
	return n, bytes
}

// TestBudgetEntries writes ten times the budget across two functions and
// reads one entry throughout: the store never holds more than its budget
// after a write, and the entry in use survives.
func TestBudgetEntries(t *testing.T) {
	ctx := t.Context()
	st := openBudget(t, "max_entries=20")
	put := func(fn, hash string) {
		t.Helper()
		if err := st.Put(ctx, fn, hash, stores.Record{Result: []byte("result of " + hash)}); err != nil {
			t.Fatal(err)
		}
	}
	put("f", "kept")
	for i := range 200 {
		put([]string{"f", "g"}[i%2], fmt.Sprintf("h%03d", i))
		if _, err := st.Get(ctx, "f", "kept"); err != nil {
			t.Fatalf("after write %d: the entry in use is gone: %v", i, err)
		}
		if n, _ := entries(t, st, "f", "g"); n > 20 {
			t.Fatalf("after write %d: %d entries, budget 20", i, n)
		}
	}
	if n, _ := entries(t, st, "f", "g"); n < 16 {
		t.Errorf("%d entries at the end, want the budget's 80%% or more", n)
	}
	// The newest writes are kept, the oldest went.
	if _, err := st.Get(ctx, "g", "h199"); err != nil {
		t.Errorf("the last write is gone: %v", err)
	}
	if _, err := st.Get(ctx, "f", "h000"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("the first write is still there: %v", err)
	}
}

// TestBudgetBytes bounds the bytes: 1 KiB records under max_size=16KiB.
func TestBudgetBytes(t *testing.T) {
	st := openBudget(t, "max_size=16KiB")
	for i := range 100 {
		if err := st.Put(t.Context(), "f", fmt.Sprintf("h%03d", i), stores.Record{Result: make([]byte, 1024)}); err != nil {
			t.Fatal(err)
		}
		if _, bytes := entries(t, st, "f"); bytes > 16<<10 {
			t.Fatalf("after write %d: %d bytes, budget 16 KiB", i, bytes)
		}
	}
}

// TestBudgetAmortised counts the listing a budget costs: a trim lists the
// store, and brings it to 90% of its budget, so trims come once per tenth
// of the budget's writes, not at every write.
func TestBudgetAmortised(t *testing.T) {
	var d driver.Store
	memstore.Open(fmt.Sprintf("budget-amortised-%d", time.Now().UnixNano())).As(&d)
	c := storetest.NewCounting(d)
	st := stores.NewStore(c.Driver(), "mem://counted")
	if err := st.SetBudget(stores.Budget{MaxEntries: 100}); err != nil {
		t.Fatal(err)
	}
	const writes = 1000
	for i := range writes {
		if err := st.Put(t.Context(), "f", fmt.Sprintf("h%04d", i), stores.Record{Result: []byte("r")}); err != nil {
			t.Fatal(err)
		}
	}
	got := c.Counts()
	// The first write scans once; then a trim at least every 21 writes.
	if got.Lists > writes/20+2 {
		t.Errorf("%d List calls for %d writes under a budget of 100: a listing at nearly every write", got.Lists, writes)
	}
	if got.Deletes < writes-100 {
		t.Errorf("%d deletes for %d writes, want at least %d", got.Deletes, writes, writes-100)
	}
	if got.ResultReads+got.KeyReads+got.MetaReads != 0 || got.ResultBytes+got.KeyBytes+got.MetaBytes != 0 {
		t.Errorf("trims read %d results, %d keys, %d metadata (%d bytes), want none: they weigh entries by their metadata",
			got.ResultReads, got.KeyReads, got.MetaReads, got.ResultBytes+got.KeyBytes+got.MetaBytes)
	}
	t.Logf("%d writes: %d List calls, %d metadata listed, %d deletes", writes, got.Lists, got.Listed, got.Deletes)
}

// TestBudgetNeedsFuncs refuses a budget on a store that cannot list its
// functions, and bad options.
func TestBudgetNeedsFuncs(t *testing.T) {
	var d driver.Store
	memstore.Open("budget-no-funcs").As(&d)
	st := stores.NewStore(struct{ driver.Store }{d}, "mem://budget-no-funcs")
	if err := st.SetBudget(stores.Budget{MaxBytes: 1 << 20}); !errors.Is(err, stores.ErrUnsupported) {
		t.Errorf("SetBudget on a store without Funcs = %v, want ErrUnsupported", err)
	}
	for _, bad := range []string{"max_size=lots", "max_size=0", "max_entries=-3", "max_entries=x"} {
		if _, err := stores.Open(t.Context(), "mem://budget-bad?"+bad); err == nil {
			t.Errorf("Open with %s succeeded", bad)
		}
	}
}

// TestPlan chooses by age and by last use, reading nothing.
func TestPlan(t *testing.T) {
	ctx := t.Context()
	st := openBudget(t, "")
	for _, h := range []string{"a", "b", "c", "d"} {
		if err := st.Put(ctx, "f", h, stores.Record{Result: make([]byte, 100)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Get(ctx, "f", "a"); err != nil { // a is now the most recently used
		t.Fatal(err)
	}
	doomed, kept, keptBytes, err := st.Plan(ctx, []string{"f"}, stores.Policy{Budget: stores.Budget{MaxBytes: 250}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(doomed) != 2 || doomed[0].Hash != "b" || doomed[1].Hash != "c" || doomed[0].Reason != "size" || kept != 2 || keptBytes != 200 {
		t.Errorf("Plan = %+v, kept %d (%d bytes); want b and c for size, a and d kept", doomed, kept, keptBytes)
	}
	doomed, _, _, err = st.Plan(ctx, []string{"f"}, stores.Policy{OlderThan: time.Nanosecond}, time.Now().Add(time.Hour))
	if err != nil || len(doomed) != 4 || doomed[0].Reason != "age" {
		t.Errorf("Plan by age = %+v, %v; want all four", doomed, err)
	}
}

// TestTrimSkipsRewritten plans an entry's removal by its age, then writes
// it again, as another process might: Trim leaves the new entry.
func TestTrimSkipsRewritten(t *testing.T) {
	ctx := t.Context()
	st := openBudget(t, "")
	if err := st.Put(ctx, "f", "h", stores.Record{Result: []byte("old")}); err != nil {
		t.Fatal(err)
	}
	doomed, _, _, err := st.Plan(ctx, []string{"f"}, stores.Policy{OlderThan: time.Nanosecond}, time.Now().Add(time.Hour))
	if err != nil || len(doomed) != 1 {
		t.Fatalf("Plan = %v, %v", doomed, err)
	}
	time.Sleep(time.Millisecond) // a later Created
	if err := st.Put(ctx, "f", "h", stores.Record{Result: []byte("fresh")}); err != nil {
		t.Fatal(err)
	}
	removed, _, err := st.Trim(ctx, doomed, nil)
	if err != nil || len(removed) != 0 {
		t.Errorf("Trim = %v, %v; want nothing removed", removed, err)
	}
	if rec, err := st.Get(ctx, "f", "h"); err != nil || string(rec.Result) != "fresh" {
		t.Errorf("the entry written after the plan: %q, %v", rec.Result, err)
	}
}
