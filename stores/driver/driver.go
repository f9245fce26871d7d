// Package driver defines the interface a store backend implements.
//
// Nothing above the backends calls a driver: the root package, the server and
// the command line use the portable [github.com/gopersist/persist/stores.Store]
// that wraps one. The portable type does, once for every backend, what would
// otherwise be written in each: it checks names against the driver's
// [NameRules], refuses calls on a closed store or with an ended context,
// wraps every error in a stores.OpError with a [Code] the driver maps, and
// builds counting, whole-function iteration and paging tokens on [Store.List].
// A driver therefore may assume that every name it is given is valid for it,
// that its context had not ended when the call began and that Close is called
// once.
//
// The optional interfaces ([Locker], [Counter], [FuncLister], [Mapper], [As])
// are asserted, with their fallbacks, in one place: stores/optional.go.
package driver

import (
	"context"
	"iter"
	"time"
)

// Parts says which parts of a record a [Store.Read] returns.
type Parts uint8

const (
	// PartResult is the pickled result.
	PartResult Parts = 1 << iota
	// PartKey is the encoded key, kept when keys are stored.
	PartKey
	// PartMeta is the metadata text.
	PartMeta

	// AllParts is every part of a record.
	AllParts = PartResult | PartKey | PartMeta
)

// Has reports whether p includes every part of q.
func (p Parts) Has(q Parts) bool { return p&q == q }

// Record is one stored result with what was kept beside it.
type Record struct {
	// Result is the pickled result.
	Result []byte
	// Key is the encoded key, or nil when keys are not stored.
	Key []byte
	// Meta is the metadata text, or nil when there is none.
	Meta []byte
	// Created is when the store wrote the record. Write ignores it; Read
	// and List report it as precisely as the store keeps it.
	Created time.Time
	// Expires, when not zero, is when the writer will take the record as
	// a miss whatever it holds (its MaxAge and grace have passed). A
	// driver that can expire records by itself (Redis) may remove the
	// record after it; the others keep it until it is replaced, deleted
	// or trimmed. Read does not report it: the age a reader accepts is
	// the reader's to check.
	Expires time.Time
}

// Meta describes one record without its bytes: what a listing shows.
type Meta struct {
	Hash string
	// Size is the bytes of the record's result, key and metadata together.
	Size int64
	// Created is when the store wrote the record, as Read reports it.
	Created time.Time
	// Used is when the record was last read, as far as the driver tracks
	// it: at least to the hour (a file store refreshes it on a hit at most
	// once an hour), or zero when the driver does not, which budgets take
	// as Created.
	Used time.Time
}

// NameRules are the funcnames and hashes a driver can keep, beyond what
// stores.ValidName accepts of every store (one safe path element of at most
// stores.MaxNameLen bytes).
type NameRules struct {
	// MaxLen is the longest funcname or hash in bytes; zero means
	// stores.MaxNameLen, and a larger value is ignored.
	MaxLen int
	// FuncBytes, when not empty, lists every byte a funcname may contain,
	// with ranges written as "a-z": "A-Za-z0-9_" for a REST server, whose
	// URLs carry only those.
	FuncBytes string
	// HashBytes is the same for hashes.
	HashBytes string
	// UTF8 requires funcnames and hashes to be valid UTF-8, as the strings
	// of BSON and JSON are: a server may store other bytes replaced, so
	// that two names would share one record.
	UTF8 bool
	// Why says, for error messages, why the driver's names are narrower:
	// "a persist server's URLs carry only these", say.
	Why string
}

// Code classifies a driver's error, so that errors.Is behaves the same on
// every backend.
type Code int

const (
	// Unknown is an error of no other code.
	Unknown Code = iota
	// NotFound: no record, owner record or lock is stored under the name.
	NotFound
	// Unavailable: the server or medium cannot be reached or refused the
	// operation; trying again later may succeed.
	Unavailable
	// InvalidName: the driver cannot keep this funcname or hash.
	InvalidName
	// TooLarge: the record is larger than the driver can keep.
	TooLarge
	// Closed: the store was closed.
	Closed
	// Unsupported: the driver cannot do this operation.
	Unsupported
	// Canceled: the call's context ended.
	Canceled
)

// Store keeps records by (funcname, hash). Every method is safe for
// concurrent use.
type Store interface {
	// Read returns the parts of the record stored under hash that parts
	// names; the others are left nil. Created is always set.
	Read(ctx context.Context, funcname, hash string, parts Parts) (Record, error)
	// Write stores rec under hash, replacing any record there. A reader
	// never sees a partly written record: it sees the old one or the new
	// one. The driver keeps no slice of rec.
	Write(ctx context.Context, funcname, hash string, rec Record) error
	// Delete removes the record stored under hash; an error of code
	// NotFound if there is none.
	Delete(ctx context.Context, funcname, hash string) error
	// List returns the metadata of up to n (n >= 1) records of funcname
	// whose hashes sort after after, in ascending byte order of hash,
	// reading no record's result. A record written or removed while pages
	// are read may be missed or not; every other record is listed once.
	List(ctx context.Context, funcname, after string, n int) ([]Meta, error)
	// Clear removes every record of funcname, and its owner record, and
	// nothing else.
	Clear(ctx context.Context, funcname string) error
	// Owner returns the owner record of funcname, or an error of code
	// NotFound.
	Owner(ctx context.Context, funcname string) ([]byte, error)
	// ClaimOwner stores owner as the owner record of funcname unless one is
	// stored, atomically with respect to other claims, and returns the
	// record stored afterwards. Owner records are kept apart from the
	// records: List does not see them.
	ClaimOwner(ctx context.Context, funcname string, owner []byte) ([]byte, error)
	// NameRules states the names the driver can keep. It is called once.
	NameRules() NameRules
	// ErrorCode classifies an error that one of the driver's methods
	// returned.
	ErrorCode(err error) Code
	// Close releases the driver. It is called once.
	Close() error
}

// Locker is implemented by drivers that can make concurrent callers in
// other processes or on other machines wait while one of them computes a
// result.
type Locker interface {
	// Lock blocks until the caller holds the computation lock of
	// (funcname, hash) or ctx ends. The caller calls unlock when its result
	// is stored or it gave up. A lock whose holder died is broken after a
	// bounded time that each driver documents.
	Lock(ctx context.Context, funcname, hash string) (unlock func(), err error)
}

// Counter is implemented by drivers that count a function's records more
// cheaply than by listing them.
type Counter interface {
	// Len counts the records of funcname.
	Len(ctx context.Context, funcname string) (int, error)
}

// FuncLister is implemented by drivers that can list the funcnames they
// hold.
type FuncLister interface {
	// Funcs streams, in ascending order, the funcnames that have at least
	// one record. An error ends the sequence.
	Funcs(ctx context.Context) iter.Seq2[string, error]
}

// Mapper is implemented by drivers that can map an uncompressed result into
// memory instead of reading it.
type Mapper interface {
	// MapResult maps the result of (funcname, hash) read-only. The bytes
	// stay valid, and unchanged, until release is called. It returns an
	// error of code Unsupported for a record it cannot map.
	MapResult(ctx context.Context, funcname, hash string) (data []byte, release func() error, err error)
}

// As is implemented by drivers that expose a type of their own, such as the
// file store's directory, to callers who know the backend.
type As interface {
	// As sets *target to the driver's value of target's type and reports
	// whether it could.
	As(target any) bool
}
