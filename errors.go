package persist

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/gopersist/persist/stores"
)

// Sentinel errors, for errors.Is. The typed errors below wrap or match them.
var (
	// ErrNotFound reports a key with no stored result. A *KeyError matches it.
	ErrNotFound = stores.ErrNotFound
	// ErrKeysNotStored reports iteration over keys of a cache that keeps
	// neither keys (StoreKey) nor a way to recover them (Unhash).
	ErrKeysNotStored = errors.New("persist: keys are not stored: set StoreKey, or Unhash, to iterate over keys")
	// ErrUnhashable reports an argument or key that cannot be part of a key.
	// An *UnhashableError matches it.
	ErrUnhashable = errors.New("persist: unhashable key")
	// ErrInvalidHash reports a hash that is not one safe file name.
	ErrInvalidHash = stores.ErrInvalidName
	// ErrHashCollision reports two different keys with one hash. A
	// *HashCollisionError matches it.
	ErrHashCollision = errors.New("persist: hash collision")
	// ErrDamaged reports a stored result or key that cannot be decoded. A
	// *DecodeError matches it.
	ErrDamaged = errors.New("persist: stored entry is damaged")
	// ErrBadCall reports a call whose arguments do not fit the function. An
	// *ArgumentError matches it.
	ErrBadCall = errors.New("persist: bad arguments")
	// ErrBadOptions reports options that Decorate rejects. An *OptionsError
	// matches it.
	ErrBadOptions = errors.New("persist: bad options")
	// ErrTooLarge reports a value larger than the default pickling reads
	// back: it is not stored.
	ErrTooLarge = errors.New("persist: too large to store")
)

// KeyError reports a key that has no stored result, like Python's KeyError.
type KeyError struct {
	Key any
}

// Error implements the error interface.
func (e *KeyError) Error() string { return "persist: no entry for key " + formatValue(e.Key) }

// Is reports whether target is ErrNotFound.
func (e *KeyError) Is(target error) bool { return target == ErrNotFound }

// HashCollisionError reports that the entry stored under a hash belongs to
// another key. Stored is the key found with the entry (kept by StoreKey or
// recovered by Unhash); Call is the key of the call.
type HashCollisionError struct {
	Stored, Call any
	Hash         string
}

// Error implements the error interface.
func (e *HashCollisionError) Error() string {
	return fmt.Sprintf("persist: hash collision: keys %s and %s both hash to %q",
		formatValue(e.Stored), formatValue(e.Call), e.Hash)
}

// Is reports whether target is ErrHashCollision.
func (e *HashCollisionError) Is(target error) bool { return target == ErrHashCollision }

// UnhashableError reports a value that cannot be part of a key: a func, a
// channel, an unsafe pointer, or a value that refers to itself. Path says
// where it sits, as in "arg0.Field[3]".
type UnhashableError struct {
	Type   reflect.Type
	Path   string
	Reason string
}

// Error implements the error interface.
func (e *UnhashableError) Error() string {
	where := ""
	if e.Path != "" {
		where = " at " + elidePath(e.Path)
	}
	return fmt.Sprintf("persist: unhashable %v%s: %s", e.Type, where, e.Reason)
}

// maxPathInMessage bounds the path an error message shows: a value nested
// a thousand deep would otherwise make a message of kilobytes.
const maxPathInMessage = 120

// elidePath shortens a long path to its head and tail, which say where it
// starts and what it reaches.
func elidePath(p string) string {
	if len(p) <= maxPathInMessage {
		return p
	}
	head, tail := maxPathInMessage/2-3, len(p)-(maxPathInMessage/2-3)
	for head > 0 && !utf8.RuneStart(p[head]) {
		head--
	}
	for tail < len(p) && !utf8.RuneStart(p[tail]) {
		tail++
	}
	return p[:head] + " … " + p[tail:]
}

// Is reports whether target is ErrUnhashable.
func (e *UnhashableError) Is(target error) bool { return target == ErrUnhashable }

// prependPath adds a path segment (".Field", "[3]" or an argument name) in
// front of an UnhashableError's path as the error travels up.
func prependPath(err error, seg string) error {
	var u *UnhashableError
	if errors.As(err, &u) {
		u.Path = seg + u.Path
	}
	return err
}

func prependIndex(err error, i int) error { return prependPath(err, "["+strconv.Itoa(i)+"]") }

// ArgumentError reports a call whose arguments do not fit the function's
// parameters. Its message is Python's, as in
// "baz() takes from 2 to 4 positional arguments but 5 were given".
type ArgumentError struct {
	Func string
	Msg  string
}

// Error implements the error interface.
func (e *ArgumentError) Error() string { return e.Msg }

// Is reports whether target is ErrBadCall.
func (e *ArgumentError) Is(target error) bool { return target == ErrBadCall }

func argErrorf(fn, format string, args ...any) *ArgumentError {
	return &ArgumentError{Func: fn, Msg: fn + "() " + fmt.Sprintf(format, args...)}
}

// DecodeError reports a stored result or key that cannot be decoded:
// damaged, truncated, or written by something else. A call recomputes and
// replaces such an entry, unless Options.FailOnDamaged makes it this error.
type DecodeError struct {
	What string // "result" or "key"
	Func string
	Hash string
	Err  error
}

// Error implements the error interface.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("persist: cannot decode stored %s of %s/%s: %v", e.What, e.Func, e.Hash, e.Err)
}

// Unwrap returns the decoder's error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Is reports whether target is ErrDamaged.
func (e *DecodeError) Is(target error) bool { return target == ErrDamaged }

// OptionsError reports options that do not fit the function, found by
// Decorate before any call, as in
// "persist: Key for triple must take (int), got func(string) int".
type OptionsError struct {
	Func string
	Msg  string
}

// Error implements the error interface.
func (e *OptionsError) Error() string { return "persist: " + e.Msg }

// Is reports whether target is ErrBadOptions.
func (e *OptionsError) Is(target error) bool { return target == ErrBadOptions }

func optErrorf(fn, format string, args ...any) *OptionsError {
	return &OptionsError{Func: fn, Msg: fmt.Sprintf(format, args...)}
}
