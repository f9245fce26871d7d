package persist_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

var sink atomic.Int64

func plainTriple(x int) int { return 3 * x }

// interleaved runs floor and measured in alternating blocks, timing each
// on its own, so that whatever else the machine does weighs on both alike.
// It reports measured's ns/op and allocations per call (the floor's are
// not counted), the floor's ns/op and their ratio as x-<floorName>.
func interleaved(b *testing.B, floorName string, floor, measured func(i int)) {
	b.Helper()
	const block = 256
	var tFloor, tMeasured time.Duration
	for done := 0; done < b.N; done += block {
		n := min(block, b.N-done)
		t0 := time.Now()
		for i := range n {
			floor(done + i)
		}
		t1 := time.Now()
		for i := range n {
			measured(done + i)
		}
		tMeasured += time.Since(t1)
		tFloor += t1.Sub(t0)
	}
	reportPair(b, floorName, tFloor, tMeasured, b.N)
	b.ReportMetric(testing.AllocsPerRun(100, func() { measured(1) }), "allocs/call")
}

func reportPair(b *testing.B, floorName string, tFloor, tMeasured time.Duration, n int) {
	b.ReportMetric(float64(tMeasured.Nanoseconds())/float64(n), "ns/op")
	b.ReportMetric(float64(tFloor.Nanoseconds())/float64(n), floorName+"-ns/op")
	b.ReportMetric(float64(tMeasured)/float64(tFloor), "x-"+floorName)
}

// BenchmarkHit measures a memoised call that hits the memory store, through
// Func() (reflect.MakeFunc) and through Wrap1's closure, each interleaved
// with its floor: a plain map lookup by the same key.
func BenchmarkHit(b *testing.B) {
	floorMap := map[persist.Arg]int{}
	for i := range 8 {
		floorMap[persist.Arg{Name: "arg0", Value: i}] = 3 * i
	}
	floor := func(i int) { sink.Add(int64(floorMap[persist.Arg{Name: "arg0", Value: i & 7}])) }
	opts := persist.Options{Cache: "mem://bench-hit", FuncName: "triple"}
	b.Run("memo-func-mem", func(b *testing.B) {
		f, memo, err := persist.Wrap(plainTriple, opts)
		if err != nil {
			b.Fatal(err)
		}
		defer memo.Close()
		for i := range 8 {
			f(i)
		}
		interleaved(b, "map-lookup", floor, func(i int) { sink.Add(int64(f(i & 7))) })
	})
	b.Run("memo-wrap1-mem", func(b *testing.B) {
		f, memo, err := persist.Wrap1(plainTriple, opts)
		if err != nil {
			b.Fatal(err)
		}
		defer memo.Close()
		for i := range 8 {
			f(i)
		}
		interleaved(b, "map-lookup", floor, func(i int) { sink.Add(int64(f(i & 7))) })
	})
}

// BenchmarkMiss measures a memoised call that misses the memory store
// (hash, lookup, compute, pickle, store), beside a map store of the same
// key as its floor.
func BenchmarkMiss(b *testing.B) {
	f, memo, err := persist.Wrap1(plainTriple, persist.Options{Cache: "mem://bench-miss", FuncName: "triple"})
	if err != nil {
		b.Fatal(err)
	}
	defer memo.Close()
	floorMap := map[persist.Arg]int{}
	next, nextFloor := 0, 0
	interleaved(b, "map-store",
		func(int) { nextFloor++; floorMap[persist.Arg{Name: "arg0", Value: nextFloor}] = 3 * nextFloor },
		func(int) { next++; sink.Add(int64(f(next))) })
}

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

// inGoroutines runs n calls of op shared by g goroutines and returns the
// wall time.
func inGoroutines(g, n int, op func(int)) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	for w := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += g {
				op(i)
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkKeyHash measures encoding and hashing a 3-argument key,
// interleaved with a plain fmt.Sprint of the same arguments as a floor.
func BenchmarkKeyHash(b *testing.B) {
	key := persist.Key{{"a", 10}, {"b", "hello"}, {"c", 2.5}}
	interleaved(b, "sprint",
		func(int) { _ = fmt.Sprint(key[0].Value, key[1].Value, key[2].Value) },
		func(int) {
			if _, err := persist.Hash(key); err != nil {
				b.Fatal(err)
			}
		})
}

// BenchmarkCount runs each path alone in a plain loop, for instruction
// counts: scripts/callgrind.sh runs it under callgrind at two b.N and
// divides the difference, which leaves set-up out. The floor is a
// sub-benchmark of its own, counted in the same way.
func BenchmarkCount(b *testing.B) {
	floorMap := map[persist.Arg]int{}
	for i := range 8 {
		floorMap[persist.Arg{Name: "arg0", Value: i}] = 3 * i
	}
	b.Run("floor=map-lookup", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sink.Add(int64(floorMap[persist.Arg{Name: "arg0", Value: i & 7}]))
		}
	})
	opts := persist.Options{Cache: "mem://bench-count", FuncName: "triple"}
	f, memo, err := persist.Wrap(plainTriple, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer memo.Close()
	f1, _, err := persist.Wrap1(plainTriple, opts)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 8 {
		f(i)
	}
	b.Run("hit-func", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sink.Add(int64(f(i & 7)))
		}
	})
	b.Run("hit-wrap1", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sink.Add(int64(f1(i & 7)))
		}
	})
	b.Run("miss-wrap1", func(b *testing.B) {
		m, memo, err := persist.Wrap1(plainTriple, persist.Options{Cache: "mem://bench-count-miss", FuncName: "triple"})
		if err != nil {
			b.Fatal(err)
		}
		defer memo.Close()
		for i := 0; b.Loop(); i++ {
			sink.Add(int64(m(1000 + i + b.N)))
		}
	})
}
