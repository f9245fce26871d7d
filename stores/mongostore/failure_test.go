package mongostore

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
)

// shortSelection makes operations on a stopped server fail quickly.
var shortSelection = url.Values{"serverSelectionTimeoutMS": {"500"}}

// wantUnavailable checks that err is the typed error of op on an
// unreachable server: an *OpError wrapping ErrUnavailable, naming the
// server without its password.
func wantUnavailable(t *testing.T, op string, err error) {
	t.Helper()
	t.Logf("%s: %v", op, err)
	var opErr *stores.OpError
	if !errors.As(err, &opErr) || opErr.Op != op {
		t.Errorf("%s: err = %v, want an *OpError from %s", op, err, op)
		return
	}
	if !errors.Is(err, stores.ErrUnavailable) {
		t.Errorf("%s: err = %v, want ErrUnavailable", op, err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Errorf("%s: err = %v looks like the end of the caller's context", op, err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("%s: err = %v shows the password", op, err)
	}
	if !strings.Contains(opErr.Store, "127.0.0.1") {
		t.Errorf("%s: err names store %q, want the server's address", op, opErr.Store)
	}
}

// withPassword adds credentials that the errors must not show. The test
// server takes any PLAIN credentials.
func withPassword(rawURL string) string {
	u, _ := url.Parse(rawURL) // built by storeURL, so it parses
	u.User = url.UserPassword("user", "secret")
	q := u.Query()
	q.Set("authMechanism", "PLAIN")
	u.RawQuery = q.Encode()
	return u.String()
}

func TestOpenServerDown(t *testing.T) {
	t.Parallel()
	srv, _ := startOwnServer(t)
	rawURL := withPassword(storeURL(t, srv.uri, shortSelection))
	srv.stop()
	_, err := stores.Open(t.Context(), rawURL)
	wantUnavailable(t, "open", err)
}

func TestServerDownAfterOpen(t *testing.T) {
	t.Parallel()
	srv, restart := startOwnServer(t)
	st := openURL(t, withPassword(storeURL(t, srv.uri, shortSelection)))
	ctx := t.Context()
	if err := st.Put(ctx, "f", "kept", stores.Record{Result: []byte("good")}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	srv.stop()

	_, err := st.Get(ctx, "f", "kept")
	wantUnavailable(t, "read", err)
	wantUnavailable(t, "write", st.Put(ctx, "f", "new", stores.Record{Result: []byte("r")}))
	wantUnavailable(t, "delete", st.Delete(ctx, "f", "kept"))
	_, err = st.Len(ctx, "f")
	wantUnavailable(t, "len", err)
	wantUnavailable(t, "clear", st.Clear(ctx, "f"))
	_, _, err = st.List(ctx, "f", "", 10)
	wantUnavailable(t, "list", err)
	for _, err := range st.Entries(ctx, "f", stores.AllParts) {
		wantUnavailable(t, "list", err)
	}
	_, err = st.Owner(ctx, "f")
	wantUnavailable(t, "owner", err)
	_, err = st.ClaimOwner(ctx, "f", []byte("o"))
	wantUnavailable(t, "claim owner", err)
	for _, err := range st.Funcs(ctx) {
		wantUnavailable(t, "funcs", err)
	}
	_, err = st.Lock(ctx, "f", "kept")
	wantUnavailable(t, "lock", err)

	// When the server is back, the same handle finds the record intact.
	restart()
	rec, err := st.Get(ctx, "f", "kept")
	if err != nil {
		t.Fatalf("Get after the server restarted: %v", err)
	}
	if string(rec.Result) != "good" {
		t.Errorf("Get after the server restarted: Result = %q, want %q", rec.Result, "good")
	}
}

// TestCallerTimeout checks that a caller's deadline ends an operation on a
// stopped server long before the server-selection timeout, as the
// caller's error.
func TestCallerTimeout(t *testing.T) {
	t.Parallel()
	srv, _ := startOwnServer(t)
	st := openURL(t, storeURL(t, srv.uri, url.Values{"serverSelectionTimeoutMS": {"600000"}}))
	srv.stop()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := st.Get(ctx, "f", "h")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get past the caller's deadline: err = %v, want context.DeadlineExceeded", err)
	}
	if errors.Is(err, stores.ErrUnavailable) {
		t.Errorf("Get past the caller's deadline: err = %v, want the context's error, not ErrUnavailable", err)
	}
	var opErr *stores.OpError
	if !errors.As(err, &opErr) || opErr.Op != "read" {
		t.Errorf("Get past the caller's deadline: err = %v, want an *OpError from read", err)
	}
}
