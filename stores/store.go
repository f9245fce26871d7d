// Package stores defines the byte-level storage that persist keeps results in,
// and a registry that opens a store from a URL.
//
// A store moves bytes by (funcname, hash) and nothing more: it knows nothing of
// keys, pickling or hashing, which live once in the root package persist. A new
// backend is one small package that implements [Store], registers its URL
// schemes with [Register] from an init function, and passes the shared
// conformance suite in stores/storetest.
package stores

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// MaxNameLen is the longest funcname or hash, in bytes, that a store accepts.
// It leaves room under the usual 255-byte file-name limit for the suffixes a
// file store adds (".meta", temporary-file tags).
const MaxNameLen = 200

// Record is one stored result with what was kept beside it.
type Record struct {
	// Result is the pickled result.
	Result []byte
	// Key is the encoded key, or nil when keys are not stored.
	Key []byte
	// Meta is the metadata text, or nil when there is none.
	Meta []byte
	// Created is when the store wrote the record. Put ignores it; Get and
	// Entries report it as precisely as the store keeps it.
	Created time.Time
}

// Entry is a record together with the hash it is stored under.
type Entry struct {
	Hash string
	Record
}

// Store keeps records by (funcname, hash). Every method is safe for
// concurrent use. Errors wrap [ErrNotFound], [ErrClosed], [ErrInvalidName] or
// [ErrUnavailable] where those apply, so callers test them with [errors.Is];
// a cancelled or expired context is reported as the context's error.
type Store interface {
	// Get returns the record stored under hash, or an error wrapping
	// ErrNotFound.
	Get(ctx context.Context, funcname, hash string) (Record, error)
	// Put stores rec under hash, replacing any record there. A reader never
	// sees a partly written record: it sees the old one or the new one.
	Put(ctx context.Context, funcname, hash string, rec Record) error
	// Delete removes the record stored under hash, or returns an error
	// wrapping ErrNotFound.
	Delete(ctx context.Context, funcname, hash string) error
	// Len counts the records of funcname.
	Len(ctx context.Context, funcname string) (int, error)
	// Clear removes every record of funcname, and its owner record, and
	// nothing else.
	Clear(ctx context.Context, funcname string) error
	// Entries streams the records of funcname in no particular order, in
	// constant memory. An error ends the sequence.
	Entries(ctx context.Context, funcname string) iter.Seq2[Entry, error]
	// Owner returns the owner record of funcname (see ClaimOwner), or an
	// error wrapping ErrNotFound when none is stored.
	Owner(ctx context.Context, funcname string) ([]byte, error)
	// ClaimOwner stores owner as the owner record of funcname unless one is
	// stored already, atomically with respect to other claims, and returns
	// the record stored afterwards: owner, or the one that was there. The
	// owner record says which function the records of funcname belong to;
	// its bytes are the root package's, opaque to the store. It is kept
	// apart from the records: Len, Entries and Funcs do not see it, Clear
	// removes it.
	ClaimOwner(ctx context.Context, funcname string, owner []byte) ([]byte, error)
	// Close releases the store. Later calls return ErrClosed.
	Close() error
}

// MaxOwnerLen is the longest owner record a store must keep.
const MaxOwnerLen = 4096

// NameChecker is implemented by stores that accept fewer funcnames or
// hashes than ValidName does, such as a REST server whose URLs carry only
// [A-Za-z0-9_]+ funcnames.
type NameChecker interface {
	// CheckName returns an error wrapping ErrInvalidName if the store
	// cannot keep name as a funcname (what is "funcname") or a hash (what is
	// "hash"). It is called with names ValidName accepts.
	CheckName(what, name string) error
}

// CheckName checks name against ValidName and then against the rules of s,
// if it states narrower ones (see NameChecker). Callers use it to refuse a
// name once, before any call, rather than on every call.
func CheckName(s Store, what, name string) error {
	if err := ValidName(what, name); err != nil {
		return err
	}
	if nc, ok := s.(NameChecker); ok {
		return nc.CheckName(what, name)
	}
	return nil
}

// Locker is implemented by stores that can make concurrent callers in other
// processes or on other machines wait while one of them computes a result.
type Locker interface {
	// Lock blocks until the caller holds the computation lock of
	// (funcname, hash) or ctx ends. The caller must call unlock when its
	// result is stored (or it gave up). A lock whose holder died is broken
	// after a bounded time that each store documents.
	Lock(ctx context.Context, funcname, hash string) (unlock func(), err error)
}

// ResultReader is implemented by stores for which a record's key and
// metadata cost reads of their own, as files do. A memoised call's hit
// never needs the metadata, and needs the key only when keys are stored.
type ResultReader interface {
	// ReadResult is Get without Meta, and without Key unless withKey is
	// set.
	ReadResult(ctx context.Context, funcname, hash string, withKey bool) (Record, error)
}

