package persist_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
)

// Benchmarks of the memory tier (stores.Tier): a repeated hit on a file
// store with the URL option memory=16MiB, beside a memory store's hit of the
// same record as its floor, interleaved.

// BenchmarkTierHit compares a memoised call that hits a file store's memory
// tier with the same call on a memory store.
func BenchmarkTierHit(b *testing.B) {
	file, mem := tierPair(b)
	memHit := func(i int) { sink.Add(int64(mem(i & 7))) }
	interleaved(b, "memstore-hit", memHit, func(i int) { sink.Add(int64(file(i & 7))) })
	b.ReportMetric(testing.AllocsPerRun(100, func() { memHit(1) }), "memstore-allocs/call")
}

// tierPair memoises triple on a file store with a memory tier and on a
// memory store, and hits each of them once for every argument 0 to 7.
func tierPair(b *testing.B) (file, mem func(int) int) {
	dir := b.TempDir()
	file, fileMemo, err := persist.Wrap(plainTriple, persist.Options{Cache: "file://" + dir + "?memory=16MiB", FuncName: "triple"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fileMemo.Close() })
	mem, memMemo, err := persist.Wrap(plainTriple, persist.Options{Cache: fmt.Sprint("mem://bench-tier-", time.Now().UnixNano()), FuncName: "triple"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { memMemo.Close() })
	for i := range 8 {
		file(i) // the miss, which writes the entry
		file(i) // the first hit, which fills the tier
		mem(i)
	}
	return file, mem
}

// BenchmarkTierHitParallel is BenchmarkTierHit with 1, 2, 8 and 64
// goroutines sharing b.N hits, in alternating blocks: the tier's hits take
// no exclusive lock, so their throughput should follow the memory store's.
func BenchmarkTierHitParallel(b *testing.B) {
	for _, g := range []int{1, 2, 8, 64} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			file, mem := tierPair(b)
			var tMem, tFile time.Duration
			const blocks = 8
			per := max(1, b.N/blocks)
			for range blocks {
				tMem += inGoroutines(g, per, func(i int) { sink.Add(int64(mem(i & 7))) })
				tFile += inGoroutines(g, per, func(i int) { sink.Add(int64(file(i & 7))) })
			}
			reportPair(b, "memstore-hit", tMem, tFile, per*blocks)
			b.ReportMetric(float64(per*blocks)/tFile.Seconds(), "hits/s")
		})
	}
}

// BenchmarkTierStoreRead compares stores.Store.Read of a record in a file
// store's memory tier with a memory store's Read of the same record: the
// tier's own cost, without the root package's. With memory_ttl=forever a
// hit reads no clock.
func BenchmarkTierStoreRead(b *testing.B) {
	for _, ttl := range []string{"5s", "forever"} {
		b.Run("ttl="+ttl, func(b *testing.B) { benchTierStoreRead(b, ttl) })
	}
}

func benchTierStoreRead(b *testing.B, ttl string) {
	ctx := context.Background()
	file, err := stores.Open(ctx, "file://"+filepath.Join(b.TempDir(), "persist")+"?memory=16MiB&memory_ttl="+ttl)
	if err != nil {
		b.Fatal(err)
	}
	defer file.Close()
	mem, err := stores.Open(ctx, fmt.Sprint("mem://bench-tier-read-", time.Now().UnixNano()))
	if err != nil {
		b.Fatal(err)
	}
	defer mem.Close()
	const fn, hash = "f", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	rec := stores.Record{Result: bytes.Repeat([]byte("r"), 64), Key: []byte("key")}
	for _, st := range []*stores.Store{file, mem} {
		if err := st.Put(ctx, fn, hash, rec); err != nil {
			b.Fatal(err)
		}
	}
	read := func(st *stores.Store) func(int) {
		return func(int) {
			if _, err := st.Read(ctx, fn, hash, stores.PartResult); err != nil {
				b.Fatal(err)
			}
		}
	}
	fileRead, memRead := read(file), read(mem)
	fileRead(0) // the fill
	interleaved(b, "memstore-read", memRead, fileRead)
	b.ReportMetric(testing.AllocsPerRun(100, func() { memRead(0) }), "memstore-allocs/call")
	if st, _ := file.MemoryTierStats(); st.Misses != 1 {
		b.Fatalf("the tier missed %d times, want 1 (the fill)", st.Misses)
	}
}
