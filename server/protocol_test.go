package server_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores/memstore"
)

var hexSHA1 = regexp.MustCompile(`^[0-9a-f]{40}$`)

func TestItemLifecycle(t *testing.T) {
	f := newFixture(t, server.Options{})
	ctx := context.Background()

	// POST, as pypersist's __setitem__ sends it.
	a := f.post(t, "triple", map[string]any{
		"funcname": "triple", "hash": "2 to the 3", "namespace": "pypersist",
		"result": "gASVCQAAAAAAAABLCS4=", "key": "(('x', 3),)", "metadata": "by test",
	})
	if a.status != http.StatusCreated {
		t.Fatalf("POST answered %d: %s", a.status, a.body)
	}
	var rc wire.Receipt
	decodeJSON(t, a, &rc)
	if rc.Status != wire.StatusOK || rc.ID != "2 to the 3" || !hexSHA1.MatchString(rc.ETag) || rc.Created == "" {
		t.Errorf("POST receipt = %+v", rc)
	}
	if _, err := time.Parse(wire.TimeFormat, rc.Created); err != nil {
		t.Errorf("_created %q is not in Eve's date format: %v", rc.Created, err)
	}

	// The store holds the strings as they were sent.
	rec, err := f.store.Get(ctx, "triple", "2 to the 3")
	if err != nil {
		t.Fatal(err)
	}
	if string(rec.Result) != "gASVCQAAAAAAAABLCS4=" || string(rec.Key) != "(('x', 3),)" || string(rec.Meta) != "by test" {
		t.Errorf("stored record = %q, %q, %q", rec.Result, rec.Key, rec.Meta)
	}

	// GET by hash, as _get_db(hash) does; the hash is one escaped segment.
	a = f.do(t, "GET", "/persist/triple/2%20to%20the%203", nil, "")
	if a.status != http.StatusOK {
		t.Fatalf("GET answered %d: %s", a.status, a.body)
	}
	var it wire.Item
	decodeJSON(t, a, &it)
	if it.Funcname != "triple" || it.Hash != "2 to the 3" || it.Namespace != wire.NamespaceText ||
		it.Result != "gASVCQAAAAAAAABLCS4=" || it.Key == nil || *it.Key != "(('x', 3),)" ||
		it.Metadata == nil || *it.Metadata != "by test" || it.ID != rc.ID || it.ETag != rc.ETag {
		t.Errorf("GET item = %+v, want what was posted with the receipt's _id and _etag", it)
	}
	if got := a.header.Get("ETag"); got != `"`+rc.ETag+`"` {
		t.Errorf("ETag header = %q, want the quoted _etag", got)
	}

	// A second POST of the hash replaces the item and its etag.
	a = f.post(t, "triple", item("triple", "2 to the 3", "new"))
	if a.status != http.StatusCreated {
		t.Fatalf("second POST answered %d: %s", a.status, a.body)
	}
	var rc2 wire.Receipt
	decodeJSON(t, a, &rc2)
	if rc2.ETag == rc.ETag {
		t.Errorf("replacing the item kept its etag %q", rc.ETag)
	}
	rec, _ = f.store.Get(ctx, "triple", "2 to the 3")
	if string(rec.Result) != "new" || rec.Key != nil || rec.Meta != nil {
		t.Errorf("record after the second POST = %q, %q, %q; want only the new result", rec.Result, rec.Key, rec.Meta)
	}

	// DELETE with the old etag is refused; with the current one (quoted,
	// as some clients send it) it succeeds.
	path := "/persist/triple/" + strings.ReplaceAll(rc2.ID, " ", "%20")
	if a = f.do(t, "DELETE", path, map[string]string{"If-Match": rc.ETag}, ""); a.status != http.StatusPreconditionFailed {
		t.Fatalf("DELETE with a stale etag answered %d: %s", a.status, a.body)
	}
	if a = f.do(t, "DELETE", path, map[string]string{"If-Match": `"` + rc2.ETag + `"`}, ""); a.status != http.StatusNoContent {
		t.Fatalf("DELETE with the etag answered %d: %s", a.status, a.body)
	}
	if a = f.do(t, "GET", path, nil, ""); a.status != http.StatusNotFound {
		t.Fatalf("GET after DELETE answered %d: %s", a.status, a.body)
	}
	eveError(t, a)
	if a = f.do(t, "DELETE", path, map[string]string{"If-Match": rc2.ETag}, ""); a.status != http.StatusNotFound {
		t.Fatalf("second DELETE answered %d: %s", a.status, a.body)
	}
}

