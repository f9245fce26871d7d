package persist_test

// One example per section of pypersist's walkthrough, in Go. Each runs in a
// temporary directory and removes it; the functions skip the walkthrough's
// one-second sleep and count their computations instead.

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores/memstore"
)

// Section 1: persist. A memoised function computes once per argument; its
// results are files named by the hash of the key, and its cache works like
// a map.
func Example_persist() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	computed := 0
	triple, memo, err := persist.Wrap(func(x int) int { computed++; return 3 * x }, persist.Options{
		Cache: dir, FuncName: "triple", Spec: struct{ X int }{}})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()

	fmt.Println(triple(1), triple(4), triple(1), "computed", computed, "times")
	files, err := filepath.Glob(filepath.Join(dir, "triple", "*.out")) // sorted by name
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		fmt.Println(filepath.Base(f))
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		log.Fatal(err)
	}
	stamp, pickled, err := persist.SplitStamp(data)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("starts %x: a stamp (version %q), then %x: a checksummed frame holding the pickled result\n", data[:4], stamp.Version, pickled[:4])

	cache := memo.Cache()
	fmt.Println(cache.Get(persist.KeyOf("x", 4)))
	if err := cache.Set(persist.KeyOf("x", 10), 31); err != nil {
		log.Fatal(err)
	}
	fmt.Println(triple(10))
	var ke *persist.KeyError
	if _, err := cache.Get(persist.KeyOf("x", 5)); errors.As(err, &ke) {
		fmt.Println("bad key:", ke.Key)
	}
	fmt.Println(cache.Len())
	// Output:
	// 3 12 3 computed 2 times
	// ad5eZo5khrhn_3KGdbPlZx0d3Eq6B897N_b71upT56g.out
	// bI5oZAhqs5NfI3iOC79VfjwQ87eSQB6l9JZdx1TBKGE.out
	// starts 1c706b76: a stamp (version ""), then 1c706b63: a checksummed frame holding the pickled result
	// 12 <nil>
	// 31
	// bad key: (('x', 5),)
	// 3 <nil>
}

// Section 2: custom pickling. JSON makes the files human-readable, as
// pypersist's repr and eval do.
func Example_customPickling() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	double := func(x any) any {
		switch v := x.(type) {
		case int:
			return 2 * v
		case string:
			return v + v
		}
		return nil
	}
	memo, err := persist.Decorate(double, persist.Options{
		Cache: dir, FuncName: "double", Spec: struct{ X any }{},
		Pickle:   json.Marshal,
		Unpickle: func(b []byte) (v any, err error) { err = json.Unmarshal(b, &v); return v, err },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()

	fmt.Println(memo.Call(2))
	fmt.Println(memo.Call(2))
	fmt.Println(memo.CallKW(nil, persist.KW{"x": 2}))
	fmt.Println(memo.Call(0))
	fmt.Println(memo.Call("hello!"))
	files, err := filepath.Glob(filepath.Join(dir, "double", "*.out"))
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(data))
	}
	// Unordered output:
	// 4 <nil>
	// 4 <nil>
	// 4 <nil>
	// 0 <nil>
	// hello!hello! <nil>
	// 4
	// 0
	// "hello!hello!"
}

// Section 3: storage location, and how arguments become keys. Equivalent
// calls — by position or keyword, in any order, with defaults given or
// not — share one key.
func Example_storageLocation() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	computed := 0
	foo := func(x, y, z, a int) int { computed++; return x + y + z + a }
	// def foo(x, y, z=1, *, a=3)
	type fooArgs struct {
		X, Y int
		Z    int `persist:",default"`
		A    int `persist:",kwonly,default"`
	}
	memo, err := persist.Decorate(foo, persist.Options{
		Cache: "file://" + filepath.Join(dir, "results_for_alice") + "/", FuncName: "foofighters",
		Spec: fooArgs{Z: 1, A: 3}})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()

	call := func(args []any, kw persist.KW) {
		before := computed
		v, err := memo.CallKW(args, kw)
		how := "from the cache"
		if computed > before {
			how = "computed"
		}
		fmt.Println(v, err, how)
	}
	call([]any{1, 4}, persist.KW{"z": 3})
	call([]any{1}, persist.KW{"y": 4, "z": 3})
	call([]any{1}, persist.KW{"z": 3, "y": 4})
	call([]any{1, 4, 3}, persist.KW{"a": 3}) // a has its default value, so it is ignored
	call([]any{1, 4, 3}, persist.KW{"a": 7}) // a is keyword-only, and used
	call([]any{1, 4}, persist.KW{"a": 3, "z": 3})
	call([]any{1, 4}, persist.KW{"a": 7, "z": 3})
	files, err := filepath.Glob(filepath.Join(dir, "results_for_alice", "foofighters", "*.out"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(files), "files in results_for_alice/foofighters")

	// def baz(a, b, c=3, d=4, *, e, f=6, g=7)
	type bazArgs struct {
		A, B int
		C    int `persist:",default"`
		D    int `persist:",default"`
		E    int `persist:",kwonly"`
		F    int `persist:",kwonly,default"`
		G    int `persist:",kwonly,default"`
	}
	fmt.Println(persist.ArgTuple("baz", bazArgs{C: 3, D: 4, F: 6, G: 7}, []any{10, 2, 3}, persist.KW{"e": 50, "g": 3, "f": 6}))
	// Output:
	// 11 <nil> computed
	// 11 <nil> from the cache
	// 11 <nil> from the cache
	// 11 <nil> from the cache
	// 15 <nil> computed
	// 11 <nil> from the cache
	// 15 <nil> from the cache
	// 2 files in results_for_alice/foofighters
	// (('a', 10), ('b', 2), ('e', 50), ('g', 3)) <nil>
}

