package persist_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gopersist/persist"
)

// exampleDir is a fresh cache directory for an example; remove it after.
func exampleDir() string {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		panic(err)
	}
	return dir
}

func square(x int) int {
	fmt.Println("computing", x)
	return x * x
}

// A Version names the version of the function's code: results of another
// version are recomputed and replaced.
func Example_version() {
	dir := exampleDir()
	defer os.RemoveAll(dir)

	for _, version := range []string{"v1", "v1", "v2"} {
		f, memo, err := persist.Wrap1(square, persist.Options{Cache: dir, Version: version})
		if err != nil {
			panic(err)
		}
		fmt.Println(version, f(3))
		memo.Close()
	}
	// Output:
	// computing 3
	// v1 9
	// v1 9
	// computing 3
	// v2 9
}

// The file that persist fingerprint generates registers the fingerprint
// of each memoised function's code; Decorate takes it as the Version, so
// that editing the function invalidates its results.
func ExampleRegisterFingerprint() {
	dir := exampleDir()
	defer os.RemoveAll(dir)

	// What the generated file's init does:
	persist.RegisterFingerprint("github.com/gopersist/persist_test.fingerprintedArea", "3f2a9c")

	f, memo, err := persist.Wrap1(fingerprintedArea, persist.Options{Cache: dir})
	if err != nil {
		panic(err)
	}
	defer memo.Close()
	fmt.Println(f(4))
	fp, _ := persist.Fingerprint("github.com/gopersist/persist_test.fingerprintedArea")
	data, _ := os.ReadFile(filepath.Join(dir, "fingerprintedArea", mustHash(4)+".out"))
	stamp, _, _ := persist.SplitStamp(data)
	fmt.Println(fp, stamp.Version)
	// Output:
	// computing 4
	// 64
	// 3f2a9c 3f2a9c
}

func fingerprintedArea(x int) int {
	fmt.Println("computing", x)
	return x * x * x
}

func mustHash(x int) string {
	h, err := persist.Hash(persist.Key{{Name: "arg0", Value: x}})
	if err != nil {
		panic(err)
	}
	return h
}

// An entry older than MaxAge is a miss. Here the entry is made two hours
// old by setting its file's time back.
func ExampleOptions_maxAge() {
	dir := exampleDir()
	defer os.RemoveAll(dir)

	f, memo, err := persist.Wrap1(square, persist.Options{Cache: dir, MaxAge: time.Hour})
	if err != nil {
		panic(err)
	}
	defer memo.Close()
	fmt.Println(f(5))
	fmt.Println(f(5))
	old := time.Now().Add(-2 * time.Hour)
	_ = os.Chtimes(filepath.Join(dir, "square", mustHash(5)+".out"), old, old)
	fmt.Println(f(5))
	// Output:
	// computing 5
	// 25
	// 25
	// computing 5
	// 25
}

func fetch(ctx context.Context, page string) (string, error) {
	fmt.Println("fetching", page)
	return "<html>" + page + "</html>", nil
}

// WithMaxAge sets the MaxAge of one call, for a function that takes a
// context.
func ExampleWithMaxAge() {
	dir := exampleDir()
	defer os.RemoveAll(dir)

	get, memo, err := persist.Wrap2E(fetch, persist.Options{Cache: dir})
	if err != nil {
		panic(err)
	}
	defer memo.Close()
	ctx := context.Background()
	get(ctx, "home")
	time.Sleep(10 * time.Millisecond)
	page, _ := get(persist.WithMaxAge(ctx, time.Hour), "home") // young enough
	fmt.Println(page)
	page, _ = get(persist.WithMaxAge(ctx, time.Millisecond), "home") // too old
	fmt.Println(page)
	// Output:
	// fetching home
	// <html>home</html>
	// fetching home
	// <html>home</html>
}

// WithRefresh recomputes and replaces a stored result; WithoutCache
// computes without the store.
func ExampleWithRefresh() {
	dir := exampleDir()
	defer os.RemoveAll(dir)

	get, memo, err := persist.Wrap2E(fetch, persist.Options{Cache: dir})
	if err != nil {
		panic(err)
	}
	defer memo.Close()
	ctx := context.Background()
	get(ctx, "news")
	get(ctx, "news")                          // a hit
	get(persist.WithRefresh(ctx), "news")     // computed and stored
	get(persist.WithoutCache(ctx), "weather") // computed, not stored
	ok, _ := memo.Contains(ctx, "weather")
	fmt.Println("weather stored:", ok)
	// Output:
	// fetching news
	// fetching news
	// fetching weather
	// weather stored: false
}

// Refresh recomputes and replaces a stored result of a function that
// takes no context.
func ExampleMemo_Refresh() {
	dir := exampleDir()
	defer os.RemoveAll(dir)

	memo, err := persist.Decorate(square, persist.Options{Cache: dir})
	if err != nil {
		panic(err)
	}
	defer memo.Close()
	memo.Call(6)
	v, _ := memo.Refresh(6)
	fmt.Println(v)
	v, _ = memo.Call(6)
	fmt.Println(v)
	// Output:
	// computing 6
	// computing 6
	// 36
	// 36
}

// Contains tells whether a call would be answered from the store, without
// computing.
func ExampleMemo_Contains() {
	dir := exampleDir()
	defer os.RemoveAll(dir)

	memo, err := persist.Decorate(square, persist.Options{Cache: dir})
	if err != nil {
		panic(err)
	}
	defer memo.Close()
	before, _ := memo.Contains(7)
	memo.Call(7)
	after, _ := memo.Contains(7)
	fmt.Println(before, after)
	// Output:
	// computing 7
	// false true
}

// Stats count what a Memo did; String is JSON, for expvar.
func ExampleMemo_Stats() {
	dir := exampleDir()
	defer os.RemoveAll(dir)

	f, memo, err := persist.Wrap1(square, persist.Options{Cache: dir})
	if err != nil {
		panic(err)
	}
	defer memo.Close()
	f(8)
	f(8)
	f(9)
	st := memo.Stats()
	fmt.Printf("%d hits, %d misses, %d computed\n", st.Hits, st.Misses, st.Computes)
	fmt.Println("time saved:", st.TimeSaved > 0, "bytes read:", st.BytesRead > 0)
	// Output:
	// computing 8
	// computing 9
	// 1 hits, 2 misses, 2 computed
	// time saved: true bytes read: true
}
