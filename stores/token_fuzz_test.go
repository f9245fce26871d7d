package stores_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/memstore"
)

// tokenHashes are the records FuzzPageToken lists, beside the fuzzed ones.
var tokenHashes = []string{"a", "h", "h1", "z", "\u00e9", "\xff", strings.Repeat("m", stores.MaxNameLen)}

// FuzzPageToken feeds List arbitrary page tokens, and tokens of arbitrary
// hashes. A token either lists a run of the records in order or is an
// error wrapping ErrInvalidName; it never panics. The token of a valid hash
// lists exactly the records after that hash, so that decoding gives back the
// hash that was encoded: a record is put under the hash itself, which must
// not be listed, and under the hash followed by \x01, the next hash there
// can be, which must be.
func FuzzPageToken(f *testing.F) {
	for _, s := range []string{
		"", "1.", "1.aA", "1.aDE", "1.aDE=", "2.aDE", "x", "1.!!", "1.\x00",
		stores.PageTokenAfter("h"), stores.PageTokenAfter("a/b"), stores.PageTokenAfter(".."),
		stores.PageTokenAfter(strings.Repeat("x", stores.MaxNameLen+1)), "h", "a/b", "\xff\xfe",
	} {
		f.Add(s)
	}
	st := memstore.Open("stores-fuzz-page-token")
	defer st.Close()
	f.Fuzz(func(t *testing.T, s string) {
		ctx := t.Context()
		const fn = "f"
		defer st.Clear(ctx, fn)
		hashes := slices.Clone(tokenHashes)
		if st.CheckName("hash", s) == nil {
			hashes = append(hashes, s)
			if st.CheckName("hash", s+"\x01") == nil {
				hashes = append(hashes, s+"\x01")
			}
		}
		for _, h := range hashes {
			if err := st.Put(ctx, fn, h, stores.Record{}); err != nil {
				t.Fatal(err)
			}
		}
		slices.Sort(hashes)
		hashes = slices.Compact(hashes)

		// s as a token.
		page, next, err := st.List(ctx, fn, s, 3)
		if err != nil {
			if !errors.Is(err, stores.ErrInvalidName) || stores.ErrorCode(err) != driver.InvalidName {
				t.Fatalf("List with token %q: %v, want ErrInvalidName", s, err)
			}
			if page != nil || next != "" {
				t.Fatalf("List with token %q failed, yet returned %d records and next %q", s, len(page), next)
			}
		} else if len(page) > 0 {
			i := slices.Index(hashes, page[0].Hash)
			if i < 0 || !slices.Equal(hashesOf(page), hashes[i:min(i+3, len(hashes))]) {
				t.Fatalf("List with token %q = %q: not a run of %q", s, hashesOf(page), hashes)
			}
			if (next == "") != (i+len(page) == len(hashes)) {
				t.Fatalf("List with token %q = %q, next %q: a next token where none follows, or none where one does", s, hashesOf(page), next)
			}
		}

		// s as a hash.
		token := stores.PageTokenAfter(s)
		page, _, err = st.List(ctx, fn, token, stores.MaxPage)
		switch {
		case s == "":
			if token != "" || err != nil || len(page) != len(hashes) {
				t.Fatalf("PageTokenAfter(\"\") = %q, lists %d, %v; want \"\", every record", token, len(page), err)
			}
		case st.CheckName("hash", s) != nil:
			if !errors.Is(err, stores.ErrInvalidName) {
				t.Fatalf("List after invalid hash %q: %v, want ErrInvalidName", s, err)
			}
		default:
			var want []string
			for _, h := range hashes {
				if h > s {
					want = append(want, h)
				}
			}
			if err != nil || !slices.Equal(hashesOf(page), want) {
				t.Fatalf("List after hash %q (token %q) = %q, %v; want %q", s, token, hashesOf(page), err, want)
			}
		}
	})
}

func hashesOf(page []stores.Meta) []string {
	h := make([]string, len(page))
	for i, m := range page {
		h[i] = m.Hash
	}
	return h
}
