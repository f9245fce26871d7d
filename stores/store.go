// Package stores is the byte-level storage that persist keeps results in: the
// portable [Store] that the root package, the server and the command line
// use, and the registry that opens one from a URL.
//
// A store moves bytes by (funcname, hash) and nothing more: it knows nothing of
// keys, pickling or hashing, which live once in the root package persist.
// [Store] is concrete, as database/sql's DB and gocloud.dev's Bucket are; a
// backend is a small [driver.Store] that [NewStore] wraps. The portable type
// does once what every backend would otherwise repeat: name rules, the
// closed and context checks, one error type with a small set of codes, and
// counting, iteration and paging built on the driver's metadata-only List.
// A new backend is one package that implements the driver, registers its
// URL schemes with [Register] from an init function, and passes the shared
// conformance suite in stores/storetest. A memory tier ([Tier]) can stand in
// front of any backend, so that repeated hits cost what a memory store's do.
package stores

import (
	"context"
	"iter"
	"sync/atomic"

	"github.com/gopersist/persist/stores/driver"
)

// Record is one stored result with what was kept beside it.
type Record = driver.Record

// Meta describes one record without its bytes: what a listing shows.
type Meta = driver.Meta

// Parts says which parts of a record [Store.Read] returns.
type Parts = driver.Parts

// The parts of a record.
const (
	PartResult = driver.PartResult
	PartKey    = driver.PartKey
	PartMeta   = driver.PartMeta
	AllParts   = driver.AllParts
)

// Entry is a record together with the hash it is stored under.
type Entry struct {
	Hash string
	Record
}

// Store keeps records by (funcname, hash) in one backend. Every method is
// safe for concurrent use. Every error is an [*OpError], whose code
// [errors.Is] tests against [ErrNotFound], [ErrClosed], [ErrInvalidName],
// [ErrUnavailable], [ErrTooLarge] and [ErrUnsupported]; a cancelled or
// expired context is also reported as the context's error.
type Store struct {
	drv   driver.Store
	url   string // the store's URL, without credentials
	names nameRules
	opt   optional

	closed atomic.Bool
	budget atomic.Pointer[budgeter] // nil: no budget (budget.go)
	tier   atomic.Pointer[memTier]  // nil: no memory tier (tier.go)
}

// NewStore returns the portable store over drv. url names it in errors and
// logs; any password in it is removed first.
func NewStore(drv driver.Store, url string) *Store {
	s := &Store{drv: drv, url: Redact(url)}
	s.names = compileNameRules(drv.NameRules())
	s.opt = assertOptional(drv)
	return s
}

// URL returns the store's URL, without credentials.
func (s *Store) URL() string { return s.url }

// String returns the store's URL, without credentials.
func (s *Store) String() string { return s.url }

// begin refuses a call on a closed store or with an ended context, and
// checks the funcname against the store's rules.
func (s *Store) begin(ctx context.Context, op, funcname string) error {
	return s.start(ctx, op, funcname, "")
}

// start is begin for a call that may be on one record: its errors name the
// hash too, so that a refused call is reported as the one that was made.
func (s *Store) start(ctx context.Context, op, funcname, hash string) error {
	if s.closed.Load() {
		return s.fail(op, funcname, hash, errClosed)
	}
	if err := ctx.Err(); err != nil {
		return s.fail(op, funcname, hash, err)
	}
	if err := s.names.funcname.check("funcname", funcname); err != nil {
		return s.fail(op, funcname, hash, err)
	}
	return nil
}

// beginHash is begin for a call on one record: it checks the hash too.
func (s *Store) beginHash(ctx context.Context, op, funcname, hash string) error {
	if err := s.start(ctx, op, funcname, hash); err != nil {
		return err
	}
	if err := s.names.hash.check("hash", hash); err != nil {
		return s.fail(op, funcname, hash, err)
	}
	return nil
}

// Get returns the whole record stored under hash: Read of [AllParts].
func (s *Store) Get(ctx context.Context, funcname, hash string) (Record, error) {
	return s.Read(ctx, funcname, hash, AllParts)
}

// Read returns the parts of the record stored under hash that parts names,
// leaving the others nil, or an error wrapping [ErrNotFound]. A hit that
// needs only the result reads only the result. With a memory tier
// ([Store.SetMemoryTier]), a read of parts that the tier holds reads
// nothing from the store.
func (s *Store) Read(ctx context.Context, funcname, hash string, parts Parts) (Record, error) {
	return s.read(ctx, funcname, hash, parts, true)
}

