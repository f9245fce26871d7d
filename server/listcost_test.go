package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/storetest"
)

// countedFixture is a server over a memory store whose driver counts the
// calls the server makes, holding n records of "f" (hashes h0000000...).
type countedFixture struct {
	*fixture
	counts *storetest.Counting
}

func newCountedFixture(t *testing.T, n int) *countedFixture {
	t.Helper()
	mem := memstore.Open(fmt.Sprintf("server-listcost-%s-%d", t.Name(), n))
	st, counts := storetest.WrapCounting(mem)
	ctx := context.Background()
	for i := range n {
		if err := st.Put(ctx, "f", fmt.Sprintf("h%07d", i), stores.Record{Result: []byte("result"), Key: []byte("key")}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = st.Clear(context.Background(), "f"); _ = st.Close() })
	ts := httptest.NewServer(server.New(st, server.Options{}))
	t.Cleanup(ts.Close)
	return &countedFixture{fixture: &fixture{url: ts.URL, store: st}, counts: counts}
}

// list answers GET /persist/f?query and the record reads and listed
// metadata it cost.
func (f *countedFixture) list(t *testing.T, query url.Values) (wire.Page, storetest.Counts) {
	t.Helper()
	f.counts.Reset()
	a := f.do(t, http.MethodGet, "/persist/f?"+query.Encode(), nil, "")
	if a.status != http.StatusOK {
		t.Fatalf("GET ?%s answered %d: %s", query.Encode(), a.status, a.body)
	}
	var p wire.Page
	decodeJSON(t, a, &p)
	return p, f.counts.Counts()
}

// TestListReadsOnlyItsPage proves what the issue asks of the list
// endpoint: a page of n items reads at most n records (exactly those it
// answers), whatever the function holds, for every query pypersist and the
// REST store send; a where on one hash is one read; the count and a
// metadata page read none.
func TestListReadsOnlyItsPage(t *testing.T) {
	for _, size := range []int{10, 10_000, 100_000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			if size > 10_000 && testing.Short() {
				t.Skip("100,000 records in -short mode")
			}
			f := newCountedFixture(t, size)
			last := (size + 24) / 25
			queries := []url.Values{
				{},                               // pypersist's len() and iteration: the first page
				{"page": {"2"}},                  // the next page, as Eve's links say
				{"page": {fmt.Sprint(last)}},     // the last page
				{"page": {fmt.Sprint(last + 5)}}, // past the end: empty
				{"max_results": {"7"}, "page": {"3"}},
				{"where": {`{"hash": {"$gt": "h0000005"}}`}, "sort": {"hash"}, "max_results": {"4"}},
				{"where": {`{"hash": "h0000003"}`}},
				{"where": {`{"hash": "nosuchhash"}`}},
				{wire.CursorParam: {""}, "max_results": {"50"}},
			}
			for _, q := range queries {
				p, c := f.list(t, q)
				want := int64(len(p.Items))
				if strings.HasPrefix(q.Get("where"), `{"hash": "`) {
					want = 1 // the lookup, found or not
				}
				if c.Reads != want {
					t.Errorf("?%s over %d records answered %d items and read %d records, want as many", q.Encode(), size, len(p.Items), c.Reads)
				}
				if c.Reads > 50 {
					t.Errorf("?%s over %d records read %d records, more than a page", q.Encode(), size, c.Reads)
				}
			}

			// A where on one hash is one read and no listing.
			_, c := f.list(t, url.Values{"where": {`{"hash": "h0000003"}`}})
			if c.Reads != 1 || c.Lists != 0 {
				t.Errorf("where on one hash: %d reads and %d lists, want 1 and 0", c.Reads, c.Lists)
			}

			// Page k of n lists about k*n hashes of metadata, not the
			// function's every hash (Len counts natively on memory).
			_, c = f.list(t, url.Values{"page": {"2"}, "max_results": {"10"}})
			if c.Listed > 21 {
				t.Errorf("page 2 of 10 listed %d hashes, want at most 21", c.Listed)
			}

			// A metadata page reads nothing.
			_, c = f.list(t, url.Values{wire.CursorParam: {""}, wire.ProjectionParam: {`{"result": 0, "key": 0, "metadata": 0}`}})
			if c.Reads != 0 {
				t.Errorf("a metadata page read %d records, want none", c.Reads)
			}

			// HEAD counts, reading nothing.
			f.counts.Reset()
			if a := f.do(t, http.MethodHead, "/persist/f", nil, ""); a.header.Get(wire.TotalCountHeader) != fmt.Sprint(size) {
				t.Errorf("HEAD: %s = %q, want %d", wire.TotalCountHeader, a.header.Get(wire.TotalCountHeader), size)
			}
			if c := f.counts.Counts(); c.Reads != 0 || c.Lists != 0 {
				t.Errorf("HEAD read %d records and made %d lists, want none", c.Reads, c.Lists)
			}
		})
	}
}
