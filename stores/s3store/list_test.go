package s3store

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/gopersist/persist/stores"
)

// TestPaging lists 2,000 records a page at a time, through continuation
// tokens of the server and page tokens of the store: each record exactly
// once, in order, with its size.
func TestPaging(t *testing.T) {
	const records = 2000
	st := openStore(t, nil)
	fn := "Paging_" + randomHex(4)
	t.Cleanup(func() { _ = st.Clear(t.Context(), fn) })
	want := make([]string, records)
	size := map[string]int64{}
	for i := range want {
		want[i] = fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15)
		size[want[i]] = 16 + int64(i%3)
	}
	var wg sync.WaitGroup
	errs := make(chan error, records)
	sem := make(chan struct{}, 16)
	for i, h := range want {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := st.Put(t.Context(), fn, h, stores.Record{Result: []byte(h), Key: make([]byte, i%3)}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	slices.Sort(want)
	var got []string
	token := ""
	pages := 0
	for {
		page, next, err := st.List(t.Context(), fn, token, 137)
		if err != nil {
			t.Fatalf("List page %d: %v", pages, err)
		}
		pages++
		for _, m := range page {
			got = append(got, m.Hash)
			if m.Size != size[m.Hash] {
				t.Errorf("%s: Size %d, want %d", m.Hash, m.Size, size[m.Hash])
			}
		}
		if next == "" {
			break
		}
		token = next
	}
	if !slices.Equal(got, want) {
		t.Errorf("listed %d hashes over %d pages; want the %d put, each once, in order", len(got), pages, len(want))
	}
	if wantPages := (records + 136) / 137; pages != wantPages {
		t.Errorf("%d pages of 137, want %d", pages, wantPages)
	}
}

// TestListPrefixOrder lists hashes that are prefixes of one another, whose
// keys S3 lists in another order than the hashes' (x-.out before x.out),
// with every page size: each page is in hash order and continues exactly
// where the last ended.
func TestListPrefixOrder(t *testing.T) {
	st := openStore(t, nil)
	fn := "ListPrefixOrder_" + randomHex(4)
	t.Cleanup(func() { _ = st.Clear(t.Context(), fn) })
	// Bytes around '.', the first byte of the suffix, and 'o', its second.
	alphabet := []string{" ", "!", "-", ".", "0", "o", "ou", "out", "~"}
	var want []string
	var grow func(prefix string, depth int)
	grow = func(prefix string, depth int) {
		if prefix != "" {
			want = append(want, prefix)
		}
		if depth == 0 {
			return
		}
		for _, a := range alphabet {
			if len(prefix) < 4 {
				grow(prefix+a, depth-1)
			}
		}
	}
	grow("x", 2)
	var wg sync.WaitGroup
	for _, h := range want {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := st.Put(t.Context(), fn, h, stores.Record{Result: []byte(h)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	slices.Sort(want)
	for _, n := range []int{1, 2, 3, 7, 20, len(want), len(want) + 1} {
		var got []string
		token := ""
		for {
			page, next, err := st.List(t.Context(), fn, token, n)
			if err != nil {
				t.Fatalf("List(n=%d): %v", n, err)
			}
			for _, m := range page {
				got = append(got, m.Hash)
			}
			if next == "" {
				break
			}
			token = next
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages of %d listed\n%q\nwant\n%q", n, got, want)
		}
	}
}
