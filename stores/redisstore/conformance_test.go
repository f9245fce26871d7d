package redisstore

import (
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/storetest"
)

type driverStore = driver.Store

func TestConformance(t *testing.T) {
	base := needServer(t)
	storetest.Run(t, func(t *testing.T) *stores.Store { return openStore(t, base) })
}

// TestConformanceCluster runs the suite on a three-node cluster, with
// chunks small enough that its 16 MiB record is written as chunks.
func TestConformanceCluster(t *testing.T) {
	base := withOptions(t, needCluster(t), "chunk", "4MiB")
	storetest.Run(t, func(t *testing.T) *stores.Store { return openStore(t, base) })
}

func BenchmarkStore(b *testing.B) {
	base := needServer(b)
	storetest.Bench(b, func(b *testing.B) *stores.Store { return openStore(b, base) })
}

func BenchmarkStoreCluster(b *testing.B) {
	base := needCluster(b)
	storetest.Bench(b, func(b *testing.B) *stores.Store { return openStore(b, base) })
}
