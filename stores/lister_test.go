//go:build unix

package stores_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
	"github.com/gopersist/persist/stores/memstore"
)

// entriesOnly hides every optional interface of a store, so that List takes
// its fallback through Entries.
type entriesOnly struct{ s stores.Store }

func (e entriesOnly) Get(ctx context.Context, f, h string) (stores.Record, error) {
	return e.s.Get(ctx, f, h)
}
func (e entriesOnly) Put(ctx context.Context, f, h string, r stores.Record) error {
	return e.s.Put(ctx, f, h, r)
}
func (e entriesOnly) Delete(ctx context.Context, f, h string) error  { return e.s.Delete(ctx, f, h) }
func (e entriesOnly) Len(ctx context.Context, f string) (int, error) { return e.s.Len(ctx, f) }
func (e entriesOnly) Clear(ctx context.Context, f string) error      { return e.s.Clear(ctx, f) }
func (e entriesOnly) Entries(ctx context.Context, f string) iter.Seq2[stores.Entry, error] {
	return e.s.Entries(ctx, f)
}
func (e entriesOnly) Close() error { return e.s.Close() }
func (e entriesOnly) Owner(ctx context.Context, f string) ([]byte, error) {
	return e.s.Owner(ctx, f)
}
func (e entriesOnly) ClaimOwner(ctx context.Context, f string, owner []byte) ([]byte, error) {
	return e.s.ClaimOwner(ctx, f, owner)
}

// listStores are the stores List is checked on: the two native Listers and
// the fallback.
func listStores(t *testing.T) map[string]stores.Store {
	fs, err := filestore.Open(t.TempDir(), filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mem := memstore.Open(fmt.Sprintf("lister-test-%s-%d", t.Name(), time.Now().UnixNano()))
	t.Cleanup(func() { _ = mem.Clear(context.Background(), "f") })
	return map[string]stores.Store{
		"file":     fs,
		"mem":      mem,
		"fallback": entriesOnly{memstore.Open(fmt.Sprintf("lister-fallback-%d", time.Now().UnixNano()))},
	}
}

// TestListPagesInHashOrder pages through 23 records with every page size
// and checks that the pages, joined, are every record once, sorted, with
// the size and creation time Get reports.
func TestListPagesInHashOrder(t *testing.T) {
	ctx := context.Background()
	for name, st := range listStores(t) {
		t.Run(name, func(t *testing.T) {
			want := map[string]stores.Meta{}
			for i := range 23 {
				h := fmt.Sprintf("h%02d", (i*7)%23) // written out of order
				rec := stores.Record{Result: make([]byte, i), Key: make([]byte, i%3)}
				if i%2 == 0 {
					rec.Meta = []byte("m")
				}
				if err := st.Put(ctx, "f", h, rec); err != nil {
					t.Fatal(err)
				}
				got, err := st.Get(ctx, "f", h)
				if err != nil {
					t.Fatal(err)
				}
				want[h] = stores.Meta{Hash: h, Size: int64(len(got.Result) + len(got.Key) + len(got.Meta)), Created: got.Created}
			}
			if err := st.Put(ctx, "other", "h00", stores.Record{Result: []byte("x")}); err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{-1, 1, 2, 5, 22, 23, 24, 100} {
				var all []stores.Meta
				token, pages := "", 0
				for {
					page, next, err := stores.List(ctx, st, "f", token, n)
					if err != nil {
						t.Fatalf("n=%d: %v", n, err)
					}
					if len(page) > max(n, 1) {
						t.Fatalf("n=%d: page of %d", n, len(page))
					}
					all = append(all, page...)
					pages++
					if next == "" {
						break
					}
					token = next
				}
				if wantPages := (23 + max(n, 1) - 1) / max(n, 1); pages != wantPages {
					t.Errorf("n=%d: %d pages, want %d", n, pages, wantPages)
				}
				if !slices.IsSortedFunc(all, func(a, b stores.Meta) int { return strings.Compare(a.Hash, b.Hash) }) {
					t.Errorf("n=%d: pages not in hash order", n)
				}
				if len(all) != len(want) {
					t.Fatalf("n=%d: listed %d records, want %d", n, len(all), len(want))
				}
				for _, m := range all {
					w := want[m.Hash]
					if m.Size != w.Size || !m.Created.Equal(w.Created) {
						t.Errorf("n=%d: %+v, want %+v", n, m, w)
					}
				}
			}
		})
	}
}

// TestListEmpty checks a function with no records, in every store.
func TestListEmpty(t *testing.T) {
	for name, st := range listStores(t) {
		page, next, err := stores.List(context.Background(), st, "nothing", "", 10)
		if err != nil || len(page) != 0 || next != "" {
			t.Errorf("%s: List of no records = %v, %q, %v", name, page, next, err)
		}
	}
}

// TestListChecksNames checks that List refuses an unsafe funcname as the
// other operations do.
func TestListChecksNames(t *testing.T) {
	for name, st := range listStores(t) {
		if name == "fallback" {
			continue
		}
		if _, _, err := stores.List(context.Background(), st, "../x", "", 10); !errors.Is(err, stores.ErrInvalidName) {
			t.Errorf("%s: List(../x) = %v, want ErrInvalidName", name, err)
		}
	}
}

// TestFileListNeverFollowsLinks checks that a file store's List reads
// nothing through a symbolic link: a linked .out is not a record, a linked
// .key counts no bytes, and a linked function directory has no records.
func TestFileListNeverFollowsLinks(t *testing.T) {
	ctx := context.Background()
	dir, outside := t.TempDir(), t.TempDir()
	st, err := filestore.Open(dir, filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "f", "real", stores.Record{Result: []byte("abc")}); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(outside, "big")
	if err := os.WriteFile(big, make([]byte, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	fdir := filepath.Join(dir, "f")
	for _, link := range []string{"linked.out", "real.key"} {
		if err := os.Symlink(big, filepath.Join(fdir, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(fdir, "dir.out"), 0o755); err != nil {
		t.Fatal(err)
	}
	page, _, err := st.List(ctx, "f", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || page[0].Hash != "real" || page[0].Size != 3 {
		t.Errorf("List = %+v, want only real, of 3 bytes", page)
	}

	if err := os.Symlink(fdir, filepath.Join(dir, "g")); err != nil {
		t.Fatal(err)
	}
	if page, _, err := st.List(ctx, "g", "", 10); err != nil || len(page) != 0 {
		t.Errorf("List of a linked directory = %+v, %v; want no records", page, err)
	}
}

// TestFileListDoesNotReadResults checks that List reports a damaged
// record by its size: it never reads the file.
func TestFileListDoesNotReadResults(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := filestore.Open(dir, filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "f"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "f", "h.out"), []byte("not a pickle"), 0o644); err != nil {
		t.Fatal(err)
	}
	page, next, err := st.List(ctx, "f", "", 10)
	if err != nil || next != "" || len(page) != 1 || page[0].Size != int64(len("not a pickle")) {
		t.Errorf("List = %+v, %q, %v", page, next, err)
	}
}
