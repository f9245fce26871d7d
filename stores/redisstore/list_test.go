package redisstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/gopersist/persist/stores"
)

// TestListPaging lists a few thousand records in pages of several sizes:
// every hash exactly once, in ascending byte order, and the funcname's
// keys only.
func TestListPaging(t *testing.T) {
	const records = 3000
	for name, base := range map[string]string{"single": needServer(t), "cluster": needCluster(t)} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := openStore(t, base)
			fn, other := "paging_"+newToken(), "paging_other_"+newToken()
			t.Cleanup(func() {
				_ = st.Clear(context.Background(), fn)
				_ = st.Clear(context.Background(), other)
			})
			want := make([]string, records)
			for i := range want {
				// Hashes of varied lengths, so that byte order differs from
				// numeric order and from insertion order.
				want[i] = fmt.Sprintf("%x", i*7919)
			}
			putMany(t, st, fn, want)
			putMany(t, st, other, []string{"0", "zz"})
			slices.Sort(want)
			for _, n := range []int{1, 7, 500, records, stores.MaxPage} {
				if n == 1 && testing.Short() {
					continue
				}
				var got []string
				token := ""
				pages := 0
				for {
					page, next, err := st.List(t.Context(), fn, token, n)
					if err != nil {
						t.Fatalf("List(n=%d) page %d: %v", n, pages, err)
					}
					for _, m := range page {
						got = append(got, m.Hash)
						if m.Size != int64(len("result of "+m.Hash)) || m.Created.IsZero() {
							t.Fatalf("List: %+v, want Size %d and Created set", m, len("result of "+m.Hash))
						}
					}
					pages++
					if next == "" {
						break
					}
					token = next
				}
				if !slices.Equal(got, want) {
					t.Errorf("List in pages of %d: %d hashes, want the %d put, once each in order", n, len(got), len(want))
				}
				if wantPages := (records + n - 1) / n; pages != wantPages && pages != wantPages+1 {
					t.Errorf("List in pages of %d took %d pages, want %d", n, pages, wantPages)
				}
			}
			if n, err := st.Len(t.Context(), fn); err != nil || n != records {
				t.Errorf("Len = %d, %v; want %d", n, err, records)
			}
		})
	}
}

// putMany puts a record under each hash, from a few goroutines.
func putMany(t *testing.T, st *stores.Store, fn string, hashes []string) {
	t.Helper()
	var g errgroup
	for w := range 4 {
		g.Go(func() error {
			for i := w; i < len(hashes); i += 4 {
				h := hashes[i]
				if err := st.Put(t.Context(), fn, h, stores.Record{Result: []byte("result of " + h)}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

// errgroup runs functions and keeps the first error.
type errgroup struct {
	wg   sync.WaitGroup
	once sync.Once
	err  error
}

func (g *errgroup) Go(f func() error) {
	g.wg.Go(func() {
		if err := f(); err != nil {
			g.once.Do(func() { g.err = err })
		}
	})
}

func (g *errgroup) Wait() error { g.wg.Wait(); return g.err }