// Section 4: a custom key function. Sorting the arguments of a sum makes
// every order of them one key.
func Example_customKey() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	computed := 0
	sum := func(args ...int) int {
		computed++
		acc := 0
		for _, x := range args {
			acc += x
		}
		return acc
	}
	plain, memo, err := persist.Wrap(sum, persist.Options{Cache: dir, FuncName: "sum"})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()
	fmt.Println(plain(1, 4, 3, 7, 3, 12), plain(4, 12, 7, 3, 3, 1), "computed", computed, "times")

	computed = 0
	sorted, memo2, err := persist.Wrap(sum, persist.Options{Cache: dir, FuncName: "sum_sorted",
		Key: func(args ...int) []int { return slices.Sorted(slices.Values(args)) }})
	if err != nil {
		log.Fatal(err)
	}
	defer memo2.Close()
	fmt.Println(sorted(1, 4, 3, 7, 3, 12), sorted(4, 12, 7, 3, 3, 1), "computed", computed, "time")
	// Output:
	// 30 30 computed 2 times
	// 30 30 computed 1 time
}

// Section 5: a custom hash function. Readable hashes and text pickling make
// files anyone can inspect.
func Example_customHash() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	pow, memo, err := persist.Wrap(func(x, y int) int { return int(math.Pow(float64(x), float64(y))) },
		persist.Options{Cache: dir, FuncName: "pow",
			Hash:   func(k persist.Key) string { return fmt.Sprintf("%v to the %v", k[0].Value, k[1].Value) },
			Pickle: strconv.Itoa, Unpickle: strconv.Atoi})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()

	fmt.Println(pow(2, 3))
	pow(7, 4)
	pow(1, 3)
	pow(10, 5)
	pow(0, 0)
	pow(2, 16)
	files, err := filepath.Glob(filepath.Join(dir, "pow", "*.out"))
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		fmt.Printf("%q\n", filepath.Base(f))
	}
	data, err := os.ReadFile(filepath.Join(dir, "pow", "7 to the 4.out"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("7 to the 4.out holds %q\n", data)
	// Output:
	// 8
	// "0 to the 0.out"
	// "1 to the 3.out"
	// "10 to the 5.out"
	// "2 to the 16.out"
	// "2 to the 3.out"
	// "7 to the 4.out"
	// 7 to the 4.out holds "2401"
}

// Section 6: storing keys. Stored keys can be iterated, and they turn a
// hash collision into an error instead of a wrong result.
func Example_storingKeys() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	square, memo, err := persist.Wrap(func(x int) int { return x * x },
		persist.Options{Cache: dir, FuncName: "square", StoreKey: true, Spec: struct{ X int }{}})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()
	square(12)
	square(0)
	for key, err := range memo.Cache().Keys() {
		fmt.Println("key", key, err)
	}
	for val, err := range memo.Cache().Values() {
		fmt.Println("value", val, err)
	}
	for item, err := range memo.Cache().All() {
		fmt.Println("item", item.Key, item.Value, err)
	}

	hello := func(persist.Key) string { return "hello world" }
	careless, memo2, err := persist.Wrap(func(x int) int { return x * x },
		persist.Options{Cache: dir, FuncName: "square_careless", Hash: hello, Spec: struct{ X int }{}})
	if err != nil {
		log.Fatal(err)
	}
	defer memo2.Close()
	fmt.Println("careless", careless(3), careless(4))

	checked, memo3, err := persist.Wrap(func(x int) (int, error) { return x * x, nil },
		persist.Options{Cache: dir, FuncName: "square_checked", Hash: hello, StoreKey: true, Spec: struct{ X int }{},
			Verbosity: persist.Silent}) // the collision below is an error, not also a warning in the log
	if err != nil {
		log.Fatal(err)
	}
	defer memo3.Close()
	fmt.Println(checked(3))
	var hce *persist.HashCollisionError
	if _, err := checked(4); errors.As(err, &hce) {
		fmt.Println("Hash collision for keys", hce.Stored, "and", hce.Call)
	}
	// Unordered output:
	// key (('x', 12),) <nil>
	// key (('x', 0),) <nil>
	// value 144 <nil>
	// value 0 <nil>
	// item (('x', 12),) 144 <nil>
	// item (('x', 0),) 0 <nil>
	// careless 9 9
	// 9 <nil>
	// Hash collision for keys (('x', 3),) and (('x', 4),)
}

