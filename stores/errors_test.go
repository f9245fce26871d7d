package stores_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
)

func TestOpErrorFormat(t *testing.T) {
	inner := errors.New("disk on fire")
	for _, tc := range []struct {
		err  stores.OpError
		want string
	}{
		{stores.OpError{Op: "read", Store: "mem://x", Func: "f", Hash: "h", Err: inner}, "read mem://x f/h: disk on fire"},
		{stores.OpError{Op: "clear", Store: "mem://x", Func: "f", Err: inner}, "clear mem://x f: disk on fire"},
		{stores.OpError{Op: "close", Store: "mem://x", Err: inner}, "close mem://x: disk on fire"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
		if !errors.Is(&tc.err, inner) {
			t.Errorf("errors.Is(%v, its Err) = false", &tc.err)
		}
	}
}

// TestOpErrorCodes checks that the driver's ErrorCode decides the code of a
// driver's error and so what errors.Is matches, and that the portable
// store's own errors have theirs whatever the driver says.
func TestOpErrorCodes(t *testing.T) {
	sentinels := map[driver.Code]error{
		driver.NotFound: stores.ErrNotFound, driver.Closed: stores.ErrClosed,
		driver.InvalidName: stores.ErrInvalidName, driver.Unavailable: stores.ErrUnavailable,
		driver.TooLarge: stores.ErrTooLarge, driver.Unsupported: stores.ErrUnsupported,
	}
	driverErr := errors.New("the driver's own error")
	for _, code := range []driver.Code{driver.Unknown, driver.NotFound, driver.Unavailable, driver.InvalidName,
		driver.TooLarge, driver.Closed, driver.Unsupported} {
		st := stores.NewStore(failing{memDriver(t), driverErr, code}, "mem://failing")
		_, err := st.Get(t.Context(), "f", "h")
		if got := stores.ErrorCode(err); got != code {
			t.Errorf("code %d: ErrorCode = %d", code, got)
		}
		for c, s := range sentinels {
			if errors.Is(err, s) != (c == code) {
				t.Errorf("code %d: errors.Is(err, %q) = %v", code, s, !(c == code))
			}
		}
		if !errors.Is(err, driverErr) {
			t.Errorf("code %d: the driver's error is not in the chain of %v", code, err)
		}
		// An operation the store cannot do is the standard library's
		// unsupported operation too.
		if errors.Is(err, errors.ErrUnsupported) != (code == driver.Unsupported) {
			t.Errorf("code %d: errors.Is(err, errors.ErrUnsupported) = %v", code, !(code == driver.Unsupported))
		}
		if stores.IsNotFound(err) != (code == driver.NotFound) {
			t.Errorf("code %d: IsNotFound = %v", code, !(code == driver.NotFound))
		}
		// The portable store's own refusals do not ask the driver.
		if err := st.Put(t.Context(), "f", "a/b", stores.Record{}); stores.ErrorCode(err) != driver.InvalidName {
			t.Errorf("code %d: invalid hash has code %d", code, stores.ErrorCode(err))
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := st.Get(ctx, "f", "h"); stores.ErrorCode(err) != driver.Canceled || !errors.Is(err, context.Canceled) {
			t.Errorf("code %d: cancelled Get: %v with code %d", code, err, stores.ErrorCode(err))
		}
		_ = st.Close()
		if _, err := st.Get(t.Context(), "f", "h"); stores.ErrorCode(err) != driver.Closed {
			t.Errorf("code %d: Get after Close has code %d", code, stores.ErrorCode(err))
		}
	}
	// A driver's error that is a context's error is Canceled, whatever the
	// driver says: the call's context ended during the I/O.
	st := stores.NewStore(failing{memDriver(t), context.DeadlineExceeded, driver.Unavailable}, "mem://failing")
	defer st.Close()
	if _, err := st.Get(t.Context(), "f", "h"); stores.ErrorCode(err) != driver.Canceled || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a driver's DeadlineExceeded: %v with code %d, want Canceled", err, stores.ErrorCode(err))
	}
}

// TestRedact checks that no password of a store's URL reaches its errors.
func TestRedact(t *testing.T) {
	const secret = "s3cr3t-pw"
	for _, raw := range []string{
		"rest://user:" + secret + "@host:8080/persist",
		"mongodb://u:" + secret + "@h1,h2/db?replicaSet=r",
		"https://:" + secret + "@example.com/",
	} {
		st := stores.NewStore(failing{memDriver(t), errors.New("refused"), driver.Unavailable}, raw)
		if strings.Contains(st.URL(), secret) || strings.Contains(st.String(), secret) {
			t.Errorf("URL() = %q holds the password", st.URL())
		}
		_, err := st.Get(t.Context(), "f", "h")
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("error %v holds the password of %q", err, raw)
		}
		var oe *stores.OpError
		if !errors.As(err, &oe) || oe.Store != st.URL() {
			t.Errorf("OpError.Store = %q, want %q", oe.Store, st.URL())
		}
		_ = st.Close()
	}
	for raw, want := range map[string]string{
		"mem://x":                   "mem://x",
		"results":                   "results",
		"rest://user@host/":         "rest://user@host/",
		"rest://user:pw@host/p?q=1": "rest://user:xxxxx@host/p?q=1",
	} {
		if got := stores.Redact(raw); got != want {
			t.Errorf("Redact(%q) = %q, want %q", raw, got, want)
		}
	}
}