// read is Read; fill says whether a record read from the store goes into
// the memory tier, which a walk over every record (Entries) should not
// sweep of what the calls use.
func (s *Store) read(ctx context.Context, funcname, hash string, parts Parts, fill bool) (Record, error) {
	if err := s.beginHash(ctx, "read", funcname, hash); err != nil {
		return Record{}, err
	}
	t := s.tier.Load()
	var tk ticket
	if t != nil {
		var rec Record
		var hit bool
		if rec, hit, tk = t.get(funcname, hash, parts); hit {
			return rec, nil
		}
	}
	rec, err := s.drv.Read(ctx, funcname, hash, parts)
	if err != nil {
		return Record{}, s.fail("read", funcname, hash, err)
	}
	if t != nil && fill {
		t.fill(funcname, hash, parts, rec, tk)
	}
	return rec, nil
}

// Put stores rec under hash, replacing any record there. A reader never sees
// a partly written record: it sees the old one or the new one. The store
// keeps no slice of rec, and sets Created itself.
func (s *Store) Put(ctx context.Context, funcname, hash string, rec Record) error {
	if err := s.beginHash(ctx, "write", funcname, hash); err != nil {
		return err
	}
	err := s.drv.Write(ctx, funcname, hash, rec)
	if t := s.tier.Load(); t != nil {
		t.invalidate(funcname, hash) // even after a failure: the record may have changed
	}
	if err != nil {
		return s.fail("write", funcname, hash, err)
	}
	s.wrote(ctx, len(rec.Result)+len(rec.Key)+len(rec.Meta))
	return nil
}

// Delete removes the record stored under hash, or returns an error wrapping
// [ErrNotFound].
func (s *Store) Delete(ctx context.Context, funcname, hash string) error {
	if err := s.beginHash(ctx, "delete", funcname, hash); err != nil {
		return err
	}
	err := s.drv.Delete(ctx, funcname, hash)
	if t := s.tier.Load(); t != nil {
		t.invalidate(funcname, hash)
	}
	if err != nil {
		return s.fail("delete", funcname, hash, err)
	}
	return nil
}

// Clear removes every record of funcname, and its owner record, and nothing
// else.
func (s *Store) Clear(ctx context.Context, funcname string) error {
	if err := s.begin(ctx, "clear", funcname); err != nil {
		return err
	}
	err := s.drv.Clear(ctx, funcname)
	if t := s.tier.Load(); t != nil {
		t.clear(funcname)
	}
	if err != nil {
		return s.fail("clear", funcname, "", err)
	}
	return nil
}

// Owner returns the owner record of funcname (see [Store.ClaimOwner]), or an
// error wrapping [ErrNotFound] when none is stored.
func (s *Store) Owner(ctx context.Context, funcname string) ([]byte, error) {
	if err := s.begin(ctx, "owner", funcname); err != nil {
		return nil, err
	}
	owner, err := s.drv.Owner(ctx, funcname)
	if err != nil {
		return nil, s.fail("owner", funcname, "", err)
	}
	return owner, nil
}

// MaxOwnerLen is the longest owner record a store must keep.
const MaxOwnerLen = 4096

// ClaimOwner stores owner as the owner record of funcname unless one is
// stored already, atomically with respect to other claims, and returns the
// record stored afterwards: owner, or the one that was there. The owner
// record says which function the records of funcname belong to; its bytes
// are the root package's, opaque to the store. It is kept apart from the
// records: Len, List, Entries and Funcs do not see it; Clear removes it.
func (s *Store) ClaimOwner(ctx context.Context, funcname string, owner []byte) ([]byte, error) {
	if err := s.begin(ctx, "claim owner", funcname); err != nil {
		return nil, err
	}
	if len(owner) > MaxOwnerLen {
		return nil, s.fail("claim owner", funcname, "", errOwnerTooLarge)
	}
	got, err := s.drv.ClaimOwner(ctx, funcname, owner)
	if err != nil {
		return nil, s.fail("claim owner", funcname, "", err)
	}
	return got, nil
}

// Entries streams the records of funcname in ascending hash order, with the
// parts that parts names (none: the hashes and times of the listing alone),
// one page of metadata at a time: in memory proportional to a page,
// whatever the function holds. A record removed
// while the sequence runs is skipped. An error ends the sequence.
func (s *Store) Entries(ctx context.Context, funcname string, parts Parts) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		for m, err := range s.ListAll(ctx, funcname) {
			if err != nil {
				yield(Entry{}, err)
				return
			}
			if parts == 0 { // the listing says all there is to say
				if !yield(Entry{Hash: m.Hash, Record: Record{Created: m.Created}}, nil) {
					return
				}
				continue
			}
			rec, err := s.read(ctx, funcname, m.Hash, parts, false)
			if IsNotFound(err) {
				continue // removed since it was listed
			}
			if !yield(Entry{Hash: m.Hash, Record: rec}, err) || err != nil {
				return
			}
		}
	}
}

// Close releases the store. Later calls return an error wrapping
// [ErrClosed], and so does a second Close.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return s.fail("close", "", "", errClosed)
	}
	s.tier.Store(nil) // its memory goes with the store
	if err := s.drv.Close(); err != nil {
		return s.fail("close", "", "", err)
	}
	return nil
}
