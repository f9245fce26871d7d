package persist_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// BenchmarkParallelHit measures hit throughput on the memory and file
// stores with 1, 2, 8 and 64 goroutines sharing b.N hits, interleaved with
// the same goroutines doing the floor: a map lookup under a read lock, or
// os.ReadFile of the entry. Throughput should grow up to GOMAXPROCS and
// not fall past it.
func BenchmarkParallelHit(b *testing.B) {
	var mu sync.RWMutex
	floorMap := map[persist.Arg]int{}
	for i := range 8 {
		floorMap[persist.Arg{Name: "arg0", Value: i}] = 3 * i
	}
	memFloor := func(i int) {
		mu.RLock()
		sink.Add(int64(floorMap[persist.Arg{Name: "arg0", Value: i & 7}]))
		mu.RUnlock()
	}
	for _, store := range []string{"mem", "file"} {
		for _, g := range []int{1, 2, 8, 64} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", store, g), func(b *testing.B) {
				cache := "mem://bench-parallel"
				if store == "file" {
					cache = b.TempDir()
				}
				f, memo, err := persist.Wrap(plainTriple, persist.Options{Cache: cache, FuncName: "triple"})
				if err != nil {
					b.Fatal(err)
				}
				defer memo.Close()
				for i := range 8 {
					f(i)
				}
				floor, floorName := memFloor, "map-rlock"
				if store == "file" {
					floor, floorName = fileFloor(b, cache, "triple", persist.Key{{Name: "arg0", Value: 7}}), "os.ReadFile"
				}
				hit := func(i int) { sink.Add(int64(f(i & 7))) }
				var tFloor, tHit time.Duration
				const blocks = 8
				per := max(1, b.N/blocks)
				for range blocks {
					tFloor += inGoroutines(g, per, floor)
					tHit += inGoroutines(g, per, hit)
				}
				reportPair(b, floorName, tFloor, tHit, per*blocks)
				b.ReportMetric(float64(per*blocks)/tHit.Seconds(), "hits/s")
			})
		}
	}
}
