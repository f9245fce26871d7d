package s3store

import (
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/storetest"
)

func TestConformance(t *testing.T) {
	needServer(t)
	storetest.Run(t, func(t *testing.T) *stores.Store { return openStore(t, nil) })
}

func BenchmarkStore(b *testing.B) {
	needServer(b)
	storetest.Bench(b, func(b *testing.B) *stores.Store { return openStore(b, nil) })
}
