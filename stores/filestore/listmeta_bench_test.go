//go:build unix

package filestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// BenchmarkListPage lists the first page of 25 of a function's 2000
// records, beside its floor, os.ReadDir of the function's directory (which
// List must read whole to find the page), and beside stores.List's fallback
// for stores without a Lister, which reads every record.
func BenchmarkListPage(b *testing.B) {
	ctx := context.Background()
	s := newStore(b, filestore.Options{})
	for i := range 2000 {
		put(b, s, "f", fmt.Sprintf("h%05d", i), stores.Record{Result: make([]byte, 100), Key: []byte("k")})
	}
	dir := filepath.Join(s.Dir(), "f")
	var floor float64
	b.Run("FloorReadDir", func(b *testing.B) {
		for b.Loop() {
			if _, err := os.ReadDir(dir); err != nil {
				b.Fatal(err)
			}
		}
		floor = nsPerOp(b)
	})
	b.Run("List", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if page, _, err := s.List(ctx, "f", "", 25); err != nil || len(page) != 25 {
				b.Fatal(len(page), err)
			}
		}
		reportFloor(b, floor)
	})
	b.Run("FallbackThroughEntries", func(b *testing.B) {
		b.ReportAllocs()
		plain := struct{ stores.Store }{s} // hides List
		for b.Loop() {
			if page, _, err := stores.List(ctx, plain, "f", "", 25); err != nil || len(page) != 25 {
				b.Fatal(len(page), err)
			}
		}
		reportFloor(b, floor)
	})
}
