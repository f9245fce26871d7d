package mongostore

import (
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
	"github.com/gopersist/persist/stores/storetest"
)

// BenchmarkCompare measures the MongoDB store beside the file store in one
// run, with the same conformance benchmarks (Get and Put of 64 B and 64
// KiB, and a List page), so their latencies can be read side by side.
func BenchmarkCompare(b *testing.B) {
	needServer(b)
	b.Run("store=file", func(b *testing.B) {
		dir := b.TempDir()
		storetest.Bench(b, func(b *testing.B) *stores.Store {
			st, err := filestore.Open(dir, filestore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			return st
		})
	})
	b.Run("store=mongodb", func(b *testing.B) {
		storetest.Bench(b, func(b *testing.B) *stores.Store { return openStore(b, nil) })
	})
}
