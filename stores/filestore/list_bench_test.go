//go:build unix

package filestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// BenchmarkList iterates every record of a function through the portable
// store's ListAll (pages of List), at 1,000, 10,000 and 100,000 records,
// and reports the time per record beside its floor, os.ReadDir of the same
// directory per entry, which List cannot beat: it must at least read the
// names once. Flat x-floor across the sizes says that a page costs its own
// size, not the directory's.
func BenchmarkList(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := newStore(b, filestore.Options{})
			dir := filepath.Join(s.Dir(), "f")
			plantRecords(b, dir, n)
			// A directory changed within the last moments is read again
			// for each page (see listcache.go); records written long
			// before the listing are the case measured.
			time.Sleep(200 * time.Millisecond)
			var floor float64
			b.Run("FloorReadDir", func(b *testing.B) {
				for b.Loop() {
					ents, err := os.ReadDir(dir)
					if err != nil || len(ents) < n {
						b.Fatal(len(ents), err)
					}
				}
				floor = perEntry(b, n)
			})
			listAll := func(b *testing.B, st *stores.Store) {
				got := 0
				for _, err := range st.ListAll(ctx, "f") {
					if err != nil {
						b.Fatal(err)
					}
					got++
				}
				if got != n {
					b.Fatalf("listed %d records, want %d", got, n)
				}
			}
			// A new handle for each iteration, as a program that lists the
			// function once: the first page reads the directory, the
			// others use that reading.
			b.Run("ListAll", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					st, err := filestore.Open(s.Dir(), filestore.Options{})
					if err != nil {
						b.Fatal(err)
					}
					listAll(b, st)
					st.Close()
				}
				if floor > 0 {
					b.ReportMetric(perEntry(b, n)/floor, "x-floor")
				}
			})
			// One handle listing again and again: every page from the
			// reading kept since the first.
			b.Run("ListAllAgain", func(b *testing.B) {
				b.ReportAllocs()
				listAll(b, s.Store)
				for b.Loop() {
					listAll(b, s.Store)
				}
				if floor > 0 {
					b.ReportMetric(perEntry(b, n)/floor, "x-floor")
				}
			})
		})
	}
}

// perEntry reports and returns the time per entry of a finished benchmark
// that handles n entries per iteration.
func perEntry(b *testing.B, n int) float64 {
	ns := nsPerOp(b) / float64(n)
	b.ReportMetric(ns, "ns/entry")
	return ns
}

// plantRecords writes n records into the function directory dir as the layout
// has them, a 100-byte .out each and a .key for every other one, directly,
// which is quicker than n Puts.
func plantRecords(tb testing.TB, dir string, n int) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o777); err != nil {
		tb.Fatal(err)
	}
	out := make([]byte, 100)
	for i := range n {
		hash := fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15)
		if err := os.WriteFile(filepath.Join(dir, hash+".out"), out, 0o666); err != nil {
			tb.Fatal(err)
		}
		if i%2 == 0 {
			if err := os.WriteFile(filepath.Join(dir, hash+".key"), []byte("x=1"), 0o666); err != nil {
				tb.Fatal(err)
			}
		}
	}
}