func TestBase64Namespace(t *testing.T) {
	f := newFixture(t, server.Options{})
	a := f.post(t, "bin", map[string]any{"funcname": "bin", "hash": "h", "namespace": "base64", "result": "AAH/", "key": ""})
	if a.status != http.StatusCreated {
		t.Fatalf("POST answered %d: %s", a.status, a.body)
	}
	rec, err := f.store.Get(context.Background(), "bin", "h")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rec.Result, []byte{0, 1, 0xff}) || rec.Key == nil || len(rec.Key) != 0 || rec.Meta != nil {
		t.Errorf("stored record = %v, %v (nil: %v), %v; want the decoded bytes, an empty key, no metadata", rec.Result, rec.Key, rec.Key == nil, rec.Meta)
	}
	var it wire.Item
	decodeJSON(t, f.do(t, "GET", "/persist/bin/h", nil, ""), &it)
	if it.Namespace != wire.NamespaceBase64 || it.Result != "AAH/" || it.Key == nil || *it.Key != "" {
		t.Errorf("GET item = %+v, want it in base64 as posted", it)
	}
}

func TestList(t *testing.T) {
	f := newFixture(t, server.Options{})
	for i := range 31 {
		mustPut(t, f.store, "sq", fmt.Sprintf("h%02d", i), fmt.Sprint(i*i))
	}
	mustPut(t, f.store, "other", "h00", "not mine")
	list := func(query string) wire.Page {
		t.Helper()
		a := f.do(t, "GET", "/persist/sq"+query, nil, "")
		if a.status != http.StatusOK {
			t.Fatalf("GET list%s answered %d: %s", query, a.status, a.body)
		}
		if got := a.header.Get(wire.TotalCountHeader); got != "31" && !strings.Contains(query, "where") {
			t.Errorf("%s header = %q, want 31", wire.TotalCountHeader, got)
		}
		var p wire.Page
		decodeJSON(t, a, &p)
		return p
	}
	hashes := func(p wire.Page) string {
		var hs []string
		for _, it := range p.Items {
			hs = append(hs, it.Hash)
		}
		return strings.Join(hs, ",")
	}
	seq := func(from, to int) string {
		var hs []string
		for i := from; i < to; i++ {
			hs = append(hs, fmt.Sprintf("h%02d", i))
		}
		return strings.Join(hs, ",")
	}
	cases := []struct {
		query       string
		hashes      string
		page, max   int
		total       int
		next, prevs bool
	}{
		{"", seq(0, 25), 1, 25, 31, true, false},
		{"?page=2", seq(25, 31), 2, 25, 31, false, true},
		{"?page=3", "", 3, 25, 31, false, true},
		{"?max_results=10&page=2", seq(10, 20), 2, 10, 31, true, true},
		{"?max_results=1000", seq(0, 31), 1, 50, 31, false, false}, // capped at 50
		{"?max_results=0", seq(0, 25), 1, 25, 31, true, false},     // Eve: default
		{"?max_results=abc&page=x", seq(0, 25), 1, 25, 31, true, false},
		{"?max_results=2.9", seq(0, 2), 1, 2, 31, true, false},
		{"?page=-2&max_results=5", seq(5, 10), 2, 5, 31, true, true}, // Eve: abs
		{"?page=99999999999999999999", seq(0, 25), 1, 25, 31, true, false},
		{`?sort=hash&max_results=4&where={"hash":{"$gt":"h07"}}`, seq(8, 12), 1, 4, 23, true, false},
		{`?where={"hash":"h30"}`, "h30", 1, 25, 1, false, false},
		{`?where={"hash":"nope"}`, "", 1, 25, 0, false, false},
	}
	for _, tc := range cases {
		p := list(tc.query)
		if got := hashes(p); got != tc.hashes {
			t.Errorf("list%s = [%s], want [%s]", tc.query, got, tc.hashes)
		}
		if p.Meta.Page != tc.page || p.Meta.MaxResults != tc.max || p.Meta.Total == nil || *p.Meta.Total != tc.total {
			t.Errorf("list%s _meta = %+v, want page %d, max_results %d, total %d", tc.query, p.Meta, tc.page, tc.max, tc.total)
		}
		if more := tc.next && tc.page*tc.max < tc.total; (p.Meta.NextCursor != "") != more {
			t.Errorf("list%s _meta.next_cursor = %q, want one: %v", tc.query, p.Meta.NextCursor, more)
		}
		if _, ok := p.Links["next"]; ok != tc.next {
			t.Errorf("list%s has next link: %v, want %v", tc.query, ok, tc.next)
		}
		if _, ok := p.Links["prev"]; ok != tc.prevs {
			t.Errorf("list%s has prev link: %v, want %v", tc.query, ok, tc.prevs)
		}
		for _, it := range p.Items {
			if it.ETag == "" || it.ID != it.Hash || it.Created == "" {
				t.Errorf("list%s item %q lacks _id, _etag or _created: %+v", tc.query, it.Hash, it)
			}
		}
	}

	// HEAD counts without listing.
	a := f.do(t, "HEAD", "/persist/sq", nil, "")
	if a.status != http.StatusOK || a.header.Get(wire.TotalCountHeader) != "31" || len(a.body) != 0 {
		t.Errorf("HEAD answered %d, %s = %q, %d body bytes", a.status, wire.TotalCountHeader, a.header.Get(wire.TotalCountHeader), len(a.body))
	}
	// An unused function lists empty, as Eve does.
	var empty wire.Page
	decodeJSON(t, f.do(t, "GET", "/persist/unused", nil, ""), &empty)
	if empty.Items == nil || len(empty.Items) != 0 || empty.Meta.Total == nil || *empty.Meta.Total != 0 {
		t.Errorf("list of an unused function = %+v, want an empty _items list and total 0", empty)
	}
}

