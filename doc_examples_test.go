package persist_test

// One example per section of pypersist's walkthrough, in Go. Each runs in a
// temporary directory and removes it; the functions skip the walkthrough's
// one-second sleep and count their computations instead.

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores/memstore"
)

// scratch makes a directory for one example's files.
func scratch() (string, func()) {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		panic(err)
	}
	return dir, func() { os.RemoveAll(dir) }
}

// listdir is the walkthrough's listdir: the sorted names in a directory,
// without hidden files as ls shows them (the file store keeps a function's
// owner record in <funcname>/.owner).
func listdir(dir string) []string {
	entries, _ := os.ReadDir(dir)
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Section 1: persist. A memoised function computes once per argument; its
// results are files named by the hash of the key, and its cache works like
// a map.
func Example_persist() {
	dir, done := scratch()
	defer done()
	computed := 0
	triple, memo := must3(persist.Wrap(func(x int) int { computed++; return 3 * x }, persist.Options{
		Cache: dir, FuncName: "triple", Spec: struct{ X int }{}}))
	defer memo.Close()
	memo.Clear()

	fmt.Println(triple(1), triple(4), triple(1), "computed", computed, "times")
	files := listdir(filepath.Join(dir, "triple"))
	fmt.Println(files)
	data := must(os.ReadFile(filepath.Join(dir, "triple", files[0])))
	fmt.Printf("starts %x: a zstd frame holding the pickled result\n", data[:4])

	cache := memo.Cache()
	fmt.Println(cache.Get(persist.Key{{"x", 4}}))
	cache.Set(persist.Key{{"x", 10}}, 31)
	fmt.Println(triple(10))
	var ke *persist.KeyError
	if _, err := cache.Get(persist.Key{{"x", 5}}); errors.As(err, &ke) {
		fmt.Println("bad key:", ke.Key)
	}
	fmt.Println(cache.Len())
	// Output:
	// 3 12 3 computed 2 times
	// [fW8tg_xA6ENAcsZwb_m1tn0eUkV-zBCqbw2RphQZnZg.out geu29twTVssLQv970wkC92resLXIyUW90zGSXuTxGOs.out]
	// starts 28b52ffd: a zstd frame holding the pickled result
	// 12 <nil>
	// 31
	// bad key: (('x', 5),)
	// 3 <nil>
}

func must3[F any](f F, m *persist.Memo, err error) (F, *persist.Memo) {
	if err != nil {
		panic(err)
	}
	return f, m
}

// Section 2: custom pickling. JSON makes the files human-readable, as
// pypersist's repr and eval do.
func Example_customPickling() {
	dir, done := scratch()
	defer done()
	double := func(x any) any {
		switch v := x.(type) {
		case int:
			return 2 * v
		case string:
			return v + v
		}
		return nil
	}
	memo := must(persist.Decorate(double, persist.Options{
		Cache: dir, FuncName: "double", Spec: struct{ X any }{},
		Pickle:   json.Marshal,
		Unpickle: func(b []byte) (v any, err error) { err = json.Unmarshal(b, &v); return v, err },
	}))
	defer memo.Close()
	memo.Clear()

	fmt.Println(memo.Call(2))
	fmt.Println(memo.Call(2))
	fmt.Println(memo.CallKW(nil, persist.KW{"x": 2}))
	fmt.Println(memo.Call(0))
	fmt.Println(memo.Call("hello!"))
	for _, f := range listdir(filepath.Join(dir, "double")) {
		fmt.Println(string(must(os.ReadFile(filepath.Join(dir, "double", f)))))
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
	dir, done := scratch()
	defer done()
	computed := 0
	foo := func(x, y, z, a int) int { computed++; return x + y + z + a }
	type fooArgs struct {
		X, Y int
		Z    int `persist:",default"`
		A    int `persist:",kwonly,default"`
	}
	memo := must(persist.Decorate(foo, persist.Options{
		Cache: "file://" + filepath.Join(dir, "results_for_alice") + "/", FuncName: "foofighters",
		Spec: fooArgs{Z: 1, A: 3}}))
	defer memo.Close()
	memo.Clear()

	call := func(args []any, kw persist.KW) {
		before := computed
		v, err := memo.CallKW(args, kw)
		fmt.Println(v, err, map[bool]string{true: "computed", false: "from the cache"}[computed > before])
	}
	call([]any{1, 4}, persist.KW{"z": 3})
	call([]any{1}, persist.KW{"y": 4, "z": 3})
	call([]any{1}, persist.KW{"z": 3, "y": 4})
	call([]any{1, 4, 3}, persist.KW{"a": 3}) // a has its default value, so it is ignored
	call([]any{1, 4, 3}, persist.KW{"a": 7}) // a is keyword-only, and used
	call([]any{1, 4}, persist.KW{"a": 3, "z": 3})
	call([]any{1, 4}, persist.KW{"a": 7, "z": 3})
	fmt.Println(listdir(dir), len(listdir(filepath.Join(dir, "results_for_alice", "foofighters"))), "files")

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
	// [results_for_alice] 2 files
	// (('a', 10), ('b', 2), ('e', 50), ('g', 3)) <nil>
}

// Section 4: a custom key function. Sorting the arguments of a sum makes
// every order of them one key.
func Example_customKey() {
	dir, done := scratch()
	defer done()
	computed := 0
	sum := func(args ...int) int {
		computed++
		acc := 0
		for _, x := range args {
			acc += x
		}
		return acc
	}
	plain, memo := must3(persist.Wrap(sum, persist.Options{Cache: dir, FuncName: "sum"}))
	defer memo.Close()
	memo.Clear()
	fmt.Println(plain(1, 4, 3, 7, 3, 12), plain(4, 12, 7, 3, 3, 1), "computed", computed, "times")

	computed = 0
	sorted, memo2 := must3(persist.Wrap(sum, persist.Options{Cache: dir, FuncName: "sum_sorted",
		Key: func(args ...int) []int { return slices.Sorted(slices.Values(args)) }}))
	defer memo2.Close()
	memo2.Clear()
	fmt.Println(sorted(1, 4, 3, 7, 3, 12), sorted(4, 12, 7, 3, 3, 1), "computed", computed, "time")
	// Output:
	// 30 30 computed 2 times
	// 30 30 computed 1 time
}

// Section 5: a custom hash function. Readable hashes and text pickling make
// files anyone can inspect.
func Example_customHash() {
	dir, done := scratch()
	defer done()
	pow, memo := must3(persist.Wrap(func(x, y int) int { return int(math.Pow(float64(x), float64(y))) },
		persist.Options{Cache: dir, FuncName: "pow",
			Hash:   func(k persist.Key) string { return fmt.Sprintf("%v to the %v", k[0].Value, k[1].Value) },
			Pickle: strconv.Itoa, Unpickle: strconv.Atoi}))
	defer memo.Close()
	memo.Clear()

	fmt.Println(pow(2, 3))
	pow(7, 4)
	pow(1, 3)
	pow(10, 5)
	pow(0, 0)
	pow(2, 16)
	fmt.Printf("%q\n", listdir(filepath.Join(dir, "pow")))
	fmt.Printf("%q\n", must(os.ReadFile(filepath.Join(dir, "pow", "7 to the 4.out"))))
	// Output:
	// 8
	// ["0 to the 0.out" "1 to the 3.out" "10 to the 5.out" "2 to the 16.out" "2 to the 3.out" "7 to the 4.out"]
	// "2401"
}

// Section 6: storing keys. Stored keys can be iterated, and they turn a
// hash collision into an error instead of a wrong result.
func Example_storingKeys() {
	dir, done := scratch()
	defer done()
	square, memo := must3(persist.Wrap(func(x int) int { return x * x },
		persist.Options{Cache: dir, FuncName: "square", StoreKey: true, Spec: struct{ X int }{}}))
	defer memo.Close()
	memo.Clear()
	square(12)
	square(0)
	for key := range memo.Cache().Keys() {
		fmt.Println("key", key)
	}
	for val := range memo.Cache().Values() {
		fmt.Println("value", val)
	}
	for item := range memo.Cache().All() {
		fmt.Println("item", item.Key, item.Value)
	}

	hello := func(persist.Key) string { return "hello world" }
	careless, memo2 := must3(persist.Wrap(func(x int) int { return x * x },
		persist.Options{Cache: dir, FuncName: "square_careless", Hash: hello, Spec: struct{ X int }{}}))
	defer memo2.Close()
	memo2.Clear()
	fmt.Println("careless", careless(3), careless(4), listdir(filepath.Join(dir, "square_careless")))

	checked, memo3 := must3(persist.Wrap(func(x int) (int, error) { return x * x, nil },
		persist.Options{Cache: dir, FuncName: "square_checked", Hash: hello, StoreKey: true, Spec: struct{ X int }{}}))
	defer memo3.Close()
	memo3.Clear()
	fmt.Println(checked(3))
	var hce *persist.HashCollisionError
	if _, err := checked(4); errors.As(err, &hce) {
		fmt.Println("Hash collision for keys", hce.Stored, "and", hce.Call)
	}
	// Unordered output:
	// key (('x', 12),)
	// key (('x', 0),)
	// value 144
	// value 0
	// item (('x', 12),) 144
	// item (('x', 0),) 0
	// careless 9 9 [hello world.out]
	// 9 <nil>
	// Hash collision for keys (('x', 3),) and (('x', 4),)
}

// Section 7: unhashing. An injective hash with its inverse makes keys
// iterable without storing them.
func Example_unhashing() {
	dir, done := scratch()
	defer done()
	exp, memo := must3(persist.Wrap(func(x float64) float64 { return math.Pow(2.71828, x) },
		persist.Options{Cache: dir, FuncName: "exp",
			Key:    func(x float64) float64 { return x },
			Hash:   func(k float64) string { return fmt.Sprintf("e to the %v", k) },
			Unhash: func(s string) (float64, error) { return strconv.ParseFloat(s[len("e to the "):], 64) }}))
	defer memo.Close()
	memo.Clear()
	fmt.Println(exp(2), exp(2.0), exp(-1), exp(3.14))
	for item := range memo.Cache().All() {
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
	ln := must(net.Listen("tcp", "127.0.0.1:0"))
	srv := &http.Server{Handler: server.New(memstore.Open("example-server"), server.Options{})}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/persist"

	startAndEnd := must(persist.Decorate(func(s string) string { return s[:1] + s[len(s)-1:] },
		persist.Options{Cache: url, FuncName: "start_and_end", Spec: struct{ String string }{}}))
	defer startAndEnd.Close()
	startAndEnd.Clear()
	fmt.Println(startAndEnd.Call("Hello World!"))
	fmt.Println(startAndEnd.Call("Doctor"))
	fmt.Println(startAndEnd.Call("Doctor"))
	fmt.Println(startAndEnd.Cache().Delete(persist.Key{{"string", "Hello World!"}}))
	fmt.Println(startAndEnd.Cache().Len())
	startAndEnd.Clear()

	alternating := must(persist.Decorate(func(s string) string {
		var b []byte
		for i := 0; i < len(s); i += 2 {
			b = append(b, s[i])
		}
		return string(b)
	}, persist.Options{Cache: url, FuncName: "alternating", StoreKey: true, Spec: struct{ String string }{}}))
	defer alternating.Close()
	alternating.Cache().Clear()
	fmt.Println(alternating.Call("steadfastness"))
	fmt.Println(alternating.Call("steadfastness"))
	var words []any
	for _, w := range []string{"ballooned", "biannually", "curliness", "pursuance", "situation", "thesaurus"} {
		words = append(words, must(alternating.Call(w)))
	}
	fmt.Println(words...)
	for item := range alternating.Cache().All() {
		fmt.Println("item", item.Key, item.Value)
	}

	exp := must(persist.Decorate(func(x float64) float64 { return math.Pow(2.71828, x) },
		persist.Options{Cache: url, FuncName: "exp",
			Key:    func(x float64) float64 { return x },
			Hash:   func(k float64) string { return fmt.Sprintf("e to the %v", k) },
			Unhash: func(s string) (float64, error) { return strconv.ParseFloat(s[len("e to the "):], 64) }}))
	defer exp.Close()
	exp.Clear()
	for _, x := range []float64{2, -1, 2.0, 3.14} {
		exp.Call(x)
	}
	for item := range exp.Cache().All() {
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

// Metadata: a note kept beside each new result, in <hash>.meta, such as
// when it was computed.
func Example_metadata() {
	dir, done := scratch()
	defer done()
	cachedAt := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) // time.Now() in real use
	degToRad, memo := must3(persist.Wrap(func(deg float64) float64 { return deg * math.Pi / 180 },
		persist.Options{Cache: dir, FuncName: "deg_to_rad",
			Metadata: func() string { return "Result cached at " + cachedAt.Format(time.RFC3339) }}))
	defer memo.Close()
	fmt.Printf("%.4f\n", degToRad(90))
	for _, f := range listdir(filepath.Join(dir, "deg_to_rad")) {
		if filepath.Ext(f) == ".meta" {
			fmt.Println(string(must(os.ReadFile(filepath.Join(dir, "deg_to_rad", f)))))
		}
	}
	// Output:
	// 1.5708
	// Result cached at 2026-11-25T12:00:00Z
}
