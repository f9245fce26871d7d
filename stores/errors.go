package stores

import (
	"context"
	"errors"
	"fmt"

	"github.com/gopersist/persist/stores/driver"
)

// Code classifies a store's error; see [ErrorCode].
type Code = driver.Code

// The sentinels that [errors.Is] matches an [*OpError] against, one per
// [Code].
var (
	// ErrNotFound reports that no record (or owner record) is stored under
	// a name.
	ErrNotFound = errors.New("not found")
	// ErrClosed reports a call on a closed store.
	ErrClosed = errors.New("store is closed")
	// ErrInvalidName reports a funcname, hash or page token the store
	// cannot use (see ValidName and driver.NameRules).
	ErrInvalidName = errors.New("invalid name")
	// ErrUnavailable reports that the store's server or medium cannot be
	// reached or refused the operation.
	ErrUnavailable = errors.New("store unavailable")
	// ErrTooLarge reports a record larger than the store can keep.
	ErrTooLarge = errors.New("record too large for the store")
	// ErrUnsupported reports an operation the store cannot do, such as
	// listing funcnames or locking. A store error of it matches the
	// standard library's errors.ErrUnsupported too.
	ErrUnsupported = errors.New("not supported by the store")
	// ErrUnknownScheme reports a URL whose scheme no store registered.
	ErrUnknownScheme = errors.New("unknown store scheme")
)

var sentinels = map[Code]error{
	driver.NotFound:    ErrNotFound,
	driver.Closed:      ErrClosed,
	driver.InvalidName: ErrInvalidName,
	driver.Unavailable: ErrUnavailable,
	driver.TooLarge:    ErrTooLarge,
	driver.Unsupported: ErrUnsupported,
}

// Errors the portable type makes itself; their codes are known without
// asking the driver.
var (
	errClosed        = errors.New("store is closed")
	errOwnerTooLarge = fmt.Errorf("owner record longer than %d bytes", MaxOwnerLen)
	errUnsupported   = errors.New("the store's driver does not do this")
)

// OpError describes a failed store operation. It names the store by its URL
// without credentials, and the funcname and hash when the operation had
// them.
type OpError struct {
	Op    string // "read", "write", "delete", "list", "clear", "owner", "claim owner", "lock", "funcs", "map", "open", "close"
	Store string // the store's URL, without credentials
	Func  string // the funcname, or ""
	Hash  string // the hash, or ""
	Code  Code   // what kind of failure it is
	Err   error  // the driver's error, or the portable type's
}

// Error implements the error interface.
func (e *OpError) Error() string {
	msg := e.Op + " " + e.Store
	switch {
	case e.Hash != "":
		msg += " " + e.Func + "/" + e.Hash
	case e.Func != "":
		msg += " " + e.Func
	}
	return msg + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *OpError) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's Code.
func (e *OpError) Is(target error) bool {
	s, ok := sentinels[e.Code]
	// An operation the store cannot do is the standard library's
	// unsupported operation too, so that callers need not know which.
	return ok && s == target || e.Code == driver.Unsupported && target == errors.ErrUnsupported
}

// ErrorCode returns the code of a store's error: [driver.Unknown] for an
// error that is not an [*OpError].
func ErrorCode(err error) Code {
	var op *OpError
	if errors.As(err, &op) {
		return op.Code
	}
	return driver.Unknown
}

// IsNotFound reports whether err says that nothing is stored under a name.
func IsNotFound(err error) bool { return ErrorCode(err) == driver.NotFound }

// fail wraps err, from the driver or from s itself, in an OpError with its
// code.
func (s *Store) fail(op, funcname, hash string, err error) error {
	code := driver.Unknown
	var ne *NameError
	switch {
	case errors.Is(err, errClosed):
		code = driver.Closed
	case errors.Is(err, errOwnerTooLarge):
		code = driver.TooLarge
	case errors.Is(err, errUnsupported):
		code = driver.Unsupported
	case errors.As(err, &ne):
		code = driver.InvalidName
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		code = driver.Canceled
	default:
		code = s.drv.ErrorCode(err)
	}
	return &OpError{Op: op, Store: s.url, Func: funcname, Hash: hash, Code: code, Err: err}
}
