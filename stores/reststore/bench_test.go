package reststore_test

import (
	"testing"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/reststore"
	"github.com/gopersist/persist/stores/storetest"
)

// BenchmarkStore measures Get and Put through a persist server on a
// loopback port, backed by memory, so the ratio to the in-memory floor is
// the cost of HTTP, JSON and the wire encoding.
func BenchmarkStore(b *testing.B) {
	ts := newServer(b, server.Options{}, nil)
	storetest.Bench(b, func(b *testing.B) *stores.Store {
		st, err := reststore.Open(ts.URL+"/persist", reststore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return st
	})
}
