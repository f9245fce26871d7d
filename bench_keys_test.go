package persist_test

import (
	"fmt"
	"testing"
	"time"

	persist "github.com/gopersist/persist"
)

// BenchmarkKeys measures Cache.Keys per entry, which reads keys and no
// result, beside Cache.Len per entry, its floor, interleaved, over 1,000
// entries stored with their keys in memory and in files.
func BenchmarkKeys(b *testing.B) {
	const entries = 1000
	for _, store := range []string{"mem", "file"} {
		b.Run(store, func(b *testing.B) {
			cache := fmt.Sprintf("mem://bench-keys-%d", time.Now().UnixNano())
			if store == "file" {
				cache = b.TempDir()
			}
			f, memo, err := persist.Wrap(plainTriple, persist.Options{Cache: cache, FuncName: "triple", StoreKey: true})
			if err != nil {
				b.Fatal(err)
			}
			defer memo.Close()
			for i := range entries {
				f(i)
			}
			c := memo.Cache()
			var tKeys, tLen time.Duration
			for b.Loop() {
				t0 := time.Now()
				if n, err := c.Len(); err != nil || n != entries {
					b.Fatalf("Len = %d, %v", n, err)
				}
				t1 := time.Now()
				n := 0
				for _, err := range c.Keys() {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != entries {
					b.Fatalf("Keys yielded %d", n)
				}
				tKeys += time.Since(t1)
				tLen += t1.Sub(t0)
			}
			perEntry := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) / entries }
			b.ReportMetric(perEntry(tKeys), "keys-ns/entry")
			b.ReportMetric(perEntry(tLen), "len-ns/entry")
			b.ReportMetric(float64(tKeys)/float64(tLen), "x-len")
		})
	}
}
