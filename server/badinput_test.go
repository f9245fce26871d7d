package server_test

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gopersist/persist/server"
)

const jsonType = "application/json"

// badInputs are requests the server must refuse with a 4xx and Eve's error
// body, storing nothing. issues lists fields a 422 must name.
var badInputs = []struct {
	name   string
	method string
	path   string
	header map[string]string
	body   string
	status int
	issues []string
	allow  bool // a 405 must say what is allowed
}{
	// Bodies that are not one JSON object.
	{name: "malformed JSON", method: "POST", path: "/persist/f", body: `{"funcname": "f",`, status: 400},
	{name: "trailing data", method: "POST", path: "/persist/f", body: `{"funcname": "f"} {}`, status: 400},
	{name: "array (bulk insert)", method: "POST", path: "/persist/f", body: `[{"funcname": "f"}]`, status: 400},
	{name: "string", method: "POST", path: "/persist/f", body: `"f"`, status: 400},
	{name: "null", method: "POST", path: "/persist/f", body: `null`, status: 400},
	{name: "empty body", method: "POST", path: "/persist/f", body: ``, status: 400},
	{name: "invalid UTF-8", method: "POST", path: "/persist/f", body: "{\"funcname\": \"f\", \"hash\": \"h\", \"namespace\": \"pypersist\", \"result\": \"\xff\xfe\"}", status: 400},
	{name: "wrong content type", method: "POST", path: "/persist/f", header: map[string]string{"Content-Type": "text/plain"}, body: `{}`, status: 415},
	{name: "no content type", method: "POST", path: "/persist/f", header: map[string]string{"Content-Type": ""}, body: `{}`, status: 415},

	// Objects that break the schema.
	{name: "missing fields", method: "POST", path: "/persist/f", body: `{}`, status: 422, issues: []string{"funcname", "hash", "namespace", "result"}},
	{name: "missing result", method: "POST", path: "/persist/f", body: `{"funcname": "f", "hash": "h", "namespace": "pypersist"}`, status: 422, issues: []string{"result"}},
	{name: "number result", method: "POST", path: "/persist/f", body: `{"funcname": "f", "hash": "h", "namespace": "pypersist", "result": 5}`, status: 422, issues: []string{"result"}},
	{name: "null key", method: "POST", path: "/persist/f", body: `{"funcname": "f", "hash": "h", "namespace": "pypersist", "result": "r", "key": null}`, status: 422, issues: []string{"key"}},
	{name: "object metadata", method: "POST", path: "/persist/f", body: `{"funcname": "f", "hash": "h", "namespace": "pypersist", "result": "r", "metadata": {}}`, status: 422, issues: []string{"metadata"}},
	{name: "array hash", method: "POST", path: "/persist/f", body: `{"funcname": "f", "hash": ["h"], "namespace": "pypersist", "result": "r"}`, status: 422, issues: []string{"hash"}},
	{name: "unknown field", method: "POST", path: "/persist/f", body: `{"funcname": "f", "hash": "h", "namespace": "pypersist", "result": "r", "_id": "x"}`, status: 422, issues: []string{"_id"}},
	{name: "funcname differs from URL", method: "POST", path: "/persist/f", body: `{"funcname": "g", "hash": "h", "namespace": "pypersist", "result": "r"}`, status: 422, issues: []string{"funcname"}},
	{name: "empty funcname", method: "POST", path: "/persist/f", body: `{"funcname": "", "hash": "h", "namespace": "pypersist", "result": "r"}`, status: 422, issues: []string{"funcname"}},
	{name: "hash with slash", method: "POST", path: "/persist/f", body: `{"funcname": "f", "hash": "../etc/passwd", "namespace": "pypersist", "result": "r"}`, status: 422, issues: []string{"hash"}},
	{name: "hash ..", method: "POST", path: "/persist/f", body: `{"funcname": "f", "hash": "..", "namespace": "pypersist", "result": "r"}`, status: 422, issues: []string{"hash"}},
	{name: "empty hash", method: "POST", path: "/persist/f", body: `{"funcname": "f", "hash": "", "namespace": "pypersist", "result": "r"}`, status: 422, issues: []string{"hash"}},
	{name: "hash with NUL", method: "POST", path: "/persist/f", body: `{"funcname": "f", "hash": "a\u0000b", "namespace": "pypersist", "result": "r"}`, status: 422, issues: []string{"hash"}},
	{name: "hash too long", method: "POST", path: "/persist/f", body: `{"funcname": "f", "hash": "` + strings.Repeat("h", 201) + `", "namespace": "pypersist", "result": "r"}`, status: 422, issues: []string{"hash"}},
	{name: "bad base64", method: "POST", path: "/persist/f", body: `{"funcname": "f", "hash": "h", "namespace": "base64", "result": "not base64!"}`, status: 422, issues: []string{"result"}},
	{name: "bad base64 key", method: "POST", path: "/persist/f", body: `{"funcname": "f", "hash": "h", "namespace": "base64", "result": "AAEC", "key": "%%%"}`, status: 422, issues: []string{"key"}},

	// Size.
	{name: "body over the limit", method: "POST", path: "/persist/f", body: `{"funcname": "f", "hash": "h", "namespace": "pypersist", "result": "` + strings.Repeat("x", 2048) + `"}`, status: 413},

	// Paths.
	{name: "traversal in path", method: "GET", path: "/persist/../persist/f", status: 400},
	{name: "escaped .. as hash", method: "GET", path: "/persist/f/%2e%2e", status: 400},
	{name: "escaped slash in hash", method: "GET", path: "/persist/f/a%2Fb", status: 400},
	{name: "NUL in hash", method: "GET", path: "/persist/f/a%00b", status: 400},
	{name: "backslash in hash", method: "DELETE", path: "/persist/f/a%5Cb", header: map[string]string{"If-Match": "x"}, status: 400},
	{name: "double slash", method: "GET", path: "/persist//f", status: 400},
	{name: "dot in funcname", method: "GET", path: "/persist/Type.method/h", status: 400},
	{name: "dash in funcname", method: "POST", path: "/persist/a-b", body: `{"funcname": "a-b", "hash": "h", "namespace": "pypersist", "result": "r"}`, status: 400},
	{name: "non-ASCII funcname", method: "GET", path: "/persist/caf%C3%A9", status: 400},
	{name: "NUL in funcname", method: "DELETE", path: "/persist/f%00", status: 400},
	{name: "funcname too long", method: "GET", path: "/persist/" + strings.Repeat("f", 201), status: 400},
	{name: "unknown path", method: "GET", path: "/elsewhere", status: 404},
	{name: "collection root", method: "GET", path: "/persist", status: 404},
	{name: "too deep", method: "GET", path: "/persist/f/h/x", status: 404},
	{name: "trailing slash", method: "POST", path: "/persist/f/", body: `{}`, status: 404},

	// Methods.
	{name: "PUT collection", method: "PUT", path: "/persist/f", body: `{}`, status: 405, allow: true},
	{name: "PATCH item", method: "PATCH", path: "/persist/f/h", body: `{}`, status: 405, allow: true},
	{name: "POST item", method: "POST", path: "/persist/f/h", body: `{}`, status: 405, allow: true},

	// Conditional delete.
	{name: "delete without If-Match", method: "DELETE", path: "/persist/seed/h", status: 428},
	{name: "delete with a wrong etag", method: "DELETE", path: "/persist/seed/h", header: map[string]string{"If-Match": "0000"}, status: 412},
	{name: "delete of a missing item", method: "DELETE", path: "/persist/seed/missing", header: map[string]string{"If-Match": "0000"}, status: 404},

	// Queries the server cannot honour.
	{name: "sort by another field", method: "GET", path: "/persist/seed?sort=-hash", status: 400},
	{name: "where on another field", method: "GET", path: `/persist/seed?where={"result":"r"}`, status: 400},
	{name: "where not JSON", method: "GET", path: `/persist/seed?where=hash=="h"`, status: 400},
	{name: "where with another operator", method: "GET", path: `/persist/seed?where={"hash":{"$regex":"."}}`, status: 400},
}

