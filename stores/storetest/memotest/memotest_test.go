package memotest_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/reststore"
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

// TestRESTStore runs the suite through the persist server on a loopback
// port, whose records' Created times are the server's: the memoisation's
// promises over HTTP.
func TestRESTStore(t *testing.T) {
	mem := memstore.Open(fmt.Sprintf("memotest-rest-%d", spaces.Add(1)))
	t.Cleanup(func() { _ = mem.Close() })
	ts := httptest.NewServer(server.New(mem, server.Options{}))
	t.Cleanup(ts.Close)
	memotest.Run(t, func(t *testing.T) *stores.Store {
		st, err := reststore.Open(ts.URL+"/persist/", reststore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}
