package persist_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
)

// BenchmarkBudgetWrite measures what a budget costs the write path,
// interleaved with the same Puts of new 1 KiB records into an unbounded
// store, the floor, on the memory and the file store: "trimming" past a
// budget of 1,000 entries, where each write carries its share of the trims
// (a listing per fifth of the budget, and one removal per write: the floor
// removes nothing), and "under-budget", the check alone.
func BenchmarkBudgetWrite(b *testing.B) {
	for _, kind := range []string{"mem", "file"} {
		b.Run(kind, func(b *testing.B) {
			open := func(options string) *stores.Store {
				url := fmt.Sprintf("mem://bench-budget-%d?%s", time.Now().UnixNano(), options)
				if kind == "file" {
					url = "file://" + b.TempDir() + "?" + options
				}
				st, err := stores.Open(b.Context(), url)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { st.Close() })
				return st
			}
			rec := stores.Record{Result: make([]byte, 1024)}
			put := func(st *stores.Store, i int) {
				if err := st.Put(b.Context(), "f", fmt.Sprintf("h%09d", i), rec); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("trimming", func(b *testing.B) {
				bounded, free := open("max_entries=1000"), open("")
				for i := range 1200 { // past the budget: trims from the start
					put(bounded, -i-1)
				}
				interleaved(b, "unbounded-put", func(i int) { put(free, i) }, func(i int) { put(bounded, i) })
			})
			b.Run("under-budget", func(b *testing.B) {
				// What the check alone costs: the budget is never reached.
				bounded, free := open("max_entries=100000000"), open("")
				interleaved(b, "unbounded-put", func(i int) { put(free, i) }, func(i int) { put(bounded, i) })
			})
		})
	}
}
