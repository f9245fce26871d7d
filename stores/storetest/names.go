package storetest

import (
	"errors"
	"strings"
	"testing"

	"github.com/gopersist/persist/stores"
)

// awkwardHashes are valid hashes that escape URLs, queries, shells or file
// layouts if a store handles them carelessly.
var awkwardHashes = []string{
	"with space",
	" leading and trailing ",
	"100%",
	"%2F",
	"q?x=1&y=2",
	"frag#1",
	"a+b",
	"ключ-鍵-🔑",
	".hidden",
	".x",
	"..x",
	"x",
	"x.out",
	"x.key",
	"x.meta",
	"x.tmp",
	"CaseSensitive",
	"casesensitive",
	"$dollar",
	"a.b.c",
	"*",
	"-",
	"~",
	"tab\there",
	"new\nline",
	strings.Repeat("h", stores.MaxNameLen),
	strings.Repeat("é", stores.MaxNameLen/2),
}

// invalidNames must be refused, as funcnames and as hashes.
var invalidNames = []string{
	"",
	".",
	"..",
	"a/b",
	"/",
	`a\b`,
	"a\x00b",
	strings.Repeat("h", stores.MaxNameLen+1),
}

func testAwkwardHashes(t *testing.T, s *suite) {
	st := s.handle(t)
	fn := newFunc(t, st)
	for _, h := range awkwardHashes {
		put(t, st, fn, h, record("result of "+h, ptr("key of "+h), ptr("meta of "+h)))
	}
	for _, h := range awkwardHashes {
		rec, err := st.Get(t.Context(), fn, h)
		if err != nil {
			t.Errorf("Get(%q): %v", h, err)
			continue
		}
		if string(rec.Result) != "result of "+h || string(rec.Key) != "key of "+h || string(rec.Meta) != "meta of "+h {
			t.Errorf("Get(%q) = {%q, %q, %q}, want the record put under it", h, rec.Result, rec.Key, rec.Meta)
		}
	}
	got := collect(t, st, fn)
	for _, h := range awkwardHashes {
		if rec, ok := got[h]; !ok {
			t.Errorf("Entries is missing hash %q", h)
		} else if string(rec.Result) != "result of "+h {
			t.Errorf("Entries, hash %q: Result = %q", h, rec.Result)
		}
	}
	if len(got) != len(awkwardHashes) {
		t.Errorf("Entries yielded %d entries, want %d", len(got), len(awkwardHashes))
	}
	if n := length(t, st, fn); n != len(awkwardHashes) {
		t.Errorf("Len = %d, want %d", n, len(awkwardHashes))
	}
	for _, h := range awkwardHashes {
		if err := st.Delete(t.Context(), fn, h); err != nil {
			t.Errorf("Delete(%q): %v", h, err)
		}
	}
	if n := length(t, st, fn); n != 0 {
		t.Errorf("Len after deleting every awkward hash = %d, want 0", n)
	}
}

func testInvalidNames(t *testing.T, s *suite) {
	st := s.handle(t)
	fn := newFunc(t, st)
	put(t, st, fn, "valid", record("r", nil, nil))
	ctx := t.Context()
	wantInvalid := func(call string, name string, err error) {
		t.Helper()
		if !errors.Is(err, stores.ErrInvalidName) {
			t.Errorf("%s with %q: err = %v, want ErrInvalidName", call, name, err)
		}
	}
	for _, bad := range invalidNames {
		wantInvalid("Put hash", bad, st.Put(ctx, fn, bad, record("r", nil, nil)))
		_, err := st.Get(ctx, fn, bad)
		wantInvalid("Get hash", bad, err)
		wantInvalid("Delete hash", bad, st.Delete(ctx, fn, bad))

		wantInvalid("Put funcname", bad, st.Put(ctx, bad, "h", record("r", nil, nil)))
		_, err = st.Get(ctx, bad, "h")
		wantInvalid("Get funcname", bad, err)
		wantInvalid("Delete funcname", bad, st.Delete(ctx, bad, "h"))
		_, err = st.Len(ctx, bad)
		wantInvalid("Len funcname", bad, err)
		wantInvalid("Clear funcname", bad, st.Clear(ctx, bad))
		n := 0
		for _, err := range st.Entries(ctx, bad, stores.AllParts) {
			n++
			wantInvalid("Entries funcname", bad, err)
		}
		if n != 1 {
			t.Errorf("Entries with funcname %q yielded %d times, want one error", bad, n)
		}
		if locker := st; st.CanLock() {
			unlock, err := locker.Lock(ctx, fn, bad)
			wantInvalid("Lock hash", bad, err)
			if err == nil {
				unlock()
			}
		}
	}
	got := collect(t, st, fn)
	if len(got) != 1 {
		hashes := make([]string, 0, len(got))
		for h := range got {
			hashes = append(hashes, h)
		}
		t.Errorf("after refused Puts the funcname holds %q, want only \"valid\"", hashes)
	}
	if rec := get(t, st, fn, "valid"); string(rec.Result) != "r" {
		t.Errorf("the valid record after refused calls: Result = %q", rec.Result)
	}
}
