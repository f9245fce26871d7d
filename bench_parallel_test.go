//go:build unix

package persist_test

import (
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// BenchmarkParallelHit measures hit throughput on the memory and file
// stores with 1, 2, 8 and 64 goroutines sharing b.N hits, interleaved with
// the same goroutines doing the floor: a map lookup under a read lock, or
// os.ReadFile of the entry. Throughput should grow up to GOMAXPROCS and
// not fall past it.
//
// Besides the wall clock's hits/s it reports the process's CPU time per
// hit (cpu-ns/hit, from getrusage, the GC's and every goroutine's
// included), which another program on the machine changes far less: with
// no state that the goroutines write in common it stays what one
// goroutine's is, while a cache line that every hit writes shows as a
// rise from 1 goroutine to 2. Each goroutine keeps its own sum of the
// results, so that the benchmark's sink is not such a line itself.
func BenchmarkParallelHit(b *testing.B) {
	var mu sync.RWMutex
	floorMap := map[persist.Arg]int{}
	for i := range 8 {
		floorMap[persist.Arg{Name: "arg0", Value: i}] = 3 * i
	}
	memFloor := func(i int) int {
		mu.RLock()
		defer mu.RUnlock()
		return floorMap[persist.Arg{Name: "arg0", Value: i & 7}]
	}
	for _, store := range []string{"mem", "file"} {
		for _, g := range []int{1, 2, 8, 64} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", store, g), func(b *testing.B) {
				cache := fmt.Sprint("mem://bench-parallel-", time.Now().UnixNano())
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
					read := fileFloor(b, cache, "triple", persist.Key{{Name: "arg0", Value: 7}})
					floor, floorName = func(i int) int { read(i); return 0 }, "os.ReadFile"
				}
				hit := func(i int) int { return f(i & 7) }
				var tFloor, tHit, cpuHit time.Duration
				const blocks = 8
				per := max(1, b.N/blocks)
				for range blocks {
					tFloor += summedInGoroutines(g, per, floor)
					cpu0 := processCPU(b)
					tHit += summedInGoroutines(g, per, hit)
					cpuHit += processCPU(b) - cpu0
				}
				reportPair(b, floorName, tFloor, tHit, per*blocks)
				b.ReportMetric(float64(per*blocks)/tHit.Seconds(), "hits/s")
				b.ReportMetric(float64(cpuHit.Nanoseconds())/float64(per*blocks), "cpu-ns/hit")
			})
		}
	}
}

// summedInGoroutines is inGoroutines for an op with a result, which each
// goroutine sums on its own and adds to sink once.
func summedInGoroutines(g, n int, op func(int) int) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	for w := range g {
		wg.Go(func() {
			sum := 0
			for i := w; i < n; i += g {
				sum += op(i)
			}
			sink.Add(int64(sum))
		})
	}
	wg.Wait()
	return time.Since(start)
}

// processCPU is the CPU time the process has used, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
