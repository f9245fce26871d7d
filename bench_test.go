package persist_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/gopersist/persist"
)

var sink atomic.Int64

func plainTriple(x int) int { return 3 * x }

// BenchmarkHit measures a memoised call that hits the memory store through
// Func(), beside its floors measured in the same run: a direct call of the
// same function, and a plain map lookup by the same key.
func BenchmarkHit(b *testing.B) {
	var floorMap float64
	b.Run("floor=direct-call", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sink.Add(int64(plainTriple(i & 7)))
		}
	})
	b.Run("floor=map-lookup", func(b *testing.B) {
		m := map[persist.Arg]int{}
		for i := range 8 {
			m[persist.Arg{Name: "arg0", Value: i}] = 3 * i
		}
		for i := 0; b.Loop(); i++ {
			sink.Add(int64(m[persist.Arg{Name: "arg0", Value: i & 7}]))
		}
		floorMap = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("memo-func-mem", func(b *testing.B) {
		f, memo, err := persist.Wrap(plainTriple, persist.Options{Cache: "mem://bench-hit", FuncName: "triple"})
		if err != nil {
			b.Fatal(err)
		}
		defer memo.Close()
		for i := range 8 {
			f(i)
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sink.Add(int64(f(i & 7)))
		}
		if floorMap > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/floorMap, "x-map-lookup")
		}
	})
}

// BenchmarkKeyHash measures encoding and hashing a 3-argument key, beside a
// plain fmt.Sprint of the same arguments as a floor.
func BenchmarkKeyHash(b *testing.B) {
	key := persist.Key{{"a", 10}, {"b", "hello"}, {"c", 2.5}}
	var floor float64
	b.Run("floor=sprint", func(b *testing.B) {
		for b.Loop() {
			_ = fmt.Sprint(key[0].Value, key[1].Value, key[2].Value)
		}
		floor = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("encode+sha256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := persist.Hash(key); err != nil {
				b.Fatal(err)
			}
		}
		if floor > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/floor, "x-sprint")
		}
	})
}
