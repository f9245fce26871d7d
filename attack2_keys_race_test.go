package persist_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/memstore"
)

// slowClaims is a memory driver whose ClaimOwner, once armed, says it
// began and waits to be let go.
type slowClaims struct {
	driver.Store
	armed    atomic.Bool
	claiming chan struct{}
	release  chan struct{}
}

func (s *slowClaims) ClaimOwner(ctx context.Context, fn string, owner []byte) ([]byte, error) {
	if s.armed.Load() {
		s.claiming <- struct{}{}
		<-s.release
	}
	return s.Store.ClaimOwner(ctx, fn, owner)
}

var probe2Gate chan struct{}

func probe2Gated(x int) int { <-probe2Gate; return x * x }

// A call computes while Keys (keys only: StoreKey, no Version, no
// defaults) reads the owner record again. Keys unclaims the name before
// it claims it again; the computation that ends in between is not stored,
// although the name was this function's all along.
func TestKeysDropsConcurrentWrite(t *testing.T) {
	var d driver.Store
	url := memURL(t)
	if !memstore.Open(strings.TrimPrefix(url, "mem://")).As(&d) {
		t.Fatal("As")
	}
	sc := &slowClaims{Store: d, claiming: make(chan struct{}), release: make(chan struct{})}
	st := stores.NewStore(sc, url)
	probe2Gate = make(chan struct{})
	m, err := persist.Decorate(probe2Gated, persist.Options{Store: st, StoreKey: true, Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	called := make(chan int)
	go func() { v, _ := m.Call(3); called <- v.(int) }()
	time.Sleep(50 * time.Millisecond) // the call is computing
	sc.armed.Store(true)
	keysDone := make(chan struct{})
	go func() {
		for range m.Cache().Keys() {
		}
		close(keysDone)
	}()
	<-sc.claiming // Keys has unclaimed the name and is claiming it again
	close(probe2Gate)
	if v := <-called; v != 9 {
		t.Fatalf("Call(3) = %v", v)
	}
	sc.armed.Store(false)
	close(sc.release)
	<-keysDone
	m.Close() // waits for detached writes
	m2, err := persist.Decorate(probe2Gated, persist.Options{Store: st, StoreKey: true, Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := m2.Contains(3); err != nil || !ok {
		t.Fatalf("the result of Call(3) was not stored (Contains = %v, %v); stats %+v", ok, err, m.Stats())
	}
}
