//go:build unix

package filestore_test

import (
	"path/filepath"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/storetest"
	"github.com/gopersist/persist/stores/storetest/memotest"
)

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
