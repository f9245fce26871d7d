package persist_test

import (
	"fmt"
	"testing"

	"github.com/gopersist/persist"
)

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