// FuncLister is implemented by stores that can list the funcnames they hold.
type FuncLister interface {
	// Funcs streams the funcnames that have at least one record.
	Funcs(ctx context.Context) iter.Seq2[string, error]
}

var (
	// ErrNotFound reports that no record is stored under a hash.
	ErrNotFound = errors.New("not found")
	// ErrClosed reports a call on a closed store.
	ErrClosed = errors.New("store is closed")
	// ErrInvalidName reports a funcname or hash that is not one safe path
	// element (see ValidName).
	ErrInvalidName = errors.New("invalid name")
	// ErrUnavailable reports that the store's server or medium cannot be
	// reached or refused the operation.
	ErrUnavailable = errors.New("store unavailable")
	// ErrUnknownScheme reports a URL whose scheme no store registered.
	ErrUnknownScheme = errors.New("unknown store scheme")
)

// NameError reports a funcname or hash that is not a safe path element.
type NameError struct {
	What   string // "funcname" or "hash"
	Name   string
	Reason string
}

// Error implements the error interface.
func (e *NameError) Error() string {
	return fmt.Sprintf("%s %q is not a safe file name: %s", e.What, e.Name, e.Reason)
}

// Is reports whether target is ErrInvalidName.
func (e *NameError) Is(target error) bool { return target == ErrInvalidName }

// ValidName checks that name can be used as one path element on any system:
// not empty, not "." or "..", no '/', '\\' or NUL, at most MaxNameLen bytes.
// what ("funcname" or "hash") names it in the error.
func ValidName(what, name string) error {
	reason := ""
	switch {
	case name == "":
		reason = "it is empty"
	case name == "." || name == "..":
		reason = "it names a directory"
	case len(name) > MaxNameLen:
		reason = fmt.Sprintf("it is %d bytes long, more than %d", len(name), MaxNameLen)
	case strings.ContainsAny(name, "/\\\x00"):
		reason = `it contains '/', '\' or NUL`
	default:
		return nil
	}
	return &NameError{What: what, Name: name, Reason: reason}
}

// OpError describes a failed store operation. It names the store by its URL
// with any password removed.
type OpError struct {
	Op    string // "get", "put", "delete", "len", "clear", "entries", "lock", "open", "owner", "claim owner"
	Store string // the store's URL, without credentials
	Err   error
}

// Error implements the error interface.
func (e *OpError) Error() string { return e.Op + " " + e.Store + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *OpError) Unwrap() error { return e.Err }

// Redact returns rawURL with any password replaced by "xxxxx", for error
// messages and logs.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	return u.Redacted()
}

// OpenFunc opens a store for a parsed URL whose scheme it registered.
type OpenFunc func(ctx context.Context, u *url.URL) (Store, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]OpenFunc{}
)

// Register makes a store available under a URL scheme. It is meant to be
// called from a backend's init function, as database/sql drivers do, and
// panics if the scheme is registered twice.
func Register(scheme string, open OpenFunc) {
	registryMu.Lock()
	defer registryMu.Unlock()
	scheme = strings.ToLower(scheme)
	if _, dup := registry[scheme]; dup {
		panic("stores: Register called twice for scheme " + scheme)
	}
	registry[scheme] = open
}

// Schemes returns the registered URL schemes, sorted.
func Schemes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	s := make([]string, 0, len(registry))
	for k := range registry {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}

// UnknownSchemeError reports a URL whose scheme no store registered.
type UnknownSchemeError struct {
	Scheme string
	Known  []string
}

// Error implements the error interface.
func (e *UnknownSchemeError) Error() string {
	return fmt.Sprintf("no store for scheme %q (known: %s; a store in a module of its own, such as mongodb://, "+
		"is known to a program once it imports the store's package)",
		e.Scheme, strings.Join(e.Known, ", "))
}

// Is reports whether target is ErrUnknownScheme.
func (e *UnknownSchemeError) Is(target error) bool { return target == ErrUnknownScheme }

// Open opens the store that rawURL names. A string without a scheme is a
// directory for the file store, as in pypersist: "results" means
// "file://results".
func Open(ctx context.Context, rawURL string) (Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil || len(u.Scheme) < 2 {
		// A bare path, or a Windows drive letter: a directory of files.
		rawURL = "file://" + rawURL
		u, err = url.Parse(rawURL)
	}
	if err != nil {
		return nil, &OpError{Op: "open", Store: Redact(rawURL), Err: err}
	}
	registryMu.RLock()
	open := registry[strings.ToLower(u.Scheme)]
	registryMu.RUnlock()
	if open == nil {
		return nil, &UnknownSchemeError{Scheme: u.Scheme, Known: Schemes()}
	}
	return open(ctx, u)
}
