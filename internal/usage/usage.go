// Package usage totals what each function's records take in a store, from
// the store's metadata listing, and keeps the totals for a short time: the
// server's dashboard and its metrics show them without making every page
// view or scrape a walk over the store.
package usage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gopersist/persist/stores"
)

// ErrNoFuncs reports a store that cannot list its functions (see
// [stores.Store.CanListFuncs]).
var ErrNoFuncs = errors.New("the store cannot list its functions")

// Func is what one function's records take.
type Func struct {
	Name    string
	Entries int
	Bytes   int64     // results, keys and metadata together
	Oldest  time.Time // the earliest record's creation, zero when there is none
	Newest  time.Time
}

// Survey totals every function of s, sorted by name, from the store's
// metadata listing: it reads no record.
func Survey(ctx context.Context, s *stores.Store) ([]Func, error) {
	if !s.CanListFuncs() {
		return nil, ErrNoFuncs
	}
	var funcs []Func
	for name, err := range s.Funcs(ctx) {
		if err != nil {
			return nil, err
		}
		f, err := survey(ctx, s, name)
		if err != nil {
			return nil, err
		}
		funcs = append(funcs, f)
	}
	slices.SortFunc(funcs, func(a, b Func) int { return strings.Compare(a.Name, b.Name) })
	return funcs, nil
}

// survey totals one function.
func survey(ctx context.Context, s *stores.Store, name string) (Func, error) {
	f := Func{Name: name}
	for m, err := range s.ListAll(ctx, name) {
		if err != nil {
			return f, err
		}
		f.Entries++
		f.Bytes += m.Size
		if f.Oldest.IsZero() || m.Created.Before(f.Oldest) {
			f.Oldest = m.Created
		}
		if m.Created.After(f.Newest) {
			f.Newest = m.Created
		}
	}
	return f, nil
}

// Cache keeps the latest Survey of a store for a time. It is safe for
// concurrent use; callers that arrive while a survey runs wait for it
// rather than start another.
type Cache struct {
	store *stores.Store
	ttl   time.Duration

	mu    sync.Mutex // held while a survey runs; guards the fields below
	at    time.Time  // when funcs was taken; zero before the first survey
	funcs []Func
}

// NewCache returns a Cache that surveys store at most once per ttl.
func NewCache(store *stores.Store, ttl time.Duration) *Cache {
	return &Cache{store: store, ttl: ttl}
}

// Get returns the latest survey and when it was taken, surveying anew when
// it is older than the cache's ttl. A failed survey is not kept.
func (c *Cache) Get(ctx context.Context) ([]Func, time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < c.ttl {
		return c.funcs, c.at, nil
	}
	funcs, err := Survey(ctx, c.store)
	if err != nil {
		return nil, time.Time{}, err
	}
	c.funcs, c.at = funcs, time.Now()
	return funcs, c.at, nil
}
