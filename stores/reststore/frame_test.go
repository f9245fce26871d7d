package reststore_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/reststore"
)

// answerTypes records the Content-Type of every item answer, and, when
// jsonOnly, hides the record frame from the server as a server that does
// not know it would ignore it.
type answerTypes struct {
	jsonOnly bool
	mu       sync.Mutex
	types    []string
}

func (a *answerTypes) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.jsonOnly {
			r.Header.Set("Accept", strings.ReplaceAll(r.Header.Get("Accept"), wire.FrameType, "application/x-unknown"))
		}
		next.ServeHTTP(w, r)
		if r.Method == http.MethodGet && strings.Count(r.URL.Path, "/") == 3 {
			a.mu.Lock()
			a.types = append(a.types, w.Header().Get("Content-Type"))
			a.mu.Unlock()
		}
	})
}

// TestReadFrame checks that Read gets the record in a frame from persist
// serve, and reads the JSON item of a server that answers JSON instead,
// with the same bytes and the same nil parts either way.
func TestReadFrame(t *testing.T) {
	rec := stores.Record{Result: []byte{0x28, 0xb5, 0x2f, 0xfd, 0}, Key: []byte{}}
	for _, jsonOnly := range []bool{false, true} {
		types := &answerTypes{jsonOnly: jsonOnly}
		st := open(t, newServer(t, server.Options{}, types.wrap), reststore.Options{})
		ctx := t.Context()
		if err := st.Put(ctx, "f", "h", rec); err != nil {
			t.Fatal(err)
		}
		for _, parts := range []stores.Parts{stores.AllParts, stores.PartResult, stores.PartKey | stores.PartMeta} {
			got, err := st.Read(ctx, "f", "h", parts)
			if err != nil {
				t.Fatalf("json only %v: Read(%v): %v", jsonOnly, parts, err)
			}
			want := rec
			if !parts.Has(stores.PartResult) {
				want.Result = nil
			}
			if !parts.Has(stores.PartKey) {
				want.Key = nil
			}
			if !bytes.Equal(got.Result, want.Result) || (got.Result == nil) != (want.Result == nil) ||
				!bytes.Equal(got.Key, want.Key) || (got.Key == nil) != (want.Key == nil) || got.Meta != nil {
				t.Errorf("json only %v: Read(%v) = %+v, want %+v", jsonOnly, parts, got, want)
			}
			if got.Created.IsZero() {
				t.Errorf("json only %v: Read(%v) has no creation time", jsonOnly, parts)
			}
		}
		if _, err := st.Read(ctx, "f", "missing", stores.PartResult); !errors.Is(err, stores.ErrNotFound) {
			t.Errorf("json only %v: Read of a missing hash: %v, want ErrNotFound", jsonOnly, err)
		}
		want := wire.FrameType
		if jsonOnly {
			want = "application/json"
		}
		types.mu.Lock()
		for i, ct := range types.types[:3] {
			if ct != want {
				t.Errorf("json only %v: answer %d was %q, want %q", jsonOnly, i, ct, want)
			}
		}
		types.mu.Unlock()
	}
}

// TestReadFrameHash checks that a frame of another hash than the one asked
// for is refused, as a JSON item of another hash is.
func TestReadFrameHash(t *testing.T) {
	ts := newServer(t, server.Options{}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet {
				r.URL.Path = strings.Replace(r.URL.Path, "/asked", "/other", 1)
				r.URL.RawPath = ""
			}
			next.ServeHTTP(w, r)
		})
	})
	st := open(t, ts, reststore.Options{})
	if err := st.Put(t.Context(), "f", "other", stores.Record{Result: []byte("r")}); err != nil {
		t.Fatal(err)
	}
	_, err := st.Read(t.Context(), "f", "asked", stores.PartResult)
	if !errors.Is(err, stores.ErrUnavailable) || !strings.Contains(err.Error(), `"other"`) {
		t.Fatalf("Read of a hash answered with another's frame: %v, want ErrUnavailable naming the other hash", err)
	}
}
