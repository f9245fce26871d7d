package reststore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/reststore"
	"github.com/gopersist/persist/stores/storetest"
	"github.com/gopersist/persist/stores/storetest/memotest"
)

// newServer serves a fresh in-memory store with the persist server on a
// loopback port, wrapped by wrap when it is not nil.
func newServer(t testing.TB, opts server.Options, wrap func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	mem := memstore.Open("reststore-test-" + hex.EncodeToString(b))
	t.Cleanup(func() { _ = mem.Close() })
	h := server.New(mem, opts)
	if wrap != nil {
		h = wrap(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// open returns a Store on ts that is closed when t ends.
func open(t testing.TB, ts *httptest.Server, opts reststore.Options) *stores.Store {
	t.Helper()
	st, err := reststore.Open(ts.URL+"/persist", opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// TestConformance runs the suite once, with every option that changes how
// requests are made: a token on every request and small list pages. (The
// suite's 16 MiB record takes most of its time, so one run covers them
// all; stores.Open is tested by TestTokenFromEnvironment.)
func TestConformance(t *testing.T) {
	const token = "s3cret-token"
	ts := newServer(t, server.Options{Token: token, TokenFor: server.TokenForAll}, nil)
	open := func(t *testing.T) *stores.Store {
		st, err := reststore.Open(ts.URL+"/persist/", reststore.Options{Token: token, PageSize: 7})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return st
	}
	storetest.Run(t, open)
	memotest.Run(t, open)
}

func TestTokenFromEnvironment(t *testing.T) {
	const token = "from-the-environment"
	ts := newServer(t, server.Options{Token: token, TokenFor: server.TokenForAll}, nil)
	t.Setenv(reststore.TokenEnv, token)
	st, err := stores.Open(t.Context(), ts.URL+"/persist")
	if err != nil {
		t.Fatalf("stores.Open: %v", err)
	}
	defer st.Close()
	if st.URL() != ts.URL+"/persist" {
		t.Fatalf("stores.Open(%s/persist).URL() = %q", ts.URL, st.URL())
	}
	if err := st.Put(t.Context(), "f", "h", stores.Record{Result: []byte("r")}); err != nil {
		t.Fatalf("Put with the token from $%s: %v", reststore.TokenEnv, err)
	}
	t.Setenv(reststore.TokenEnv, "")
	other, err := stores.Open(t.Context(), ts.URL+"/persist")
	if err != nil {
		t.Fatalf("stores.Open: %v", err)
	}
	defer other.Close()
	_, err = other.Get(t.Context(), "f", "h")
	var he *reststore.HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized {
		t.Fatalf("Get without a token: err = %v, want an *HTTPError with status 401", err)
	}
}

func TestOpenURL(t *testing.T) {
	bad := []string{
		"ftp://localhost:5000/persist",
		"http:///persist",
		"http://user:pass@localhost:5000/persist",
		"http://localhost:5000/persist?token=x",
		"http://localhost:5000/persist?timeout=soon",
		"http://localhost:5000/persist?timeout=-1s",
		"http://localhost:5000/persist?retries=many",
	}
	for _, u := range bad {
		st, err := reststore.Open(u, reststore.Options{})
		var oe *stores.OpError
		if err == nil || !errors.As(err, &oe) || oe.Op != "open" {
			t.Errorf("Open(%q) = %v, %v; want an open *stores.OpError", u, st, err)
		}
	}
	for u, want := range map[string]string{
		"http://localhost:5000":                              "http://localhost:5000/persist",
		"http://localhost:5000/":                             "http://localhost:5000/persist",
		"https://cache.example:8443/persist/":                "https://cache.example:8443/persist",
		"http://localhost:5000/api/persist?retries=0":        "http://localhost:5000/api/persist",
		"http://127.0.0.1:5000/persist?timeout=2s&retries=5": "http://127.0.0.1:5000/persist",
	} {
		st, err := reststore.Open(u, reststore.Options{})
		if err != nil {
			t.Errorf("Open(%q): %v", u, err)
			continue
		}
		if st.URL() != want {
			t.Errorf("Open(%q).URL() = %q, want %q", u, st.URL(), want)
		}
		_ = st.Close()
	}
}

func TestCloseTwice(t *testing.T) {
	ts := newServer(t, server.Options{}, nil)
	st := open(t, ts, reststore.Options{})
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := st.Close(); !errors.Is(err, stores.ErrClosed) {
		t.Fatalf("second Close: err = %v, want ErrClosed", err)
	}
	if _, err := st.Len(context.Background(), "f"); !errors.Is(err, stores.ErrClosed) {
		t.Fatalf("Len after Close: err = %v, want ErrClosed", err)
	}
}
