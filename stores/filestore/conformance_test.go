//go:build unix

package filestore_test

import (
	"path/filepath"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
	"github.com/gopersist/persist/stores/storetest"
	"github.com/gopersist/persist/stores/storetest/memotest"
)

func TestConformance(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "persist") // shared by every handle
	open := func(t *testing.T) *stores.Store {
		s, err := filestore.Open(dir, filestore.Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	storetest.Run(t, open)
	memotest.Run(t, open)
}

func BenchmarkConformance(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "persist")
	storetest.Bench(b, func(b *testing.B) *stores.Store {
		s, err := filestore.Open(dir, filestore.Options{Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}

// TestConformanceMemoryTier runs both suites again with a memory tier in
// front of the files (?memory=), which must change nothing a caller sees.
func TestConformanceMemoryTier(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "persist")
	open := func(t *testing.T) *stores.Store {
		s, err := stores.Open(t.Context(), "file://"+dir+"?memory=8MiB")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	storetest.Run(t, open)
	memotest.Run(t, open)
}
