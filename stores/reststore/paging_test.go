package reststore_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/reststore"
)

// countLists counts the list requests a server answers: GETs of a
// function's collection, /persist/<funcname>.
func countLists(n *atomic.Int32) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.Count(r.URL.Path, "/") == 2 {
				n.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestEntriesPagesByHash(t *testing.T) {
	var lists atomic.Int32
	ts := newServer(t, server.Options{}, countLists(&lists))
	st := open(t, ts, reststore.Options{PageSize: 5})
	ctx := t.Context()
	var want []string
	for i := range 23 {
		h := fmt.Sprintf("h%02d", (i*7)%23) // put out of order
		want = append(want, h)
		if err := st.Put(ctx, "f", h, stores.Record{Result: []byte("r" + h)}); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(want)
	var got []string
	for e, err := range st.Entries(ctx, "f", stores.AllParts) {
		if err != nil {
			t.Fatalf("Entries: %v", err)
		}
		if string(e.Result) != "r"+e.Hash {
			t.Errorf("entry %q: Result = %q", e.Hash, e.Result)
		}
		got = append(got, e.Hash)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Entries yielded %q, want %q", got, want)
	}
	if n := lists.Load(); n != 5 {
		t.Errorf("Entries of 23 records in pages of 5 made %d list requests, want 5", n)
	}
}

func TestEntriesWhileRecordsChange(t *testing.T) {
	ts := newServer(t, server.Options{}, nil)
	st := open(t, ts, reststore.Options{PageSize: 5})
	ctx := t.Context()
	for i := range 30 {
		if err := st.Put(ctx, "f", fmt.Sprintf("h%02d", i), stores.Record{Result: []byte("r")}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]int{}
	n := 0
	for e, err := range st.Entries(ctx, "f", stores.AllParts) {
		if err != nil {
			t.Fatalf("Entries: %v", err)
		}
		seen[e.Hash]++
		if n++; n == 7 {
			// Behind the cursor and ahead of it, records come and go.
			for _, h := range []string{"h01", "h02", "h20", "h21", "h22"} {
				if err := st.Delete(ctx, "f", h); err != nil {
					t.Fatal(err)
				}
			}
			for _, h := range []string{"h00a", "h25a"} {
				if err := st.Put(ctx, "f", h, stores.Record{Result: []byte("new")}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for i := range 30 {
		h := fmt.Sprintf("h%02d", i)
		deleted := h == "h20" || h == "h21" || h == "h22"
		switch {
		case deleted && seen[h] != 0:
			t.Errorf("hash %s, deleted before its page was read, was yielded", h)
		case !deleted && seen[h] != 1:
			t.Errorf("hash %s, stored throughout (or read before its deletion), was yielded %d times, want once", h, seen[h])
		}
	}
	// Records put while the listing runs may be yielded or not, once at
	// most.
	for _, h := range []string{"h00a", "h25a"} {
		if seen[h] > 1 {
			t.Errorf("hash %s, put during the listing, was yielded %d times, want at most once", h, seen[h])
		}
	}
}

func TestPutReplacesOnRefusingServer(t *testing.T) {
	ts := newServer(t, server.Options{RefuseDuplicates: true}, nil)
	st := open(t, ts, reststore.Options{})
	ctx := t.Context()
	for _, v := range []string{"first", "second", "third"} {
		if err := st.Put(ctx, "f", "h", stores.Record{Result: []byte(v)}); err != nil {
			t.Fatalf("Put(%q): %v", v, err)
		}
		rec, err := st.Get(ctx, "f", "h")
		if err != nil || string(rec.Result) != v {
			t.Fatalf("Get after Put(%q) = %q, %v", v, rec.Result, err)
		}
	}
	if n, err := st.Len(ctx, "f"); err != nil || n != 1 {
		t.Fatalf("Len = %d, %v; want 1", n, err)
	}

	// Writers racing on one hash all succeed, and one of them wins.
	var wg sync.WaitGroup
	written := sync.Map{}
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				v := fmt.Sprintf("g%d-%d", g, i)
				written.Store(v, true)
				if err := st.Put(ctx, "f", "h", stores.Record{Result: []byte(v)}); err != nil {
					t.Errorf("concurrent Put(%q): %v", v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	rec, err := st.Get(ctx, "f", "h")
	if err != nil {
		t.Fatalf("Get after the race: %v", err)
	}
	if _, ok := written.Load(string(rec.Result)); !ok {
		t.Errorf("Get after the race = %q, which no writer wrote", rec.Result)
	}
	if n, err := st.Len(ctx, "f"); err != nil || n != 1 {
		t.Errorf("Len after the race = %d, %v; want 1", n, err)
	}
}

// rawItem fetches an item as JSON, bypassing the Store.
func rawItem(t *testing.T, base, funcname, hash string) wire.Item {
	t.Helper()
	resp, err := http.Get(base + "/persist/" + funcname + "/" + hash)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/%s: %d %s", funcname, hash, resp.StatusCode, body)
	}
	var it wire.Item
	if err := json.Unmarshal(body, &it); err != nil {
		t.Fatalf("GET %s/%s: %v in %s", funcname, hash, err, body)
	}
	return it
}

func TestWireEncoding(t *testing.T) {
	ts := newServer(t, server.Options{}, nil)
	st := open(t, ts, reststore.Options{})
	ctx := t.Context()

	// A text record travels as the text, as a Python client sends it.
	if err := st.Put(ctx, "pow", "2_to_the_3", stores.Record{Result: []byte("8"), Key: []byte("(2, 3)")}); err != nil {
		t.Fatal(err)
	}
	it := rawItem(t, ts.URL, "pow", "2_to_the_3")
	if it.Namespace != wire.NamespaceText || it.Result != "8" || it.Key == nil || *it.Key != "(2, 3)" || it.Metadata != nil {
		t.Errorf("text record on the wire = %+v, want namespace %q, result \"8\", key \"(2, 3)\", no metadata", it, wire.NamespaceText)
	}

	// Bytes that are not UTF-8 travel in base64, every field alike.
	bin := stores.Record{Result: []byte{0x28, 0xb5, 0x2f, 0xfd, 0}, Meta: []byte("text meta")}
	if err := st.Put(ctx, "pow", "binary", bin); err != nil {
		t.Fatal(err)
	}
	it = rawItem(t, ts.URL, "pow", "binary")
	if it.Namespace != wire.NamespaceBase64 ||
		it.Result != base64.StdEncoding.EncodeToString(bin.Result) ||
		it.Metadata == nil || *it.Metadata != base64.StdEncoding.EncodeToString(bin.Meta) || it.Key != nil {
		t.Errorf("binary record on the wire = %+v, want namespace %q and base64 fields", it, wire.NamespaceBase64)
	}
	rec, err := st.Get(ctx, "pow", "binary")
	if err != nil || string(rec.Result) != string(bin.Result) || string(rec.Meta) != "text meta" || rec.Key != nil {
		t.Errorf("Get of the binary record = %+v, %v", rec, err)
	}
}
