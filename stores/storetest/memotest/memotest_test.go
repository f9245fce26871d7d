package memotest_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
	"github.com/gopersist/persist/stores/storetest/memotest"
)

// The suite on the two stores of the core module; the other backends run
// it from their own conformance tests.

func TestFileStore(t *testing.T) {
	dir := t.TempDir()
	memotest.Run(t, func(t *testing.T) *stores.Store {
		st, err := filestore.Open(dir, filestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

var spaces atomic.Int64

func TestMemStore(t *testing.T) {
	url := fmt.Sprintf("mem://memotest-%d", spaces.Add(1))
	memotest.Run(t, func(t *testing.T) *stores.Store {
		st, err := stores.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}
