package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gopersist/persist/server"
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
