package stores_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/memstore"
)

var spaces atomic.Int64

// memDriver returns the driver of a memory store on a space of its own.
func memDriver(t testing.TB) driver.Store {
	t.Helper()
	var d driver.Store
	if !memstore.Open(fmt.Sprintf("stores-test-%d", spaces.Add(1))).As(&d) {
		t.Fatal("As(*driver.Store) = false")
	}
	return d
}

// memDriverOf returns the driver of a memory store on the space name.
func memDriverOf(name string) driver.Store {
	var d driver.Store
	memstore.Open(name).As(&d)
	return d
}

// bare is a driver with the methods of driver.Store and nothing more: the
// memory store's, less its optional interfaces, and the name rules of its
// field.
type bare struct {
	driver.Store
	rules driver.NameRules
}

func (b bare) NameRules() driver.NameRules { return b.rules }

// failing is a driver whose every call fails with err, which it classifies
// as code.
type failing struct {
	driver.Store
	err  error
	code driver.Code
}

func (f failing) Read(context.Context, string, string, driver.Parts) (driver.Record, error) {
	return driver.Record{}, f.err
}

func (f failing) ErrorCode(error) driver.Code { return f.code }

// bareStore returns a store over a bare driver with rules, closed when t
// ends.
func bareStore(t testing.TB, rules driver.NameRules) *stores.Store {
	t.Helper()
	st := stores.NewStore(bare{memDriver(t), rules}, "mem://bare")
	t.Cleanup(func() { _ = st.Close() })
	return st
}
