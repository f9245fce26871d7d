package persist_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/memstore"
)

// noOwners is a memory driver that keeps no owner records, as a REST store
// on pypersist's Eve server does (reststore: code Unsupported).
type noOwners struct{ driver.Store }

type unsupported struct{}

func (unsupported) Error() string { return "the server keeps no owner records" }

func (noOwners) ClaimOwner(context.Context, string, []byte) ([]byte, error) {
	return nil, unsupported{}
}

func (n noOwners) ErrorCode(err error) driver.Code {
	if _, ok := err.(unsupported); ok {
		return driver.Unsupported
	}
	return n.Store.ErrorCode(err)
}

// claimName says: a store without owner records is no error, a call goes
// on (logged once). The store reports that with its Unsupported code.
func TestStoreWithoutOwnerRecords(t *testing.T) {
	var d driver.Store
	url := memURL(t)
	if !memstore.Open(strings.TrimPrefix(url, "mem://")).As(&d) {
		t.Fatal("As")
	}
	st := stores.NewStore(noOwners{d}, url)
	m, err := persist.Decorate(probeSquare, persist.Options{Store: st, Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got, err := m.Call(3); err != nil || got != 9 {
		t.Fatalf("Call(3) = %v, %v", got, err)
	}
	if got, err := m.Cache().Get(persist.KeyOf("arg0", 3)); err != nil || got != 9 {
		t.Fatalf("Cache().Get(3) = %v, %v", got, err)
	}
}
