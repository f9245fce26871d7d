package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/memstore"
)

func ExampleNew() {
	// Serve an in-memory store; a program would use http.ListenAndServe
	// (or persist serve) instead of httptest.
	srv := httptest.NewServer(server.New(memstore.Open("example-server"), server.Options{}))
	defer srv.Close()

	// What pypersist sends for pow(2, 3) with pickle=str.
	item := `{"funcname": "pow", "hash": "2 to the 3", "namespace": "pypersist", "result": "8"}`
	resp, err := http.Post(srv.URL+"/persist/pow", "application/json", strings.NewReader(item))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Status)

	resp, err = http.Get(srv.URL + "/persist/pow/2%20to%20the%203")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, strings.Contains(string(body), `"result":"8"`))
	// Output:
	// 201 Created
	// 200 OK true
}

// ExampleNew_cursor walks a function by cursor, the persist extension for
// clients that go past the first pages: each page costs its own size, and
// names the next one in _meta.next_cursor until the last.
func ExampleNew_cursor() {
	store := memstore.Open("example-server-cursor")
	ctx := context.Background()
	for _, h := range []string{"e", "a", "d", "b", "c"} {
		_ = store.Put(ctx, "f", h, stores.Record{Result: []byte("result of " + h)})
	}
	srv := httptest.NewServer(server.New(store, server.Options{}))
	defer srv.Close()

	query := url.Values{wire.CursorParam: {""}, "max_results": {"2"}}
	for {
		resp, err := http.Get(srv.URL + "/persist/f?" + query.Encode())
		if err != nil {
			fmt.Println(err)
			return
		}
		var page wire.Page
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			fmt.Println(err)
			return
		}
		var shown []string
		for _, it := range page.Items {
			shown = append(shown, it.Hash+"="+it.Result)
		}
		fmt.Println(strings.Join(shown, "; "))
		if page.Meta.NextCursor == "" {
			break
		}
		query.Set(wire.CursorParam, page.Meta.NextCursor)
	}
	// Output:
	// a=result of a; b=result of b
	// c=result of c; d=result of d
	// e=result of e
}
