package storetest

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
)

// OpenURL opens rawURL with open (a backend's Open), failing t on error,
// and closes the store when t ends; a store the test closed already is
// fine.
func OpenURL(t testing.TB, open func(context.Context, string) (*stores.Store, error), rawURL string) *stores.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := open(ctx, rawURL)
	if err != nil {
		t.Fatalf("Open(%s): %v", rawURL, err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil && !errors.Is(err, stores.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

// WithQuery returns the store URL base with opts set in its query.
func WithQuery(t testing.TB, base string, opts url.Values) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("store URL %q: %v", base, err)
	}
	q := u.Query()
	for k, vs := range opts {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}
