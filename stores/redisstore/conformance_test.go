package redisstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/storetest"
	"github.com/gopersist/persist/stores/storetest/memotest"
)

type driverStore = driver.Store

func TestConformance(t *testing.T) {
	base := needServer(t)
	open := func(t *testing.T) *stores.Store { return openStore(t, base) }
	storetest.Run(t, open)
	memotest.Run(t, open)
}

// TestConformanceCluster runs the suite on a three-node cluster, with
// chunks smaller than the default.
func TestConformanceCluster(t *testing.T) {
	base := withOptions(t, needCluster(t), "chunk", "1MiB")
	open := func(t *testing.T) *stores.Store { return openStore(t, base) }
	storetest.Run(t, open)
	memotest.Run(t, open)
}

func BenchmarkStore(b *testing.B) {
	base := needServer(b)
	storetest.Bench(b, func(b *testing.B) *stores.Store { return openStore(b, base) })
}

func BenchmarkStoreCluster(b *testing.B) {
	base := needCluster(b)
	storetest.Bench(b, func(b *testing.B) *stores.Store { return openStore(b, base) })
}

// BenchmarkLarge measures Get and Put of a 16 MiB result, which
// storetest.Bench does not, in chunks of the default 4 MiB and of 16 MiB. Each reports x_memstore, its time per operation divided by
// the in-memory store's over as many operations in the same run.
func BenchmarkLarge(b *testing.B) {
	const size = 16 << 20
	value := randomBytes(size, 7)
	rec := stores.Record{Result: value, Key: []byte("benchmark key")}
	for _, chunk := range []string{"4MiB", "16MiB"} {
		for _, op := range []string{"Get", "Put"} {
			b.Run(op+"/16MiB/chunk="+chunk, func(b *testing.B) {
				st := openStore(b, withOptions(b, needServer(b), "chunk", chunk))
				floor := memstore.Open("redisstore-bench-" + newToken())
				fn := "bench_large_" + newToken()
				b.Cleanup(func() { _ = st.Clear(context.Background(), fn) })
				do := func(st *stores.Store) error {
					if op == "Put" {
						return st.Put(b.Context(), fn, "h", rec)
					}
					got, err := st.Get(b.Context(), fn, "h")
					if err == nil && len(got.Result) != size {
						err = fmt.Errorf("Get: %d bytes", len(got.Result))
					}
					return err
				}
				for _, s := range []*stores.Store{st, floor} {
					if err := s.Put(b.Context(), fn, "h", rec); err != nil {
						b.Fatal(err)
					}
				}
				b.SetBytes(size)
				n := 0
				for b.Loop() {
					if err := do(st); err != nil {
						b.Fatal(err)
					}
					n++
				}
				perOp := float64(b.Elapsed()) / float64(n)
				start := time.Now()
				for range n {
					if err := do(floor); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(perOp/(float64(time.Since(start))/float64(n)), "x_memstore")
			})
		}
	}
}
