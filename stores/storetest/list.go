package storetest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gopersist/persist/stores"
)

// The guarantees of Store.List, each a subtest of List:
//
//   - Order: pages hold the records in ascending byte order of hash, every
//     page but the last holds exactly n, the next token is "" after the last
//     page and only there, and each record is listed once.
//   - Meta: Size is len(Result)+len(Key)+len(Meta) and Created is the one
//     Read reports.
//   - Owner: the owner record is never listed.
//   - Clamp: n below 1 lists one record, n above MaxPage asks the driver for
//     no more than a page of MaxPage.
//   - Handles: a token from one handle continues the listing on another.
//   - DeletedToken: a token stays valid when the record it ends on is
//     deleted.
//   - BadToken: a malformed token is an error wrapping ErrInvalidName.
//   - ClosedToken: a token on a closed handle is an error wrapping ErrClosed.
//   - Concurrent: under concurrent writes of other hashes and deletes, every
//     record that is not touched is listed exactly once, in order.
//   - Consistent: ListAll, Len and Entries agree with List, read what they
//     must and no more.
func testList(t *testing.T, s *suite) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *suite)
	}{
		{"Order", testListOrder},
		{"Meta", testListMeta},
		{"Owner", testListOwner},
		{"Clamp", testListClamp},
		{"Handles", testListHandles},
		{"DeletedToken", testListDeletedToken},
		{"BadToken", testListBadToken},
		{"ClosedToken", testListClosedToken},
		{"Concurrent", testListConcurrent},
		{"Consistent", testListConsistent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, s)
		})
	}
}

// listPages reads every page of fn with pages of n, checking the shape of
// each page and of the token sequence, and returns the records in the order
// listed.
func listPages(t testing.TB, st *stores.Store, fn string, n int) []stores.Meta {
	t.Helper()
	return listPagesOf(t, st, fn, n, false)
}

// listPagesWhileChanging is listPages while another handle writes and
// deletes: the record after a page, which made List give a next token,
// may be gone when the next page is asked for, which is then empty.
func listPagesWhileChanging(t testing.TB, st *stores.Store, fn string, n int) []stores.Meta {
	t.Helper()
	return listPagesOf(t, st, fn, n, true)
}

