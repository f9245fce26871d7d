package s3store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/storetest"
	"github.com/gopersist/persist/stores/storetest/memotest"
)

func TestConformance(t *testing.T) {
	needServer(t)
	open := func(t *testing.T) *stores.Store { return openStore(t, nil) }
	storetest.Run(t, open)
	memotest.Run(t, open)
}

func BenchmarkStore(b *testing.B) {
	needServer(b)
	storetest.Bench(b, func(b *testing.B) *stores.Store { return openStore(b, nil) })
}

// BenchmarkLarge measures Get and Put of a 16 MiB result, which
// storetest.Bench does not, against the in-memory store timed in the same
// run over as many operations (x_memstore).
func BenchmarkLarge(b *testing.B) {
	value := make([]byte, 16<<20)
	for i := range value {
		value[i] = byte(i)
	}
	rec := stores.Record{Result: value, Key: []byte("benchmark key")}
	ops := map[string]func(ctx context.Context, st *stores.Store, fn string) error{
		"Put": func(ctx context.Context, st *stores.Store, fn string) error { return st.Put(ctx, fn, "h", rec) },
		"Get": func(ctx context.Context, st *stores.Store, fn string) error {
			got, err := st.Get(ctx, fn, "h")
			if err == nil && len(got.Result) != len(value) {
				err = fmt.Errorf("Get: %d bytes, want %d", len(got.Result), len(value))
			}
			return err
		},
	}
	for _, name := range []string{"Get", "Put"} {
		op := ops[name]
		b.Run(name+"/16MiB", func(b *testing.B) {
			st := openStore(b, nil)
			fn := "BenchLarge_" + randomHex(4)
			b.Cleanup(func() { _ = st.Clear(context.Background(), fn) })
			ctx := b.Context()
			if err := st.Put(ctx, fn, "h", rec); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(value)))
			n := 0
			for b.Loop() {
				if err := op(ctx, st, fn); err != nil {
					b.Fatal(err)
				}
				n++
			}
			perOp := float64(b.Elapsed()) / float64(n)
			floor := memstore.Open("s3store-bench-floor-" + randomHex(4))
			defer floor.Close()
			if err := floor.Put(ctx, fn, "h", rec); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			for range n {
				if err := op(ctx, floor, fn); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(perOp/(float64(time.Since(start))/float64(n)), "x_memstore")
			_ = floor.Clear(ctx, fn)
		})
	}
}
