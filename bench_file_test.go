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

// fileMedia are the directories the file benchmarks run in, by name: the
// test's temporary directory ("tmp", on whatever file system TMPDIR is),
// and /dev/shm ("shm", a tmpfs) where it exists.
func fileMedia() []struct{ name, parent string } {
	media := []struct{ name, parent string }{{"tmp", ""}}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		media = append(media, struct{ name, parent string }{"shm", "/dev/shm"})
	}
	return media
}

// mediumDir returns a new directory in parent ("" for the test's
// temporary directory), removed when b ends.
func mediumDir(b *testing.B, parent string) string {
	if parent == "" {
		return b.TempDir()
	}
	dir, err := os.MkdirTemp(parent, "persist-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// fileBench memoises triple on a file store in dir, stores triple(7), and
// returns the memoised function and the path of that entry.
func fileBench(b *testing.B, dir string) (func(int) int, string) {
	f, memo, err := persist.Wrap(plainTriple, persist.Options{Cache: dir, FuncName: "triple"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { memo.Close() })
	f(7)
	hash, _ := persist.Hash(persist.Key{{"arg0", 7}})
	return f, filepath.Join(dir, "triple", hash+".out")
}

// alternated is interleaved with the order of the two swapped from one
// block to the next, so that neither gains from coming first (a warm
// cache, a directory just written to): it times floor and measured in
// blocks, each on its own, and reports as interleaved does.
func alternated(b *testing.B, floorName string, floor, measured func(i int)) {
	b.Helper()
	const block = 256
	var tFloor, tMeasured time.Duration
	timed := func(fn func(int), from, n int) time.Duration {
		t0 := time.Now()
		for i := range n {
			fn(from + i)
		}
		return time.Since(t0)
	}
	for done, odd := 0, false; done < b.N; done, odd = done+block, !odd {
		n := min(block, b.N-done)
		if odd {
			tMeasured += timed(measured, done, n)
			tFloor += timed(floor, done, n)
		} else {
			tFloor += timed(floor, done, n)
			tMeasured += timed(measured, done, n)
		}
	}
	reportPair(b, floorName, tFloor, tMeasured, b.N)
	b.ReportMetric(testing.AllocsPerRun(100, func() { measured(b.N + 1) }), "allocs/call")
}

// BenchmarkFileHit compares a hit through Func() and through Wrap1's
// closure with os.ReadFile of the same .out file, alternated, on each
// medium of fileMedia.
func BenchmarkFileHit(b *testing.B) {
	for _, m := range fileMedia() {
		b.Run(m.name, func(b *testing.B) {
			dir := mediumDir(b, m.parent)
			f, _ := fileBench(b, dir)
			floor := fileFloor(b, dir, "triple", persist.Key{{Name: "arg0", Value: 7}})
			b.Run("hit", func(b *testing.B) {
				alternated(b, "os.ReadFile", floor, func(int) {
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
				alternated(b, "os.ReadFile", floor, func(int) {
					if f1(7) != 21 {
						b.Fatal("wrong result")
					}
				})
			})
		})
	}
}

// BenchmarkFileMiss compares a miss through Func() — lock, compute, pickle,
// atomic write, unlock — with writing the same number of bytes to a
// temporary file and renaming it into place, on each medium of fileMedia.
// The two alternate in blocks, neither always first, and each writes into
// a directory of its own made in the same place at the same time, so both
// fill a directory alike: each iteration misses on a new key, and the
// floor renames onto a new name (a rename over an existing file would
// make ext4 flush it first).
func BenchmarkFileMiss(b *testing.B) {
	for _, m := range fileMedia() {
		b.Run(m.name, func(b *testing.B) {
			dir := mediumDir(b, m.parent)
			f, out := fileBench(b, dir)
			data, err := os.ReadFile(out)
			if err != nil {
				b.Fatal(err)
			}
			floorDir := filepath.Join(dir, "floor")
			if err := os.Mkdir(floorDir, 0o755); err != nil {
				b.Fatal(err)
			}
			// A miss's own entry, so the floor's directory holds one too.
			if err := os.WriteFile(filepath.Join(floorDir, "0.out"), data, 0o644); err != nil {
				b.Fatal(err)
			}
			next := 1000 // keys not computed yet
			nextFloor := 0
			alternated(b, "write+rename", func(int) {
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
		})
	}
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
