package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/server/wire"
)

// TestCursorPaging walks a function by cursor, by _meta.next_cursor and by
// the next links, and checks that every item comes once, in hash order,
// that cursor pages carry no page number or total, and that a page query
// hands out the cursor of the page after it.
func TestCursorPaging(t *testing.T) {
	f := newFixture(t, server.Options{})
	const n = 23
	for i := range n {
		mustPut(t, f.store, "f", fmt.Sprintf("h%02d", (i*7)%n), fmt.Sprint(i))
	}
	page := func(path string) wire.Page {
		t.Helper()
		a := f.do(t, http.MethodGet, path, nil, "")
		if a.status != http.StatusOK {
			t.Fatalf("GET %s answered %d: %s", path, a.status, a.body)
		}
		var p wire.Page
		decodeJSON(t, a, &p)
		return p
	}
	walk := func(next func(p wire.Page) string) []string {
		t.Helper()
		var got []string
		path := "/persist/f?cursor=&max_results=5"
		for pages := 0; path != ""; pages++ {
			if pages > n {
				t.Fatalf("the walk did not end after %d pages", pages)
			}
			p := page(path)
			if p.Meta.Total != nil || p.Meta.Page != 0 {
				t.Errorf("cursor page %s: _meta = %+v, want no page and no total", path, p.Meta)
			}
			for _, it := range p.Items {
				if it.ETag == "" || it.Result == "" {
					t.Errorf("cursor page item %+v lacks its _etag or result", it)
				}
				got = append(got, it.Hash)
			}
			path = next(p)
		}
		return got
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("h%02d", i))
	}
	byMeta := walk(func(p wire.Page) string {
		if p.Meta.NextCursor == "" {
			return ""
		}
		return "/persist/f?max_results=5&cursor=" + url.QueryEscape(p.Meta.NextCursor)
	})
	byLinks := walk(func(p wire.Page) string {
		l, ok := p.Links["next"]
		if !ok {
			return ""
		}
		return "/" + l.Href
	})
	for name, got := range map[string][]string{"next_cursor": byMeta, "_links.next": byLinks} {
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("walking by %s gave %q, want %q", name, got, want)
		}
	}

	// A page query's cursor continues after it.
	p := page("/persist/f?max_results=10&page=2")
	if p.Meta.NextCursor == "" || p.Meta.Total == nil || *p.Meta.Total != n {
		t.Fatalf("page 2 of 10: _meta = %+v, want a next cursor and total %d", p.Meta, n)
	}
	p = page("/persist/f?max_results=10&cursor=" + url.QueryEscape(p.Meta.NextCursor))
	if len(p.Items) != 3 || p.Items[0].Hash != "h20" || p.Meta.NextCursor != "" {
		t.Errorf("the page after page 2 of 10 = %d items from %q, next cursor %q; want h20..h22 and none", len(p.Items), p.Items[0].Hash, p.Meta.NextCursor)
	}

	// An empty cursor with a where on $gt starts after that hash.
	p = page(`/persist/f?cursor=&max_results=2&where={"hash":{"$gt":"h10"}}`)
	if len(p.Items) != 2 || p.Items[0].Hash != "h11" || p.Items[1].Hash != "h12" {
		t.Errorf("cursor page after h10 = %+v, want h11 and h12", p.Items)
	}

	for _, bad := range []string{
		"?cursor=nonsense",
		"?cursor=&page=2",
		`?cursor=` + url.QueryEscape(p.Meta.NextCursor) + `&where={"hash":{"$gt":"h01"}}`,
		`?projection={"result":2}`,
		`?projection={"result":1,"key":0}`,
		`?projection={"_id":0}`,
	} {
		if a := f.do(t, http.MethodGet, "/persist/f"+bad, nil, ""); a.status != http.StatusBadRequest {
			t.Errorf("GET /persist/f%s answered %d, want 400: %s", bad, a.status, a.body)
		} else {
			eveError(t, a)
		}
	}
}

// TestProjection checks Eve's projection on an item and on a list: only
// the parts asked for are answered, a part-item has no _etag (it would
// not be the record's), and a metadata page has sizes and no strings.
func TestProjection(t *testing.T) {
	f := newFixture(t, server.Options{})
	a := f.post(t, "p", map[string]any{"funcname": "p", "hash": "h", "namespace": "pypersist", "result": "res", "key": "k", "metadata": "meta"})
	if a.status != http.StatusCreated {
		t.Fatalf("POST answered %d: %s", a.status, a.body)
	}
	var it wire.Item
	a = f.do(t, http.MethodGet, "/persist/p/h?projection="+url.QueryEscape(`{"result": 1}`), nil, "")
	decodeJSON(t, a, &it)
	if it.Result != "res" || it.Key != nil || it.Metadata != nil || it.ETag != "" || a.header.Get("ETag") != "" || it.Created == "" {
		t.Errorf("item with only the result = %+v (ETag header %q)", it, a.header.Get("ETag"))
	}
	it = wire.Item{}
	decodeJSON(t, f.do(t, http.MethodGet, "/persist/p/h?projection="+url.QueryEscape(`{"result": 0}`), nil, ""), &it)
	if it.Result != "" || it.Key == nil || *it.Key != "k" || it.Metadata == nil || *it.Metadata != "meta" {
		t.Errorf("item without the result = %+v", it)
	}
	if a := f.do(t, http.MethodGet, "/persist/p/h?projection="+url.QueryEscape(`{"result": 0, "key": 0, "metadata": 0}`), nil, ""); a.status != http.StatusBadRequest {
		t.Errorf("an item projection that keeps nothing answered %d, want 400", a.status)
	}

	var mp wire.MetaPage
	decodeJSON(t, f.do(t, http.MethodGet, "/persist/p?projection="+url.QueryEscape(`{"result": 0, "key": 0, "metadata": 0}`), nil, ""), &mp)
	if len(mp.Items) != 1 || mp.Items[0].Hash != "h" || mp.Items[0].Size != int64(len("res")+len("k")+len("meta")) || mp.Items[0].Created == "" {
		t.Errorf("metadata page = %+v, want h with its size and time", mp)
	}
}
