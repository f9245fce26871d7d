package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores/memstore"
)

// FuzzRequest sends arbitrary methods, paths and bodies through the whole
// handler: it must never panic nor answer 5xx, and a request that is not
// answered 201 or 204 must leave the store as it was.
func FuzzRequest(f *testing.F) {
	mem := memstore.Open("server-fuzz")
	h := server.New(mem, server.Options{MaxBody: 4 << 10})
	ctx := context.Background()
	for _, seed := range []struct{ method, target, body string }{
		{"POST", "/persist/f", `{"funcname": "f", "hash": "h", "namespace": "pypersist", "result": "r"}`},
		{"POST", "/persist/f", `{"funcname": "f", "hash": "h", "namespace": "base64", "result": "!!"}`},
		{"GET", "/persist/f/h", ""},
		{"GET", "/persist/f?page=2&max_results=3&where={\"hash\":{\"$gt\":\"a\"}}", ""},
		{"GET", "/persist/f?cursor=&max_results=2&where={\"hash\":{\"$gt\":\"a\"}}", ""},
		{"GET", "/persist/f?cursor=1.aA&projection={\"result\":0,\"key\":0,\"metadata\":0}", ""},
		{"GET", "/persist/f/h?projection={\"key\":1}", ""},
		{"DELETE", "/persist/f/h", ""},
		{"DELETE", "/persist/f", ""},
		{"PUT", "/persist/f/%2e%2e", "{}"},
		{"GET", "/persist/../x", ""},
	} {
		f.Add(seed.method, seed.target, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, method, target string, body []byte) {
		req, err := http.NewRequest(method, "http://persist.test"+target, bytes.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		req.Header.Set("Content-Type", "application/json")
		for fn := range mem.Funcs(ctx) {
			_ = mem.Clear(ctx, fn)
		}
		mustPut(t, mem, "seed", "h", "seed result")
		before := snapshot(t, mem)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q answered %d: %s", method, target, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusCreated && rec.Code != http.StatusNoContent {
			if after := snapshot(t, mem); !slices.Equal(after, before) {
				t.Fatalf("%s %q answered %d and changed the store from %q to %q", method, target, rec.Code, before, after)
			}
		}
	})
}