func TestPageSizeOptions(t *testing.T) {
	f := newFixture(t, server.Options{PageSize: 100, PageMax: 200})
	for i := range 150 {
		mustPut(t, f.store, "f", fmt.Sprintf("h%03d", i), "r")
	}
	var p wire.Page
	decodeJSON(t, f.do(t, "GET", "/persist/f", nil, ""), &p)
	if len(p.Items) != 100 || p.Meta.MaxResults != 100 {
		t.Errorf("default page = %d items, max_results %d; want 100", len(p.Items), p.Meta.MaxResults)
	}
	decodeJSON(t, f.do(t, "GET", "/persist/f?max_results=500", nil, ""), &p)
	if len(p.Items) != 150 || p.Meta.MaxResults != 200 {
		t.Errorf("page of max_results=500 = %d items, max_results %d; want 150 and 200", len(p.Items), p.Meta.MaxResults)
	}
}

func TestClear(t *testing.T) {
	f := newFixture(t, server.Options{})
	for i := range 3 {
		mustPut(t, f.store, "gone", fmt.Sprint(i), "r")
	}
	mustPut(t, f.store, "kept", "h", "r")
	if a := f.do(t, "DELETE", "/persist/gone", nil, ""); a.status != http.StatusNoContent {
		t.Fatalf("DELETE collection answered %d: %s", a.status, a.body)
	}
	if got := snapshot(t, f.store); len(got) != 1 || got[0] != "kept/h=r" {
		t.Errorf("store after DELETE collection = %q, want only kept/h", got)
	}
	// Nothing left to delete: Eve answers 404, which pypersist accepts.
	a := f.do(t, "DELETE", "/persist/gone", nil, "")
	if a.status != http.StatusNotFound {
		t.Fatalf("second DELETE collection answered %d: %s", a.status, a.body)
	}
	eveError(t, a)
}

func TestRefuseDuplicates(t *testing.T) {
	f := newFixture(t, server.Options{RefuseDuplicates: true})
	if a := f.post(t, "f", item("f", "h", "first")); a.status != http.StatusCreated {
		t.Fatalf("first POST answered %d: %s", a.status, a.body)
	}
	a := f.post(t, "f", item("f", "h", "second"))
	if a.status != http.StatusUnprocessableEntity {
		t.Fatalf("second POST answered %d, want 422: %s", a.status, a.body)
	}
	if e := eveError(t, a); !strings.Contains(e.Issues["hash"], "not unique") {
		t.Errorf("_issues = %v, want hash \"... is not unique\"", e.Issues)
	}
	if got := snapshot(t, f.store); len(got) != 1 || got[0] != "f/h=first" {
		t.Errorf("store = %q, want the first item only", got)
	}
}

func TestOptions(t *testing.T) {
	f := newFixture(t, server.Options{})
	for path, want := range map[string]string{"/persist/f": "POST", "/persist/f/h": "DELETE"} {
		a := f.do(t, "OPTIONS", path, nil, "")
		if a.status != http.StatusNoContent || !strings.Contains(a.header.Get("Allow"), want) {
			t.Errorf("OPTIONS %s answered %d, Allow %q", path, a.status, a.header.Get("Allow"))
		}
	}
}

func TestAccessLog(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	ts := httptest.NewServer(server.New(memstore.Open("server-test-accesslog"), server.Options{Logger: logger}))
	defer ts.Close()
	f := &fixture{url: ts.URL}
	f.post(t, "logged", item("logged", "h", "r"))
	f.do(t, "GET", "/persist/logged/missing", nil, "")
	ts.Close() // waits for the handlers, so the log is complete
	log := buf.String()
	for _, want := range []string{
		`"msg":"request","method":"POST","path":"/persist/logged","status":201`,
		`"msg":"request","method":"GET","path":"/persist/logged/missing","status":404`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("access log lacks %s:\n%s", want, log)
		}
	}
}
