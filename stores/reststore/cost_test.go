package reststore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/reststore"
	"github.com/gopersist/persist/stores/storetest"
)

// countedServer serves a memory store whose driver counts what the server
// asks of it, on a loopback port, and counts the list requests it answers.
func countedServer(t *testing.T, opts server.Options) (*httptest.Server, *stores.Store, *storetest.Counting, *atomic.Int32) {
	t.Helper()
	mem := memstore.Open("reststore-cost-" + t.Name())
	st, counts := storetest.WrapCounting(mem)
	t.Cleanup(func() { _ = st.Clear(context.Background(), "f"); _ = st.Close() })
	var lists atomic.Int32
	ts := httptest.NewServer(countLists(&lists)(server.New(st, opts)))
	t.Cleanup(ts.Close)
	return ts, st, counts, &lists
}

// TestListIsLinear iterates a function's metadata through the REST store
// and checks what it cost the server: one list request per page, no
// record read, and about one listed hash per hash iterated, where paging
// by where-hash-greater with Eve's totals listed the function's every
// record for each page.
func TestListIsLinear(t *testing.T) {
	const n, page = 2000, 100
	ts, backing, counts, lists := countedServer(t, server.Options{})
	for i := range n {
		if err := backing.Put(t.Context(), "f", fmt.Sprintf("h%05d", i), stores.Record{Result: []byte("r")}); err != nil {
			t.Fatal(err)
		}
	}
	st := open(t, ts, reststore.Options{PageSize: page})
	counts.Reset()
	got := 0
	for m, err := range st.ListAll(t.Context(), "f") {
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("h%05d", got); m.Hash != want || m.Size != 1 || m.Created.IsZero() {
			t.Fatalf("entry %d = %+v, want %s of size 1 with its time", got, m, want)
		}
		got++
	}
	if got != n {
		t.Fatalf("ListAll yielded %d entries, want %d", got, n)
	}
	c := counts.Counts()
	requests := int64(lists.Load())
	if c.Reads != 0 {
		t.Errorf("listing read %d records on the server, want none", c.Reads)
	}
	if requests > n/page+n/500+2 {
		t.Errorf("listing %d entries in pages of %d made %d list requests", n, page, requests)
	}
	if c.Listed > n+2*requests {
		t.Errorf("listing %d entries made the server list %d hashes, want about %d", n, c.Listed, n)
	}
}

// TestReadAsksOnlyForParts checks that a hit that needs the result makes
// the server read the result alone, and that the record's other parts
// come back when asked for.
func TestReadAsksOnlyForParts(t *testing.T) {
	ts, _, counts, _ := countedServer(t, server.Options{})
	st := open(t, ts, reststore.Options{})
	if err := st.Put(t.Context(), "f", "h", stores.Record{Result: []byte("res"), Key: []byte("key"), Meta: []byte("meta")}); err != nil {
		t.Fatal(err)
	}
	counts.Reset()
	rec, err := st.Read(t.Context(), "f", "h", stores.PartResult)
	if err != nil || string(rec.Result) != "res" || rec.Key != nil || rec.Meta != nil || rec.Created.IsZero() {
		t.Fatalf("Read(PartResult) = %+v, %v; want the result and the time only", rec, err)
	}
	if c := counts.Counts(); c.Reads != 1 || c.KeyReads != 0 || c.MetaReads != 0 || c.KeyBytes != 0 || c.MetaBytes != 0 {
		t.Errorf("Read(PartResult) made the server read %+v, want the result only", c)
	}
	for _, parts := range []stores.Parts{stores.PartKey, stores.PartMeta, stores.PartKey | stores.PartMeta, stores.AllParts, 0} {
		rec, err := st.Read(t.Context(), "f", "h", parts)
		if err != nil {
			t.Fatalf("Read(%b): %v", parts, err)
		}
		for part, got := range map[stores.Parts][]byte{stores.PartResult: rec.Result, stores.PartKey: rec.Key, stores.PartMeta: rec.Meta} {
			if parts.Has(part) != (got != nil) {
				t.Errorf("Read(%b): part %b = %q", parts, part, got)
			}
		}
	}
}

// strictDriver is a memory store's driver that keeps hashes of at most 10
// bytes, so that its server refuses hashes the REST store accepts.
type strictDriver struct{ driver.Store }

func (strictDriver) NameRules() driver.NameRules { return driver.NameRules{MaxLen: 10} }

// TestErrorCodes checks the codes of the server's refusals.
func TestErrorCodes(t *testing.T) {
	var mem driver.Store
	memstore.Open("reststore-codes-" + t.Name()).As(&mem)
	ts := httptest.NewServer(server.New(stores.NewStore(strictDriver{mem}, "mem://strict"), server.Options{MaxBody: 1 << 10}))
	t.Cleanup(ts.Close)
	st := open(t, ts, reststore.Options{})
	ctx := t.Context()
	if err := st.Put(ctx, "f", strings.Repeat("h", 11), stores.Record{Result: []byte("r")}); !errors.Is(err, stores.ErrInvalidName) {
		t.Errorf("Put of a hash the server's store refuses: err = %v, want ErrInvalidName", err)
	}
	if err := st.Put(ctx, "f", "h", stores.Record{Result: make([]byte, 2<<10)}); !errors.Is(err, stores.ErrTooLarge) {
		t.Errorf("Put of a record over the server's limit: err = %v, want ErrTooLarge", err)
	}
	if _, err := st.Read(ctx, "f", "nosuch", stores.PartResult); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Read of a missing hash: err = %v, want ErrNotFound", err)
	}
	if err := st.Delete(ctx, "f", "nosuch"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Delete of a missing hash: err = %v, want ErrNotFound", err)
	}
	if _, err := st.Owner(ctx, "f"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Owner with none stored: err = %v, want ErrNotFound", err)
	}
}