func listPagesOf(t testing.TB, st *stores.Store, fn string, n int, changing bool) []stores.Meta {
	t.Helper()
	var all []stores.Meta
	token := ""
	for pages := 0; ; pages++ {
		if pages > 100000 {
			t.Fatalf("List(%s, n=%d) gave a next token after %d pages", fn, n, pages)
		}
		page, next, err := st.List(t.Context(), fn, token, n)
		if err != nil {
			t.Fatalf("List(%s, page %d, n=%d): %v", fn, pages+1, n, err)
		}
		if len(page) > n {
			t.Fatalf("List(%s, page %d, n=%d) returned %d records", fn, pages+1, n, len(page))
		}
		if next != "" && len(page) != n {
			t.Fatalf("List(%s, page %d, n=%d) returned %d records and a next token: only the last page may be short",
				fn, pages+1, n, len(page))
		}
		if next == "" && len(page) == 0 && pages > 0 && !changing {
			t.Fatalf("List(%s, n=%d): page %d is empty, but the page before gave a next token: the token "+
				"must be \"\" on the last page that holds records", fn, n, pages+1)
		}
		if next == token && next != "" {
			t.Fatalf("List(%s, page %d, n=%d) gave back the token it was given", fn, pages+1, n)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		token = next
	}
}

// hashesOf returns the hashes of metas, in their order.
func hashesOf(metas []stores.Meta) []string {
	h := make([]string, len(metas))
	for i, m := range metas {
		h[i] = m.Hash
	}
	return h
}

// checkAscending fails t unless hashes ascend strictly in byte order: the
// order, and each hash at most once.
func checkAscending(t testing.TB, what string, hashes []string) {
	t.Helper()
	for i := 1; i < len(hashes); i++ {
		if hashes[i] <= hashes[i-1] {
			t.Fatalf("%s: hash %q follows %q: want strictly ascending byte order, each hash once",
				what, hashes[i], hashes[i-1])
		}
	}
}

// validHashes returns those of hashes that st accepts.
func validHashes(st *stores.Store, hashes []string) []string {
	var ok []string
	for _, h := range hashes {
		if st.CheckName("hash", h) == nil {
			ok = append(ok, h)
		}
	}
	return ok
}

// orderHashes are hashes whose byte order differs from a case-insensitive,
// numeric, locale or UTF-16 order, beside the awkward ones.
var orderHashes = []string{
	"B", "a", "b", "A", "_", "Z", "z", "0", "9", "10", "2", "a0", "a_", "aA", "a~",
	"\x7f", "\u00e9", "e\u0301", "\uff21", "\U0001f511", "\u00ff", "h", "h0", "h00",
}

func testListOrder(t *testing.T, s *suite) {
	st := s.handle(t)
	fn := newFunc(t, st)
	hashes := validHashes(st, slices.Concat(orderHashes, awkwardHashes))
	for i, h := range hashes {
		put(t, st, fn, h, stores.Record{Result: []byte(fmt.Sprint(i))})
	}
	want := slices.Clone(hashes)
	slices.Sort(want)
	for _, n := range []int{1, 2, 3, 7, len(want) - 1, len(want), len(want) + 1, 1000} {
		got := hashesOf(listPages(t, st, fn, n))
		if !slices.Equal(got, want) {
			t.Errorf("List with pages of %d listed\n%q\nwant\n%q", n, got, want)
		}
	}
	// An unused funcname has one empty page.
	page, next, err := st.List(t.Context(), newFunc(t, st), "", 10)
	if err != nil || len(page) != 0 || next != "" {
		t.Errorf("List of an unused funcname = %d records, next %q, %v; want none, \"\", nil", len(page), next, err)
	}
}

func testListMeta(t *testing.T, s *suite) {
	st := s.handle(t)
	fn := newFunc(t, st)
	want := map[string]stores.Record{}
	for i, tc := range roundTripCases {
		hash := fmt.Sprintf("h%02d", i)
		put(t, st, fn, hash, tc.rec)
		want[hash] = tc.rec
	}
	big := stores.Record{Result: make([]byte, 1<<20+3), Key: []byte("k"), Meta: make([]byte, 1000)}
	put(t, st, fn, "big", big)
	want["big"] = big
	metas := listPages(t, st, fn, 4)
	if len(metas) != len(want) {
		t.Fatalf("List listed %d records, want %d", len(metas), len(want))
	}
	for _, m := range metas {
		rec, ok := want[m.Hash]
		if !ok {
			t.Errorf("List listed %q, which was never put", m.Hash)
			continue
		}
		if size := int64(len(rec.Result) + len(rec.Key) + len(rec.Meta)); m.Size != size {
			t.Errorf("List: %q has Size %d, want %d: len(Result)+len(Key)+len(Meta)", m.Hash, m.Size, size)
		}
		got := get(t, st, fn, m.Hash)
		if !m.Created.Equal(got.Created) {
			t.Errorf("List: %q has Created %v, Get reports %v: want the same time", m.Hash, m.Created, got.Created)
		}
	}
}

func testListOwner(t *testing.T, s *suite) {
	st := s.handle(t)
	fn := newFunc(t, st)
	if _, err := st.ClaimOwner(t.Context(), fn, []byte("owner")); err != nil {
		t.Fatalf("ClaimOwner: %v", err)
	}
	page, next, err := st.List(t.Context(), fn, "", 10)
	if err != nil || len(page) != 0 || next != "" {
		t.Errorf("List of a funcname with only an owner record = %q, next %q, %v; want nothing", hashesOf(page), next, err)
	}
	for _, h := range []string{"a", "h", "z"} {
		put(t, st, fn, h, record("r", nil, nil))
	}
	for _, n := range []int{1, 2, 10} {
		if got := hashesOf(listPages(t, st, fn, n)); !slices.Equal(got, []string{"a", "h", "z"}) {
			t.Errorf("List beside an owner record, pages of %d = %q, want the three records", n, got)
		}
	}
}

func testListClamp(t *testing.T, s *suite) {
	st, c := s.counted(t)
	fn := newFunc(t, st)
	for _, h := range []string{"h1", "h2", "h3"} {
		put(t, st, fn, h, record("r", nil, nil))
	}
	for _, n := range []int{0, -1, math.MinInt} {
		page, next, err := st.List(t.Context(), fn, "", n)
		if err != nil || len(page) != 1 || next == "" {
			t.Errorf("List(n=%d) = %d records, next %q, %v; want one record and a next token", n, len(page), next, err)
		}
	}
	for _, n := range []int{stores.MaxPage + 1, math.MaxInt} {
		c.Reset()
		page, next, err := st.List(t.Context(), fn, "", n)
		if err != nil || len(page) != 3 || next != "" {
			t.Errorf("List(n=%d) = %d records, next %q, %v; want all three, no next token", n, len(page), next, err)
		}
		// The portable store may ask for one more than a page, to know
		// whether another follows, and no more.
		if got := c.Counts().ListMax; got > stores.MaxPage+1 {
			t.Errorf("List(n=%d) asked the driver for %d records, more than a page of MaxPage (%d)", n, got, stores.MaxPage)
		}
	}
}

func testListHandles(t *testing.T, s *suite) {
	a, b := s.handle(t), s.handle(t)
	fn := newFunc(t, a)
	var want []string
	for i := range 10 {
		h := fmt.Sprintf("h%02d", i)
		put(t, a, fn, h, record("r", nil, nil))
		want = append(want, h)
	}
	var got []string
	token := ""
	for i := 0; ; i++ {
		st := []*stores.Store{a, b}[i%2]
		page, next, err := st.List(t.Context(), fn, token, 3)
		if err != nil {
			t.Fatalf("List on handle %d with a token from the other: %v", i%2, err)
		}
		got = append(got, hashesOf(page)...)
		if next == "" || i > 10 {
			break
		}
		token = next
	}
	if !slices.Equal(got, want) {
		t.Errorf("List alternating between two handles = %q, want %q", got, want)
	}
}

func testListDeletedToken(t *testing.T, s *suite) {
	st := s.handle(t)
	fn := newFunc(t, st)
	for i := range 6 {
		put(t, st, fn, fmt.Sprintf("h%d", i), record("r", nil, nil))
	}
	page, next, err := st.List(t.Context(), fn, "", 2)
	if err != nil || len(page) != 2 || next == "" {
		t.Fatalf("List(n=2) = %d records, next %q, %v", len(page), next, err)
	}
	// The token ends on h1; deleting h1 must not lose or repeat the rest.
	if err := st.Delete(t.Context(), fn, page[1].Hash); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	rest, _, err := st.List(t.Context(), fn, next, 10)
	if err != nil {
		t.Fatalf("List with a token whose record was deleted: %v", err)
	}
	if got := hashesOf(rest); !slices.Equal(got, []string{"h2", "h3", "h4", "h5"}) {
		t.Errorf("List after the token's record was deleted = %q, want [h2 h3 h4 h5]", got)
	}
}

// badTokens are malformed page tokens.
var badTokens = []string{
	"x",
	"1",
	"1.",
	"1.!!",
	"1.aDE=",            // padded
	"1.aD E",            // a space
	"2." + b64("h1"),    // a later version
	"." + b64("h1"),     // no version
	" 1." + b64("h1"),   // leading space
	"1." + b64("a/b"),   // a hash no store holds
	"1." + b64("a\x00"), // NUL
	"1." + b64(".."),    // a directory
	"1." + strings.Repeat("A", 4*stores.MaxNameLen), // too long
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func testListBadToken(t *testing.T, s *suite) {
	st := s.handle(t)
	fn := newFunc(t, st)
	put(t, st, fn, "h1", record("r", nil, nil))
	for _, token := range badTokens {
		page, next, err := st.List(t.Context(), fn, token, 10)
		if !errors.Is(err, stores.ErrInvalidName) {
			t.Errorf("List with token %q = %d records, next %q, err %v; want ErrInvalidName", token, len(page), next, err)
			continue
		}
		checkOpError(t, "List with a bad token", err, st, "list", fn, "")
	}
}

func testListClosedToken(t *testing.T, s *suite) {
	st, other := s.handle(t), s.handle(t)
	fn := newFunc(t, other)
	for i := range 4 {
		put(t, other, fn, fmt.Sprintf("h%d", i), record("r", nil, nil))
	}
	_, next, err := st.List(t.Context(), fn, "", 2)
	if err != nil || next == "" {
		t.Fatalf("List(n=2) = next %q, %v", next, err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, token := range []string{next, "", "malformed"} {
		if _, _, err := st.List(t.Context(), fn, token, 2); !errors.Is(err, stores.ErrClosed) {
			t.Errorf("List with token %q after Close: err = %v, want ErrClosed", token, err)
		}
	}
	// The token still works on an open handle.
	page, _, err := other.List(t.Context(), fn, next, 2)
	if got := hashesOf(page); err != nil || !slices.Equal(got, []string{"h2", "h3"}) {
		t.Errorf("List on another handle with the closed handle's token = %q, %v; want [h2 h3]", got, err)
	}
}

// testListConcurrent pages through records while another handle deletes
// some and writes others, interleaved with them in hash order.
func testListConcurrent(t *testing.T, s *suite) {
	const stable = 60
	st, writer := s.handle(t), s.handle(t)
	fn := newFunc(t, st)
	known := map[string]bool{}
	for i := range stable {
		h := fmt.Sprintf("s%03d", i)
		put(t, st, fn, h, record("stable", nil, nil))
		known[h] = true
		put(t, st, fn, h+"d", record("deleted", nil, nil))
		known[h+"d"], known[h+"w"] = true, true
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	wg.Go(func() {
		// Odd rounds put back what even rounds deleted and delete what
		// they wrote, so that every page may meet a change.
		for round := 0; ; round++ {
			for i := range stable {
				select {
				case <-stop:
					return
				default:
				}
				h := fmt.Sprintf("s%03d", i)
				gone, added := h+"d", h+"w"
				if round%2 == 1 {
					gone, added = added, gone
				}
				if err := writer.Delete(t.Context(), fn, gone); err != nil && !errors.Is(err, stores.ErrNotFound) {
					writeErr = err
					return
				}
				if err := writer.Put(t.Context(), fn, added, record("written", nil, nil)); err != nil {
					writeErr = err
					return
				}
			}
		}
	})
	for pass := range 3 {
		got := hashesOf(listPagesWhileChanging(t, st, fn, 4))
		checkAscending(t, fmt.Sprintf("pass %d of List under concurrent writes", pass), got)
		seen := map[string]bool{}
		for _, h := range got {
			if !known[h] {
				t.Errorf("pass %d: List listed %q, which was never put", pass, h)
			}
			seen[h] = true
		}
		for i := range stable {
			if h := fmt.Sprintf("s%03d", i); !seen[h] {
				t.Errorf("pass %d: List under concurrent writes of other hashes missed %q", pass, h)
			}
		}
	}
	close(stop)
	wg.Wait()
	if writeErr != nil {
		t.Fatalf("the concurrent writer: %v", writeErr)
	}
}

// testListConsistent checks ListAll, Len and Entries against List, and,
// through a counting driver, that they read only what they return.
func testListConsistent(t *testing.T, s *suite) {
	st, c := s.counted(t)
	fn := newFunc(t, st)
	want := map[string]stores.Record{}
	for i := range 13 {
		h := fmt.Sprintf("h%02d", i)
		rec := record(strings.Repeat("r", i+1), nil, nil)
		switch i % 3 {
		case 1:
			rec = record(strings.Repeat("r", i+1), ptr("key "+h), ptr("meta "+h))
		case 2:
			rec = record(strings.Repeat("r", i+1), nil, ptr("meta "+h))
		}
		put(t, st, fn, h, rec)
		want[h] = rec
	}
	listed := listPages(t, st, fn, 5)

	c.Reset()
	var all []stores.Meta
	for m, err := range st.ListAll(t.Context(), fn) {
		if err != nil {
			t.Fatalf("ListAll: %v", err)
		}
		all = append(all, m)
	}
	if n := length(t, st, fn); n != len(listed) {
		t.Errorf("Len = %d, List listed %d", n, len(listed))
	}
	if got := c.Counts(); got.Reads != 0 {
		t.Errorf("ListAll and Len made %d Read calls of the driver, want none", got.Reads)
	}
	if len(all) != len(listed) {
		t.Fatalf("ListAll yielded %d records, List %d", len(all), len(listed))
	}
	for i, m := range all {
		if l := listed[i]; m.Hash != l.Hash || m.Size != l.Size || !m.Created.Equal(l.Created) {
			t.Errorf("ListAll's record %d is %+v, List's %+v", i, m, l)
		}
	}

	for parts := stores.Parts(0); parts <= stores.AllParts; parts++ {
		c.Reset()
		i := 0
		for e, err := range st.Entries(t.Context(), fn, parts) {
			if err != nil {
				t.Fatalf("Entries(parts=%03b): %v", parts, err)
			}
			if i >= len(listed) || e.Hash != listed[i].Hash {
				t.Fatalf("Entries(parts=%03b) yielded %q as record %d; List listed %q", parts, e.Hash, i, hashesOf(listed))
			}
			if !e.Created.Equal(listed[i].Created) {
				t.Errorf("Entries(parts=%03b), %q: Created %v, List's %v", parts, e.Hash, e.Created, listed[i].Created)
			}
			w := want[e.Hash]
			check := func(part stores.Parts, name string, got, want []byte) {
				t.Helper()
				switch {
				case parts.Has(part) && !bytes.Equal(got, want):
					t.Errorf("Entries(parts=%03b), %q: %s %q, want %q", parts, e.Hash, name, got, want)
				case !parts.Has(part) && got != nil:
					t.Errorf("Entries(parts=%03b), %q: %s %q, want nil: not asked for", parts, e.Hash, name, got)
				}
			}
			check(stores.PartResult, "Result", e.Result, w.Result)
			check(stores.PartKey, "Key", e.Key, w.Key)
			check(stores.PartMeta, "Meta", e.Meta, w.Meta)
			i++
		}
		if i != len(listed) {
			t.Errorf("Entries(parts=%03b) yielded %d records, List listed %d", parts, i, len(listed))
		}
		// One Read per record, none when no part is asked for: the listing
		// has the hashes and times.
		got := c.Counts()
		if wantReads := int64(len(listed)); parts == 0 && got.Reads != 0 || parts != 0 && got.Reads != wantReads {
			t.Errorf("Entries(parts=%03b) of %d records made %d Read calls of the driver", parts, len(listed), got.Reads)
		}
		if !parts.Has(stores.PartResult) && (got.ResultReads != 0 || got.ResultBytes != 0) {
			t.Errorf("Entries(parts=%03b) asked the driver for %d results and got %d result bytes, want none",
				parts, got.ResultReads, got.ResultBytes)
		}
	}
}
