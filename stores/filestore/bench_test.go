//go:build unix

package filestore_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

var benchSizes = []struct {
	name string
	size int
}{{"64B", 64}, {"64KiB", 64 << 10}}

// nsPerOp is the time per iteration of a finished benchmark.
func nsPerOp(b *testing.B) float64 {
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}

// reportFloor reports b's time as a multiple of the floor measured just
// before it in the same run (when that sub-benchmark ran).
func reportFloor(b *testing.B, floor float64) {
	if floor > 0 {
		b.ReportMetric(nsPerOp(b)/floor, "x-floor")
	}
}

// BenchmarkGetHit reads a stored record through the portable store, its
// result alone (ReadResult, a memoised call's hit) and whole (Store, Get),
// beside its floor: os.ReadFile of the same .out file.
func BenchmarkGetHit(b *testing.B) {
	ctx := context.Background()
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			s := newStore(b, filestore.Options{})
			value := bytes.Repeat([]byte{'v'}, sz.size)
			put(b, s, "f", "h", stores.Record{Result: value})
			put(b, s, "f", "k", stores.Record{Result: value, Key: []byte("x=3, y=4"), Meta: []byte("meta")})
			path := filepath.Join(s.Dir(), "f", "h.out")
			var floor float64
			b.Run("FloorReadFile", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := os.ReadFile(path); err != nil {
						b.Fatal(err)
					}
				}
				floor = nsPerOp(b)
			})
			// What a hit of a memoised call reads: the result alone.
			b.Run("ReadResult", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.Read(ctx, "f", "h", stores.PartResult); err != nil {
						b.Fatal(err)
					}
				}
				reportFloor(b, floor)
			})
			b.Run("Store", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.Get(ctx, "f", "h"); err != nil {
						b.Fatal(err)
					}
				}
				reportFloor(b, floor)
			})
			// A cache directory reached through a symbolic link: each open
			// goes one directory at a time (see the package documentation).
			linked := filepath.Join(filepath.Dir(s.Dir()), "linked")
			if err := os.Symlink(s.Dir(), linked); err != nil {
				b.Fatal(err)
			}
			viaLink, err := filestore.Open(linked, filestore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Run("StoreViaLinkedDir", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := viaLink.Get(ctx, "f", "h"); err != nil {
						b.Fatal(err)
					}
				}
				reportFloor(b, floor)
			})
			b.Run("StoreWithKeyAndMeta", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.Get(ctx, "f", "k"); err != nil {
						b.Fatal(err)
					}
				}
				reportFloor(b, floor)
			})
		})
	}
}

// BenchmarkPutMiss stores a record under a new hash, beside its floor:
// creating a temporary file, writing the same bytes, closing it and
// renaming it into place.
func BenchmarkPutMiss(b *testing.B) {
	ctx := context.Background()
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			value := bytes.Repeat([]byte{'v'}, sz.size)
			var floor float64
			b.Run("FloorCreateTempRename", func(b *testing.B) {
				dir := b.TempDir()
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					f, err := os.CreateTemp(dir, "h.out.tmp-*")
					if err != nil {
						b.Fatal(err)
					}
					if _, err := f.Write(value); err != nil {
						b.Fatal(err)
					}
					if err := f.Close(); err != nil {
						b.Fatal(err)
					}
					if err := os.Rename(f.Name(), filepath.Join(dir, fmt.Sprint("h", i, ".out"))); err != nil {
						b.Fatal(err)
					}
					i++
				}
				floor = nsPerOp(b)
			})
			b.Run("Store", func(b *testing.B) {
				s := newStore(b, filestore.Options{})
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if err := s.Put(ctx, "f", fmt.Sprint("h", i), stores.Record{Result: value}); err != nil {
						b.Fatal(err)
					}
					i++
				}
				reportFloor(b, floor)
			})
			b.Run("StoreWithKey", func(b *testing.B) {
				s := newStore(b, filestore.Options{})
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if err := s.Put(ctx, "f", fmt.Sprint("h", i), stores.Record{Result: value, Key: []byte("x=3, y=4")}); err != nil {
						b.Fatal(err)
					}
					i++
				}
				reportFloor(b, floor)
			})
		})
	}
}

// BenchmarkManyEntries writes 100,000 records to one function, reads them
// back and lists them, and reports the cost per record of the first and
// the last 10,000 of each phase: a directory that slows down as it grows
// shows as a ratio above 1. It writes 100,000 files, so it runs only when
// named: go test -bench=ManyEntries -benchtime=1x.
func BenchmarkManyEntries(b *testing.B) {
	if !strings.Contains(flag.Lookup("test.bench").Value.String(), "ManyEntries") {
		b.Skip("writes 100,000 files; run with -bench=ManyEntries -benchtime=1x")
	}
	const total, window = 100_000, 10_000
	ctx := context.Background()
	value := bytes.Repeat([]byte{'v'}, 64)
	for b.Loop() {
		s := newStore(b, filestore.Options{})
		phase := func(name string, op func(i int) error) {
			var first, last time.Duration
			start := time.Now()
			for i := range total {
				if i == window {
					first = time.Since(start)
				}
				if i == total-window {
					start = time.Now()
				}
				if err := op(i); err != nil {
					b.Fatal(err)
				}
			}
			last = time.Since(start)
			b.ReportMetric(float64(first.Nanoseconds())/window, name+"-first10k-ns/entry")
			b.ReportMetric(float64(last.Nanoseconds())/window, name+"-last10k-ns/entry")
			b.ReportMetric(float64(last)/float64(first), name+"-last/first")
		}
		phase("put", func(i int) error {
			return s.Put(ctx, "f", fmt.Sprint("h", i), stores.Record{Result: value})
		})
		phase("get", func(i int) error {
			_, err := s.Get(ctx, "f", fmt.Sprint("h", i))
			return err
		})
		start := time.Now()
		n := 0
		for _, err := range s.Entries(ctx, "f", stores.AllParts) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != total {
			b.Fatalf("Entries listed %d records, want %d", n, total)
		}
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/total, "entries-ns/entry")
		start = time.Now()
		if n, err := s.Len(ctx, "f"); err != nil || n != total {
			b.Fatalf("Len = %d, %v", n, err)
		}
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/total, "len-ns/entry")
	}
}
