// Package memstore keeps records in process memory, under the URL scheme
// mem://NAME.
//
// Every Open of the same mem://NAME in one process shares one set of records,
// so several memoised functions, or a memoised function and a tool that
// inspects it, see the same cache; closing one handle leaves the records for
// the others. Records live as long as the process. It is the fastest store
// and the right one for tests and for memoisation that need not outlive the
// program.
package memstore

import (
	"context"
	"iter"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/gopersist/persist/stores"
)

func init() {
	stores.Register("mem", func(_ context.Context, u *url.URL) (stores.Store, error) {
		return Open(u.Host + u.Path), nil
	})
}

// space is the shared data of one mem:// name.
type space struct {
	mu     sync.RWMutex
	funcs  map[string]map[string]stores.Record
	owners map[string][]byte // funcname → owner record
}

var (
	spacesMu sync.Mutex
	spaces   = map[string]*space{}
)

// Store is a handle on one named in-memory space.
type Store struct {
	name   string
	sp     *space
	mu     sync.RWMutex // guards closed
	closed bool
}

// Open returns a handle on the in-memory space called name, creating it on
// first use.
func Open(name string) *Store {
	spacesMu.Lock()
	defer spacesMu.Unlock()
	sp := spaces[name]
	if sp == nil {
		sp = &space{funcs: map[string]map[string]stores.Record{}, owners: map[string][]byte{}}
		spaces[name] = sp
	}
	return &Store{name: name, sp: sp}
}

func (s *Store) url() string { return "mem://" + s.name }

func (s *Store) check(ctx context.Context, op string, names ...string) error {
	if err := ctx.Err(); err != nil {
		return &stores.OpError{Op: op, Store: s.url(), Err: err}
	}
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return &stores.OpError{Op: op, Store: s.url(), Err: stores.ErrClosed}
	}
	what := "funcname"
	for _, n := range names {
		if err := stores.ValidName(what, n); err != nil {
			return &stores.OpError{Op: op, Store: s.url(), Err: err}
		}
		what = "hash"
	}
	return nil
}

// Get implements [stores.Store].
func (s *Store) Get(ctx context.Context, funcname, hash string) (stores.Record, error) {
	if err := s.check(ctx, "get", funcname, hash); err != nil {
		return stores.Record{}, err
	}
	s.sp.mu.RLock()
	rec, ok := s.sp.funcs[funcname][hash]
	s.sp.mu.RUnlock()
	if !ok {
		return stores.Record{}, &stores.OpError{Op: "get", Store: s.url(), Err: stores.ErrNotFound}
	}
	return copyRecord(rec), nil
}

// Put implements [stores.Store]. It copies rec's bytes, so the caller may
// reuse them; Get and Entries return copies too.
func (s *Store) Put(ctx context.Context, funcname, hash string, rec stores.Record) error {
	if err := s.check(ctx, "put", funcname, hash); err != nil {
		return err
	}
	rec = copyRecord(rec)
	rec.Created = time.Now()
	s.sp.mu.Lock()
	defer s.sp.mu.Unlock()
	m := s.sp.funcs[funcname]
	if m == nil {
		m = map[string]stores.Record{}
		s.sp.funcs[funcname] = m
	}
	m[hash] = rec
	return nil
}

// copyRecord copies rec's bytes, so that neither the caller nor the store
// can change the other's record through a shared slice.
func copyRecord(rec stores.Record) stores.Record {
	return stores.Record{
		Result:  clone(rec.Result),
		Key:     clone(rec.Key),
		Meta:    clone(rec.Meta),
		Created: rec.Created,
	}
}

// clone copies b, keeping nil as nil and empty as empty.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// Delete implements [stores.Store].
func (s *Store) Delete(ctx context.Context, funcname, hash string) error {
	if err := s.check(ctx, "delete", funcname, hash); err != nil {
		return err
	}
	s.sp.mu.Lock()
	defer s.sp.mu.Unlock()
	if _, ok := s.sp.funcs[funcname][hash]; !ok {
		return &stores.OpError{Op: "delete", Store: s.url(), Err: stores.ErrNotFound}
	}
	delete(s.sp.funcs[funcname], hash)
	if len(s.sp.funcs[funcname]) == 0 {
		delete(s.sp.funcs, funcname)
	}
	return nil
}

// Len implements [stores.Store].
func (s *Store) Len(ctx context.Context, funcname string) (int, error) {
	if err := s.check(ctx, "len", funcname); err != nil {
		return 0, err
	}
	s.sp.mu.RLock()
	defer s.sp.mu.RUnlock()
	return len(s.sp.funcs[funcname]), nil
}

// Clear implements [stores.Store].
func (s *Store) Clear(ctx context.Context, funcname string) error {
	if err := s.check(ctx, "clear", funcname); err != nil {
		return err
	}
	s.sp.mu.Lock()
	defer s.sp.mu.Unlock()
	delete(s.sp.funcs, funcname)
	delete(s.sp.owners, funcname)
	return nil
}

// Owner implements [stores.Store].
func (s *Store) Owner(ctx context.Context, funcname string) ([]byte, error) {
	if err := s.check(ctx, "owner", funcname); err != nil {
		return nil, err
	}
	s.sp.mu.RLock()
	owner, ok := s.sp.owners[funcname]
	s.sp.mu.RUnlock()
	if !ok {
		return nil, &stores.OpError{Op: "owner", Store: s.url(), Err: stores.ErrNotFound}
	}
	return clone(owner), nil
}

// ClaimOwner implements [stores.Store].
func (s *Store) ClaimOwner(ctx context.Context, funcname string, owner []byte) ([]byte, error) {
	if err := s.check(ctx, "claim owner", funcname); err != nil {
		return nil, err
	}
	s.sp.mu.Lock()
	defer s.sp.mu.Unlock()
	if have, ok := s.sp.owners[funcname]; ok {
		return clone(have), nil
	}
	s.sp.owners[funcname] = clone(owner)
	return clone(owner), nil
}

// Entries implements [stores.Store]. It works on a snapshot of the hashes
// taken when iteration starts; records deleted since are skipped.
func (s *Store) Entries(ctx context.Context, funcname string) iter.Seq2[stores.Entry, error] {
	return func(yield func(stores.Entry, error) bool) {
		if err := s.check(ctx, "entries", funcname); err != nil {
			yield(stores.Entry{}, err)
			return
		}
		s.sp.mu.RLock()
		hashes := make([]string, 0, len(s.sp.funcs[funcname]))
		for h := range s.sp.funcs[funcname] {
			hashes = append(hashes, h)
		}
		s.sp.mu.RUnlock()
		for _, h := range hashes {
			if err := ctx.Err(); err != nil {
				yield(stores.Entry{}, &stores.OpError{Op: "entries", Store: s.url(), Err: err})
				return
			}
			s.sp.mu.RLock()
			rec, ok := s.sp.funcs[funcname][h]
			s.sp.mu.RUnlock()
			if ok && !yield(stores.Entry{Hash: h, Record: copyRecord(rec)}, nil) {
				return
			}
		}
	}
}

// Funcs implements [stores.FuncLister].
func (s *Store) Funcs(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if err := s.check(ctx, "funcs"); err != nil {
			yield("", err)
			return
		}
		s.sp.mu.RLock()
		names := make([]string, 0, len(s.sp.funcs))
		for n := range s.sp.funcs {
			names = append(names, n)
		}
		s.sp.mu.RUnlock()
		slices.Sort(names)
		for _, n := range names {
			if !yield(n, nil) {
				return
			}
		}
	}
}

// Close implements [stores.Store]. The space's records stay for other
// handles.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
