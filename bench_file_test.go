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

// BenchmarkFileHit compares a hit through Func() and through Wrap1's
// closure with os.ReadFile of the same .out file, interleaved.
func BenchmarkFileHit(b *testing.B) {
	f, out := fileBench(b)
	dir := filepath.Dir(filepath.Dir(out))
	floor := fileFloor(b, dir, "triple", persist.Key{{Name: "arg0", Value: 7}})
	b.Run("hit", func(b *testing.B) {
		interleaved(b, "os.ReadFile", floor, func(int) {
			if f(7) != 21 {
				b.Fatal("wrong result")
			}
		})
	})
	b.Run("hit-wrap1", func(b *testing.B) {
		f1, memo, err := persist.Wrap1(plainTriple, persist.Options{Cache: dir, FuncName: "triple"})
		if err != nil {
			b.Fatal(err)
		}
		defer memo.Close()
		interleaved(b, "os.ReadFile", floor, func(int) {
			if f1(7) != 21 {
				b.Fatal("wrong result")
			}
		})
	})
}

// BenchmarkFileMiss compares a miss through Func() — lock, compute, pickle,
// atomic write, unlock — with writing the same number of bytes to a
// temporary file and renaming it into place, interleaved. Each iteration
// misses on a new key, and the floor renames onto a new name, so both fill
// a directory alike (a rename over an existing file would make ext4 flush
// it first).
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
	next := 1000 // keys not computed yet
	nextFloor := 0
	interleaved(b, "write+rename", func(int) {
		nextFloor++
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
		if err := os.Rename(tmp.Name(), filepath.Join(floorDir, strconv.Itoa(nextFloor)+".out")); err != nil {
			b.Fatal(err)
		}
	}, func(int) {
		next++
		if f(next) != 3*next {
			b.Fatal("wrong result")
		}
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
