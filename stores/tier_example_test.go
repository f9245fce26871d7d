package stores_test

import (
	"context"
	"fmt"
	"time"

	"github.com/gopersist/persist/stores"
)

// A memory tier in front of a store, from the URL: the first read fills it,
// the next are answered from memory.
func ExampleOpen_memoryTier() {
	ctx := context.Background()
	st, err := stores.Open(ctx, "mem://example-tier?memory=64MiB&memory_ttl=5s")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	_ = st.Put(ctx, "f", "h", stores.Record{Result: []byte("result")})
	for range 3 {
		rec, _ := st.Read(ctx, "f", "h", stores.PartResult)
		fmt.Println(string(rec.Result))
	}
	stats, _ := st.MemoryTierStats()
	fmt.Printf("hits %d, misses %d, entries %d\n", stats.Hits, stats.Misses, stats.Entries)
	// Output:
	// result
	// result
	// result
	// hits 2, misses 1, entries 1
}

// SetMemoryTier does what the URL options do, for a store opened otherwise
// (a backend's own constructor, say). A Put goes to the store and makes the
// tier forget the record, which the next read fills again.
func ExampleStore_SetMemoryTier() {
	ctx := context.Background()
	st, err := stores.Open(ctx, "mem://example-set-tier")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	if err := st.SetMemoryTier(stores.Tier{MaxEntries: 10_000, MaxBytes: 64 << 20, TTL: 5 * time.Second}); err != nil {
		fmt.Println(err)
		return
	}
	_ = st.Put(ctx, "f", "h", stores.Record{Result: []byte("one")})
	rec, _ := st.Read(ctx, "f", "h", stores.PartResult)
	fmt.Println(string(rec.Result))
	_ = st.Put(ctx, "f", "h", stores.Record{Result: []byte("two")})
	rec, _ = st.Read(ctx, "f", "h", stores.PartResult)
	fmt.Println(string(rec.Result))
	// Output:
	// one
	// two
}
