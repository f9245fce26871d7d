package reststore_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/reststore"
)

// closedPortURL returns the URL of a loopback port nobody listens on.
func closedPortURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr + "/persist"
}

func TestServerDown(t *testing.T) {
	st, err := reststore.Open(closedPortURL(t), reststore.Options{Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := t.Context()
	calls := map[string]error{
		"Put":    st.Put(ctx, "f", "h", stores.Record{Result: []byte("r")}),
		"Delete": st.Delete(ctx, "f", "h"),
		"Clear":  st.Clear(ctx, "f"),
	}
	_, calls["Get"] = st.Get(ctx, "f", "h")
	_, calls["Len"] = st.Len(ctx, "f")
	for _, err := range st.Entries(ctx, "f", stores.AllParts) {
		calls["Entries"] = err
		break
	}
	for name, err := range calls {
		var oe *stores.OpError
		var ne net.Error
		switch {
		case !errors.Is(err, stores.ErrUnavailable):
			t.Errorf("%s with the server down: err = %v, want ErrUnavailable", name, err)
		case !errors.As(err, &oe) || !strings.Contains(oe.Store, "127.0.0.1"):
			t.Errorf("%s with the server down: err = %v, want a *stores.OpError naming the server", name, err)
		case !errors.As(err, &ne):
			t.Errorf("%s with the server down: err = %v, want the net.Error wrapped too", name, err)
		}
	}
}

// failFirst answers the first n requests of method with status, then lets
// the server answer; it counts every request of that method.
type failFirst struct {
	method string
	n      int32
	status int
	seen   atomic.Int32
}

func (f *failFirst) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == f.method && f.seen.Add(1) <= f.n {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.status)
			_, _ = w.Write([]byte(`{"_status": "ERR", "_error": {"code": 503, "message": "busy"}}`))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func TestReadIsRetried(t *testing.T) {
	ff := &failFirst{method: http.MethodGet, n: 2, status: http.StatusServiceUnavailable}
	ts := newServer(t, server.Options{}, ff.wrap)
	st := open(t, ts, reststore.Options{Backoff: time.Millisecond})
	if err := st.Put(t.Context(), "f", "h", stores.Record{Result: []byte("r")}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	rec, err := st.Get(t.Context(), "f", "h")
	if err != nil {
		t.Fatalf("Get after two 503s: %v", err)
	}
	if string(rec.Result) != "r" {
		t.Errorf("Get: Result = %q, want %q", rec.Result, "r")
	}
	if got := ff.seen.Load(); got != 3 {
		t.Errorf("the server saw %d GETs, want 3 (two refused, one answered)", got)
	}
}

func TestReadRetriesAreBounded(t *testing.T) {
	ff := &failFirst{method: http.MethodGet, n: 1000, status: http.StatusBadGateway}
	ts := newServer(t, server.Options{}, ff.wrap)
	st := open(t, ts, reststore.Options{Backoff: time.Millisecond, Retries: 2})
	_, err := st.Get(t.Context(), "f", "h")
	var he *reststore.HTTPError
	if !errors.Is(err, stores.ErrUnavailable) || !errors.As(err, &he) || he.StatusCode != http.StatusBadGateway {
		t.Fatalf("Get from a server that always answers 502: err = %v, want ErrUnavailable and an *HTTPError 502", err)
	}
	if got := ff.seen.Load(); got != 3 {
		t.Errorf("the server saw %d GETs, want 3 (the first and 2 retries)", got)
	}
}

func TestWriteIsNotRetried(t *testing.T) {
	ff := &failFirst{method: http.MethodPost, n: 1, status: http.StatusServiceUnavailable}
	ts := newServer(t, server.Options{}, ff.wrap)
	st := open(t, ts, reststore.Options{Backoff: time.Millisecond})
	err := st.Put(t.Context(), "f", "h", stores.Record{Result: []byte("r")})
	if !errors.Is(err, stores.ErrUnavailable) {
		t.Fatalf("Put answered 503: err = %v, want ErrUnavailable", err)
	}
	if got := ff.seen.Load(); got != 1 {
		t.Errorf("the server saw %d POSTs, want 1", got)
	}
	if _, err := st.Get(t.Context(), "f", "h"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Get after the refused Put: err = %v, want ErrNotFound", err)
	}
}

func TestRetryWaitEndsWithContext(t *testing.T) {
	ff := &failFirst{method: http.MethodGet, n: 1000, status: http.StatusServiceUnavailable}
	ts := newServer(t, server.Options{}, ff.wrap)
	st := open(t, ts, reststore.Options{Backoff: time.Hour, Retries: 5})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := st.Get(ctx, "f", "h")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get whose context ends during a backoff: err = %v, want DeadlineExceeded", err)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("Get returned after %v, long after its context ended", waited)
	}
}

func TestClientErrors(t *testing.T) {
	var requests atomic.Int32
	count := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			next.ServeHTTP(w, r)
		})
	}
	ts := newServer(t, server.Options{Token: "right", MaxBody: 1 << 10}, count)
	ctx := t.Context()

	anonymous := open(t, ts, reststore.Options{})
	wrong := open(t, ts, reststore.Options{Token: "wrong"})
	right := open(t, ts, reststore.Options{Token: "right"})
	small := stores.Record{Result: []byte("r")}

	wantStatus := func(call string, err error, status int) {
		t.Helper()
		var he *reststore.HTTPError
		if !errors.As(err, &he) || he.StatusCode != status {
			t.Errorf("%s: err = %v, want an *HTTPError with status %d", call, err, status)
			return
		}
		if errors.Is(err, stores.ErrUnavailable) || errors.Is(err, stores.ErrNotFound) {
			t.Errorf("%s: err = %v, which a caller would take for a missing record or server", call, err)
		}
		if status == http.StatusUnauthorized && !strings.Contains(err.Error(), "credentials") {
			t.Errorf("%s: err = %v, want the server's message in it", call, err)
		}
	}
	wantStatus("Put without a token", anonymous.Put(ctx, "f", "h", small), http.StatusUnauthorized)
	wantStatus("Put with a wrong token", wrong.Put(ctx, "f", "h", small), http.StatusUnauthorized)
	wantStatus("Clear without a token", anonymous.Clear(ctx, "f"), http.StatusUnauthorized)
	if err := right.Put(ctx, "f", "h", small); err != nil {
		t.Fatalf("Put with the token: %v", err)
	}
	// Reads need no token when it guards writes only.
	if _, err := anonymous.Get(ctx, "f", "h"); err != nil {
		t.Errorf("Get without a token: %v", err)
	}
	wantStatus("Delete without a token", anonymous.Delete(ctx, "f", "h"), http.StatusUnauthorized)
	big := stores.Record{Result: make([]byte, 4<<10)}
	wantStatus("Put of a record over the body limit", right.Put(ctx, "f", "big", big), http.StatusRequestEntityTooLarge)

	// Names the protocol cannot carry are refused before any request.
	before := requests.Load()
	for _, fn := range []string{"A.Method", "with space", "é", "a-b"} {
		if err := right.Put(ctx, fn, "h", small); !errors.Is(err, stores.ErrInvalidName) {
			t.Errorf("Put with funcname %q: err = %v, want ErrInvalidName", fn, err)
		}
		if _, err := right.Get(ctx, fn, "h"); !errors.Is(err, stores.ErrInvalidName) {
			t.Errorf("Get with funcname %q: err = %v, want ErrInvalidName", fn, err)
		}
	}
	if got := requests.Load() - before; got != 0 {
		t.Errorf("invalid funcnames caused %d requests, want none", got)
	}
}
