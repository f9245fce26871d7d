package reststore_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/reststore"
)

// stall holds an item's GET until the request ends: before its headers,
// or after the first bytes of its body.
func stall(inBody bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || strings.Count(r.URL.Path, "/") != 3 {
				next.ServeHTTP(w, r)
				return
			}
			if inBody {
				w.Header().Set("Content-Length", "100")
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write([]byte("PRF1"))
				http.NewResponseController(w).Flush()
			}
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		})
	}
}

// TestReadTimeout checks that Options.Timeout bounds a read, body
// included, and that a read it ends is Unavailable (the server did not
// answer in time), not Canceled (the caller's context did not end).
func TestReadTimeout(t *testing.T) {
	for _, inBody := range []bool{false, true} {
		ts := newServer(t, server.Options{}, stall(inBody))
		st := open(t, ts, reststore.Options{Timeout: 200 * time.Millisecond, Retries: -1})
		start := time.Now()
		_, err := st.Read(t.Context(), "f", "h", stores.PartResult)
		if !errors.Is(err, stores.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timeout") {
			t.Errorf("stalled in the body %v: Read: %v, want ErrUnavailable for the timeout", inBody, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("stalled in the body %v: Read took %v with a timeout of 200ms", inBody, d)
		}
	}
}

// TestReadRedirect checks that a read the server redirects follows the
// redirect, as the store's client does for every other request.
func TestReadRedirect(t *testing.T) {
	ts := newServer(t, server.Options{}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if rest, ok := strings.CutPrefix(r.URL.RequestURI(), "/moved/"); ok {
				http.Redirect(w, r, "/persist/"+rest, http.StatusPermanentRedirect)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	if err := open(t, ts, reststore.Options{}).Put(t.Context(), "f", "h", stores.Record{Result: []byte{0xff}}); err != nil {
		t.Fatal(err)
	}
	st, err := reststore.Open(ts.URL+"/moved", reststore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec, err := st.Read(t.Context(), "f", "h", stores.PartResult)
	if err != nil || string(rec.Result) != "\xff" {
		t.Fatalf("Read through a redirect: %q, %v", rec.Result, err)
	}
}
