package persist_test

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// largeFloats is a result of n float64s that does not compress, as
// measurements rarely do, or, with zeros, one that does.
func largeFloats(n int, zeros bool) []float64 {
	v := make([]float64, n)
	if !zeros {
		for i := range v {
			v[i] = math.Sin(float64(i)) * 1e6
		}
	}
	return v
}

// BenchmarkLargeResult measures a hit on an 80 MB []float64 result, on the
// file and memory stores, interleaved with its floor: encoding/gob
// decoding the same data from the same place (a file read with
// os.ReadFile, or bytes in memory). Besides ns/op and the ratio it reports
// the bytes allocated per hit beyond the result itself, as a multiple of
// the result's size (extra-x-size): what a hit holds at its peak besides
// the value it returns, at most the store's copy.
func BenchmarkLargeResult(b *testing.B) {
	const n = 10 << 20 // 10 Mi float64s: 80 MiB
	for _, kind := range []string{"incompressible", "zeros"} {
		data := largeFloats(n, kind == "zeros")
		var gobBytes bytes.Buffer
		if err := gob.NewEncoder(&gobBytes).Encode(data); err != nil {
			b.Fatal(err)
		}
		for _, store := range []string{"file", "mem"} {
			b.Run(fmt.Sprintf("%s/%s", store, kind), func(b *testing.B) {
				dir := b.TempDir()
				cache := dir
				if store == "mem" {
					cache = memURL(b)
				}
				f, memo, err := persist.Wrap(func(int) []float64 { return data }, persist.Options{Cache: cache, FuncName: "large"})
				if err != nil {
					b.Fatal(err)
				}
				defer memo.Close()
				f(1)
				gobFile := filepath.Join(dir, "floor.gob")
				if err := os.WriteFile(gobFile, gobBytes.Bytes(), 0o644); err != nil {
					b.Fatal(err)
				}
				floor := func() []float64 {
					src := gobBytes.Bytes()
					if store == "file" {
						if src, err = os.ReadFile(gobFile); err != nil {
							b.Fatal(err)
						}
					}
					var v []float64
					if err := gob.NewDecoder(bytes.NewReader(src)).Decode(&v); err != nil {
						b.Fatal(err)
					}
					return v
				}
				var tFloor, tHit time.Duration
				var extraFloor, extraHit float64
				for range b.N {
					d, x := timeAlloc(floor)
					tFloor, extraFloor = tFloor+d, extraFloor+x
					d, x = timeAlloc(func() []float64 { return f(1) })
					tHit, extraHit = tHit+d, extraHit+x
				}
				reportPair(b, "gob", tFloor, tHit, b.N)
				size := float64(8 * n)
				b.ReportMetric(extraHit/float64(b.N)/size-1, "extra-x-size")
				b.ReportMetric(extraFloor/float64(b.N)/size-1, "gob-extra-x-size")
			})
		}
	}
}

// timeAlloc times one call of get and counts the bytes it allocates,
// after a collection so that the previous call's garbage is not counted.
func timeAlloc(get func() []float64) (time.Duration, float64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	v := get()
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	if len(v) == 0 {
		panic("no result")
	}
	return d, float64(after.TotalAlloc - before.TotalAlloc)
}
