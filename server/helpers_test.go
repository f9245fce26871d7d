package server_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/memstore"
)

// fixture is a persist server on a loopback port over a fresh memory store.
type fixture struct {
	url   string
	store *stores.Store
}

func newFixture(t testing.TB, opts server.Options) *fixture {
	t.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	mem := memstore.Open("server-test-" + hex.EncodeToString(b))
	t.Cleanup(func() {
		for fn := range mem.Funcs(context.Background()) {
			_ = mem.Clear(context.Background(), fn)
		}
		_ = mem.Close()
	})
	ts := httptest.NewServer(server.New(mem, opts))
	t.Cleanup(ts.Close)
	return &fixture{url: ts.URL, store: mem}
}

// answer is a response with its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request; path is sent as written (escapes and all).
func (f *fixture) do(t testing.TB, method, path string, header map[string]string, body string) answer {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.url+path, r)
	if err != nil {
		t.Fatalf("NewRequest(%s %s): %v", method, path, err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// post sends an item as pypersist does.
func (f *fixture) post(t testing.TB, funcname string, item map[string]any) answer {
	t.Helper()
	b, err := json.Marshal(item)
	if err != nil {
		t.Fatal(err)
	}
	return f.do(t, http.MethodPost, "/persist/"+funcname, map[string]string{"Content-Type": "application/json", "Accept": "text/plain"}, string(b))
}

// item is a pypersist item with the given hash and result.
func item(funcname, hash, result string) map[string]any {
	return map[string]any{"funcname": funcname, "hash": hash, "namespace": "pypersist", "result": result}
}

// decodeJSON decodes an answer's body into v, failing the test if it is not
// JSON of that shape.
func decodeJSON(t testing.TB, a answer, v any) {
	t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("answer %d is not the expected JSON: %v\n%s", a.status, err, a.body)
	}
}

// eveError checks that a is Eve's error body for its status and returns it.
func eveError(t testing.TB, a answer) wire.Error {
	t.Helper()
	var e wire.Error
	decodeJSON(t, a, &e)
	if e.Status != wire.StatusERR || e.Error.Code != a.status || e.Error.Message == "" {
		t.Errorf("error body %s: want _status ERR, _error.code %d and a message", a.body, a.status)
	}
	return e
}

// snapshot lists every (funcname, hash, result) a memory store holds.
func snapshot(t testing.TB, st *stores.Store) []string {
	t.Helper()
	var out []string
	ctx := context.Background()
	for fn, err := range st.Funcs(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		for e, err := range st.Entries(ctx, fn, stores.AllParts) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fn+"/"+e.Hash+"="+string(e.Result))
		}
	}
	slices.Sort(out)
	return out
}

// mustPut stores a record directly in the store behind the server.
func mustPut(t testing.TB, st *stores.Store, funcname, hash, result string) {
	t.Helper()
	if err := st.Put(context.Background(), funcname, hash, stores.Record{Result: []byte(result)}); err != nil {
		t.Fatal(err)
	}
}
