package main

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"path/filepath"
	"strconv"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
)

// usingServer starts a persist server on a free loopback port, as
// `persist serve` would, keeping its results in files beside the tour's,
// and points three functions at it with http:// cache URLs.
func (t *tour) usingServer() {
	dir := filepath.Join(filepath.Dir(filepath.Clean(t.dir)), "persist_server")
	store, err := stores.Open(context.Background(), "file://"+dir)
	if err != nil {
		t.expect(false, "open the server's store: %v", err)
		return
	}
	defer store.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.expect(false, "listen: %v", err)
		return
	}
	srv := &http.Server{Handler: server.New(store, server.Options{})}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/persist"
	t.show("persist server on %s, keeping results in %s", url, dir)

	startAndEnd := t.decorate(func(s string) string { t.work(); return s[:1] + s[len(s)-1:] },
		persist.Options{Cache: url, FuncName: "start_and_end", Spec: struct{ String string }{}})
	alternating := t.decorate(func(s string) string {
		t.work()
		var b []byte
		for i := 0; i < len(s); i += 2 {
			b = append(b, s[i])
		}
		return string(b)
	}, persist.Options{Cache: url, FuncName: "alternating", StoreKey: true, Spec: struct{ String string }{}})
	exp := t.decorate(func(x float64) float64 { t.work(); return math.Pow(2.71828, x) },
		persist.Options{Cache: url, FuncName: "exp",
			Key:    func(x float64) float64 { return x },
			Hash:   func(k float64) string { return fmt.Sprintf("e to the %v", k) },
			Unhash: func(s string) (float64, error) { return strconv.ParseFloat(s[len("e to the "):], 64) }})
	if startAndEnd == nil || alternating == nil || exp == nil {
		return
	}
	defer startAndEnd.Close()
	defer alternating.Close()
	defer exp.Close()

	t.call("start_and_end('Hello World!')", "H!", func() (any, error) { return startAndEnd.Call("Hello World!") })
	t.call("start_and_end('Doctor')", "Dr", func() (any, error) { return startAndEnd.Call("Doctor") })
	t.call("start_and_end('Doctor')", "Dr", func() (any, error) { return startAndEnd.Call("Doctor") })

	t.call("alternating('steadfastness')", "sedates", func() (any, error) { return alternating.Call("steadfastness") })
	for w, want := range map[string]string{"ballooned": "blond", "biannually": "banal", "curliness": "cries",
		"pursuance": "prune", "situation": "stain", "thesaurus": "tears"} {
		t.call("alternating('"+w+"')", want, func() (any, error) { return alternating.Call(w) })
	}
	n := 0
	for it, err := range alternating.Cache().All() {
		t.expect(err == nil, "iterating: %v", err)
		t.show("item %v %v", it.Key, it.Value)
		n++
	}
	t.expect(n == 7, "alternating's cache should hold 7 items, found %d", n)

	for _, x := range []float64{2, -1, 2.0, 3.14} {
		t.call(fmt.Sprintf("exp(%v)", x), math.Pow(2.71828, x), func() (any, error) { return exp.Call(x) })
	}
	for it, err := range exp.Cache().All() {
		t.expect(err == nil, "iterating: %v", err)
		t.show("e to the %v equals %v", it.Key, it.Value)
	}
}