// Section 7: unhashing. An injective hash with its inverse makes keys
// iterable without storing them.
func Example_unhashing() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	exp, memo, err := persist.Wrap(func(x float64) float64 { return math.Pow(2.71828, x) },
		persist.Options{Cache: dir, FuncName: "exp",
			Key:    func(x float64) float64 { return x },
			Hash:   func(k float64) string { return fmt.Sprintf("e to the %v", k) },
			Unhash: func(s string) (float64, error) { return strconv.ParseFloat(s[len("e to the "):], 64) }})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()
	fmt.Println(exp(2), exp(2.0), exp(-1), exp(3.14))
	for item, err := range memo.Cache().All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("e to the", item.Key, "equals", item.Value)
	}
	// Unordered output:
	// 7.3890461584 7.3890461584 0.36787968862663156 23.103818060414167
	// e to the 2 equals 7.3890461584
	// e to the -1 equals 0.36787968862663156
	// e to the 3.14 equals 23.103818060414167
}

// Section 8: using a server. A persist server (persist serve, here started
// in the example on a free loopback port) keeps results for many users and
// machines; it speaks pypersist's REST protocol, so Python's pypersist can
// share it. A cache URL of http://… points a function at it.
func Example_usingServer() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: server.New(memstore.Open("example-server"), server.Options{})}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/persist"

	startAndEnd, err := persist.Decorate(func(s string) string { return s[:1] + s[len(s)-1:] },
		persist.Options{Cache: url, FuncName: "start_and_end", Spec: struct{ String string }{}})
	if err != nil {
		log.Fatal(err)
	}
	defer startAndEnd.Close()
	if err := startAndEnd.Clear(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(startAndEnd.Call("Hello World!"))
	fmt.Println(startAndEnd.Call("Doctor"))
	fmt.Println(startAndEnd.Call("Doctor"))
	fmt.Println(startAndEnd.Cache().Delete(persist.KeyOf("string", "Hello World!")))
	fmt.Println(startAndEnd.Cache().Len())
	if err := startAndEnd.Clear(); err != nil {
		log.Fatal(err)
	}

	alternating, err := persist.Decorate(func(s string) string {
		var b []byte
		for i := 0; i < len(s); i += 2 {
			b = append(b, s[i])
		}
		return string(b)
	}, persist.Options{Cache: url, FuncName: "alternating", StoreKey: true, Spec: struct{ String string }{}})
	if err != nil {
		log.Fatal(err)
	}
	defer alternating.Close()
	if err := alternating.Cache().Clear(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(alternating.Call("steadfastness"))
	fmt.Println(alternating.Call("steadfastness"))
	var words []any
	for _, w := range []string{"ballooned", "biannually", "curliness", "pursuance", "situation", "thesaurus"} {
		word, err := alternating.Call(w)
		if err != nil {
			log.Fatal(err)
		}
		words = append(words, word)
	}
	fmt.Println(words...)
	for item, err := range alternating.Cache().All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("item", item.Key, item.Value)
	}

	exp, err := persist.Decorate(func(x float64) float64 { return math.Pow(2.71828, x) },
		persist.Options{Cache: url, FuncName: "exp",
			Key:    func(x float64) float64 { return x },
			Hash:   func(k float64) string { return fmt.Sprintf("e to the %v", k) },
			Unhash: func(s string) (float64, error) { return strconv.ParseFloat(s[len("e to the "):], 64) }})
	if err != nil {
		log.Fatal(err)
	}
	defer exp.Close()
	if err := exp.Clear(); err != nil {
		log.Fatal(err)
	}
	for _, x := range []float64{2, -1, 2.0, 3.14} {
		if _, err := exp.Call(x); err != nil {
			log.Fatal(err)
		}
	}
	for item, err := range exp.Cache().All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("e to the", item.Key, "equals", item.Value)
	}
	// Unordered output:
	// H! <nil>
	// Dr <nil>
	// Dr <nil>
	// <nil>
	// 1 <nil>
	// sedates <nil>
	// sedates <nil>
	// blond banal cries prune stain tears
	// item (('string', 'steadfastness'),) sedates
	// item (('string', 'ballooned'),) blond
	// item (('string', 'biannually'),) banal
	// item (('string', 'curliness'),) cries
	// item (('string', 'pursuance'),) prune
	// item (('string', 'situation'),) stain
	// item (('string', 'thesaurus'),) tears
	// e to the 2 equals 7.3890461584
	// e to the -1 equals 0.36787968862663156
	// e to the 3.14 equals 23.103818060414167
}
