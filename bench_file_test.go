package persist_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// Benchmarks of memoised calls on the default file store, each beside the
// floor it is compared with, measured in the same run: the plain file
// operations that a hit and a miss cannot do without.

func perOp(b *testing.B) float64 { return float64(b.Elapsed().Nanoseconds()) / float64(b.N) }

// fileBench memoises triple on a file store in a temporary directory, stores
// triple(7), and returns the memoised function and the path of that entry.
func fileBench(b *testing.B) (func(int) int, string) {
	dir := b.TempDir()
	f, memo, err := persist.Wrap(plainTriple, persist.Options{Cache: dir, FuncName: "triple"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { memo.Close() })
	f(7)
	hash, _ := persist.Hash(persist.Key{{"arg0", 7}})
	return f, filepath.Join(dir, "triple", hash+".out")
}

// BenchmarkFileHit compares a hit through Func() with os.ReadFile of the
// same .out file.
func BenchmarkFileHit(b *testing.B) {
	f, out := fileBench(b)
	var floor float64
	b.Run("floor=os.ReadFile", func(b *testing.B) {
		for b.Loop() {
			if _, err := os.ReadFile(out); err != nil {
				b.Fatal(err)
			}
		}
		floor = perOp(b)
	})
	b.Run("hit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if f(7) != 21 {
				b.Fatal("wrong result")
			}
		}
		b.ReportMetric(perOp(b)/floor, "x-floor")
	})
}

// BenchmarkFileMiss compares a miss through Func() — lock, compute, pickle,
// atomic write, unlock — with writing the same number of bytes to a
// temporary file and renaming it into place. Each iteration misses on a new
// key, and the floor renames onto a new name, so both fill one directory
// alike (a rename over an existing file would make ext4 flush it first).
func BenchmarkFileMiss(b *testing.B) {
	f, out := fileBench(b)
	data, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	floorDir := filepath.Join(filepath.Dir(filepath.Dir(out)), "floor")
	if err := os.Mkdir(floorDir, 0o755); err != nil {
		b.Fatal(err)
	}
	var floor float64
	b.Run("floor=write+rename", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			tmp, err := os.CreateTemp(floorDir, "floor.tmp-")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tmp.Write(data); err != nil {
				b.Fatal(err)
			}
			if err := tmp.Close(); err != nil {
				b.Fatal(err)
			}
			if err := os.Rename(tmp.Name(), filepath.Join(floorDir, strconv.Itoa(i)+".out")); err != nil {
				b.Fatal(err)
			}
		}
		floor = perOp(b)
	})
	next := 1000 // keys not computed yet
	b.Run("miss", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			next++
			if f(next) != 3*next {
				b.Fatal("wrong result")
			}
		}
		b.ReportMetric(perOp(b)/floor, "x-floor")
	})
}

// BenchmarkFileManyEntries writes 100,000 entries through Func() and reads
// them back, and reports the cost per entry of the first and the last
// 10,000 of each, and their ratio: a directory that grows must not slow
// each entry down. Run it by name: -bench=FileManyEntries -benchtime=1x.
func BenchmarkFileManyEntries(b *testing.B) {
	const n, window = 100_000, 10_000
	for b.Loop() {
		f, memo, err := persist.Wrap(plainTriple, persist.Options{Cache: b.TempDir(), FuncName: "triple"})
		if err != nil {
			b.Fatal(err)
		}
		for _, phase := range []string{"write", "read"} {
			var first, last float64
			start := nowNanos()
			for i := range n {
				if f(i) != 3*i {
					b.Fatal("wrong result")
				}
				switch i + 1 {
				case window:
					first = float64(nowNanos()-start) / window
				case n - window:
					start = nowNanos()
				case n:
					last = float64(nowNanos()-start) / window
				}
			}
			b.ReportMetric(first, phase+"-first10k-ns/entry")
			b.ReportMetric(last, phase+"-last10k-ns/entry")
			b.ReportMetric(last/first, phase+"-last/first")
		}
		memo.Close()
	}
}

func nowNanos() int64 { return time.Now().UnixNano() }