func TestBadInput(t *testing.T) {
	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, server.Options{MaxBody: 1 << 10})
			mustPut(t, f.store, "seed", "h", "seed result")
			before := snapshot(t, f.store)
			header := map[string]string{"Content-Type": jsonType}
			for k, v := range tc.header {
				header[k] = v
			}
			a := f.do(t, tc.method, tc.path, header, tc.body)
			if a.status != tc.status {
				t.Fatalf("%s %s answered %d, want %d\n%s", tc.method, tc.path, a.status, tc.status, a.body)
			}
			e := eveError(t, a)
			for _, field := range tc.issues {
				if e.Issues[field] == "" {
					t.Errorf("_issues = %v, want an issue on %q", e.Issues, field)
				}
			}
			if tc.allow && a.header.Get("Allow") == "" {
				t.Errorf("405 without an Allow header")
			}
			if after := snapshot(t, f.store); !slices.Equal(after, before) {
				t.Errorf("the store changed from %q to %q", before, after)
			}
		})
	}
}

func TestBodyOverLimitWithoutLength(t *testing.T) {
	f := newFixture(t, server.Options{MaxBody: 1 << 10})
	body := `{"funcname": "f", "hash": "h", "namespace": "pypersist", "result": "` + strings.Repeat("x", 4096) + `"}`
	req, err := http.NewRequest(http.MethodPost, f.url+"/persist/f", struct{ *strings.Reader }{strings.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", jsonType)
	req.ContentLength = -1 // chunked: the limit must hold while reading
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked body over the limit answered %d, want 413", resp.StatusCode)
	}
	if got := snapshot(t, f.store); len(got) != 0 {
		t.Errorf("the store holds %q", got)
	}
}

func TestToken(t *testing.T) {
	basic := func(user string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"))
	}
	body := `{"funcname": "f", "hash": "h", "namespace": "pypersist", "result": "r"}`
	cases := []struct {
		scope  server.TokenScope
		method string
		path   string
		auth   string
		status int
	}{
		{server.TokenForWrites, "POST", "/persist/f", "", 401},
		{server.TokenForWrites, "POST", "/persist/f", "Bearer wrong", 401},
		{server.TokenForWrites, "POST", "/persist/f", "Bearer", 401},
		{server.TokenForWrites, "POST", "/persist/f", basic("wrong"), 401},
		{server.TokenForWrites, "POST", "/persist/f", "Basic !!!", 401},
		{server.TokenForWrites, "DELETE", "/persist/f", "", 401},
		{server.TokenForWrites, "DELETE", "/persist/f/h", "Token t0ken", 401},
		{server.TokenForWrites, "GET", "/persist/f/h", "", 404},
		{server.TokenForWrites, "GET", "/persist/f", "", 200},
		{server.TokenForWrites, "POST", "/persist/f", "Bearer t0ken", 201},
		{server.TokenForWrites, "POST", "/persist/f", basic("t0ken"), 201},
		{server.TokenForAll, "GET", "/persist/f", "", 401},
		{server.TokenForAll, "GET", "/persist/f/h", "bearer wrong", 401},
		{server.TokenForAll, "GET", "/persist/f", "bearer t0ken", 200},
		{server.TokenForAll, "POST", "/persist/f", "Bearer t0ken", 201},
	}
	for _, tc := range cases {
		f := newFixture(t, server.Options{Token: "t0ken", TokenFor: tc.scope})
		header := map[string]string{"Content-Type": jsonType, "Authorization": tc.auth}
		b := ""
		if tc.method == "POST" {
			b = body
		}
		a := f.do(t, tc.method, tc.path, header, b)
		if a.status != tc.status {
			t.Errorf("scope %d, %s %s with %q answered %d, want %d: %s", tc.scope, tc.method, tc.path, tc.auth, a.status, tc.status, a.body)
			continue
		}
		if tc.status == 401 {
			eveError(t, a)
			if a.header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
		}
		stored := len(snapshot(t, f.store)) > 0
		if stored != (tc.status == 201) {
			t.Errorf("scope %d, %s %s with %q: stored = %v after %d", tc.scope, tc.method, tc.path, tc.auth, stored, a.status)
		}
	}
}
