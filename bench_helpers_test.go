package persist_test

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// Helpers of the benchmarks, which time each path beside its floor.

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

// fileFloor returns a function that reads the .out file of key in the
// file store at dir with os.ReadFile, a file hit's floor.
func fileFloor(b *testing.B, dir, funcName string, key persist.Key) func(int) {
	hash, err := persist.Hash(key)
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(dir, funcName, hash+".out")
	return func(int) {
		if _, err := os.ReadFile(out); err != nil {
			b.Fatal(err)
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
