package storetest

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
)

// sentinelOf is the sentinel that errors.Is must match for each code the
// suite provokes, and the others it must not.
var sentinelOf = map[driver.Code]error{
	driver.NotFound:    stores.ErrNotFound,
	driver.Closed:      stores.ErrClosed,
	driver.InvalidName: stores.ErrInvalidName,
	driver.Unsupported: stores.ErrUnsupported,
	driver.Unavailable: stores.ErrUnavailable,
	driver.TooLarge:    stores.ErrTooLarge,
}

// checkOpError fails t unless err is an *stores.OpError of st that names
// op, funcname and hash.
func checkOpError(t testing.TB, call string, err error, st *stores.Store, op, funcname, hash string) *stores.OpError {
	t.Helper()
	var oe *stores.OpError
	if !errors.As(err, &oe) {
		t.Errorf("%s: err %v is a %T, want a *stores.OpError", call, err, err)
		return nil
	}
	if oe.Op != op || oe.Func != funcname || oe.Hash != hash || oe.Store != st.URL() {
		t.Errorf("%s: OpError{Op: %q, Store: %q, Func: %q, Hash: %q}, want {%q, %q, %q, %q}",
			call, oe.Op, oe.Store, oe.Func, oe.Hash, op, st.URL(), funcname, hash)
	}
	if oe.Err == nil {
		t.Errorf("%s: OpError.Err is nil", call)
	}
	if msg := err.Error(); !strings.Contains(msg, st.URL()) {
		t.Errorf("%s: error %q does not name the store %q", call, msg, st.URL())
	}
	return oe
}

// checkCode fails t unless err has code, errors.Is matches code's sentinel
// and none of the others.
func checkCode(t testing.TB, call string, err error, code driver.Code) {
	t.Helper()
	if got := stores.ErrorCode(err); got != code {
		t.Errorf("%s: ErrorCode(%v) = %d, want %d", call, err, got, code)
	}
	for c, sentinel := range sentinelOf {
		if is := errors.Is(err, sentinel); is != (c == code) {
			t.Errorf("%s: errors.Is(%v, %q) = %v", call, err, sentinel, is)
		}
	}
}

// testErrorCodes checks that every error is an OpError naming the call,
// with the code that errors.Is and stores.ErrorCode agree on.
func testErrorCodes(t *testing.T, s *suite) {
	st := s.handle(t)
	ctx := t.Context()
	fn := newFunc(t, st)
	put(t, st, fn, "present", record("r", nil, nil))

	if st.URL() == "" || st.String() != st.URL() {
		t.Errorf("URL() = %q, String() = %q: want the same, not empty", st.URL(), st.String())
	}
	if u, err := url.Parse(st.URL()); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "xxxxx" {
			t.Errorf("URL() %q holds a password", st.URL())
		}
	}

	_, err := st.Get(ctx, fn, "missing")
	checkCode(t, "Get of a missing hash", err, driver.NotFound)
	checkOpError(t, "Get of a missing hash", err, st, "read", fn, "missing")
	if !stores.IsNotFound(err) {
		t.Errorf("IsNotFound(%v) = false", err)
	}
	_, err = st.Read(ctx, fn, "missing", stores.PartKey)
	checkCode(t, "Read of a missing hash", err, driver.NotFound)
	checkOpError(t, "Read of a missing hash", err, st, "read", fn, "missing")
	err = st.Delete(ctx, fn, "missing")
	checkCode(t, "Delete of a missing hash", err, driver.NotFound)
	checkOpError(t, "Delete of a missing hash", err, st, "delete", fn, "missing")
	_, err = st.Owner(ctx, fn)
	checkCode(t, "Owner without one", err, driver.NotFound)
	checkOpError(t, "Owner without one", err, st, "owner", fn, "")

	err = st.Put(ctx, fn, "a/b", record("r", nil, nil))
	checkCode(t, "Put of an invalid hash", err, driver.InvalidName)
	checkOpError(t, "Put of an invalid hash", err, st, "write", fn, "a/b")
	_, err = st.Get(ctx, "..", "h")
	checkCode(t, "Get of an invalid funcname", err, driver.InvalidName)
	checkOpError(t, "Get of an invalid funcname", err, st, "read", "..", "h")
	err = st.CheckName("hash", "")
	checkCode(t, "CheckName of an empty hash", err, driver.InvalidName)
	_, _, err = st.List(ctx, fn, "not a token", 1)
	checkCode(t, "List with a malformed token", err, driver.InvalidName)

	_, err = st.ClaimOwner(ctx, fn, make([]byte, stores.MaxOwnerLen+1))
	checkCode(t, "ClaimOwner of an owner record too long", err, driver.TooLarge)
	checkOpError(t, "ClaimOwner of an owner record too long", err, st, "claim owner", fn, "")

	if !st.CanLock() {
		_, err = st.Lock(ctx, fn, "h")
		checkCode(t, "Lock of a store that cannot", err, driver.Unsupported)
		checkOpError(t, "Lock of a store that cannot", err, st, "lock", fn, "h")
	}
	if !st.CanListFuncs() {
		for _, err := range st.Funcs(ctx) {
			checkCode(t, "Funcs of a store that cannot", err, driver.Unsupported)
			break
		}
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = st.Get(cancelled, fn, "present")
	checkCode(t, "Get with a cancelled context", err, driver.Canceled)
	checkOpError(t, "Get with a cancelled context", err, st, "read", fn, "present")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a cancelled context: errors.Is(%v, context.Canceled) = false", err)
	}

	closed := s.handle(t)
	if err := closed.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, err = closed.Get(ctx, fn, "present")
	checkCode(t, "Get after Close", err, driver.Closed)
	checkOpError(t, "Get after Close", err, closed, "read", fn, "present")
	err = closed.Close()
	checkCode(t, "second Close", err, driver.Closed)
	checkOpError(t, "second Close", err, closed, "close", "", "")

	if c := stores.ErrorCode(nil); c != driver.Unknown {
		t.Errorf("ErrorCode(nil) = %d, want Unknown", c)
	}
	if c := stores.ErrorCode(errors.New("plain")); c != driver.Unknown {
		t.Errorf("ErrorCode of a plain error = %d, want Unknown", c)
	}
}
