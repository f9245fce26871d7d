package persist_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
)

// Key, Hash and Unhash replace the steps from a call to its entry's name.
// Here the key is the sorted arguments, so that every order of them is one
// entry; the hash writes it readably; and Unhash, its inverse, makes the
// keys iterable without storing them.
func ExampleOptions_keyAndHash() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	computed := 0
	sum := func(xs ...int) int {
		computed++
		total := 0
		for _, x := range xs {
			total += x
		}
		return total
	}
	sum, memo, err := persist.Wrap(sum, persist.Options{
		Cache: dir, FuncName: "sum",
		Key: func(xs ...int) []int { return slices.Sorted(slices.Values(xs)) },
		Hash: func(k []int) string {
			parts := make([]string, len(k))
			for i, x := range k {
				parts[i] = strconv.Itoa(x)
			}
			return strings.Join(parts, "+")
		},
		Unhash: func(h string) ([]int, error) {
			var k []int
			for part := range strings.SplitSeq(h, "+") {
				x, err := strconv.Atoi(part)
				if err != nil {
					return nil, err
				}
				k = append(k, x)
			}
			return k, nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()

	fmt.Println(sum(4, 1, 3), sum(1, 3, 4), sum(3, 4, 1), "computed", computed, "time")
	files, err := filepath.Glob(filepath.Join(dir, "sum", "*.out"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(filepath.Base(files[0]))
	for key, err := range memo.Cache().Keys() {
		fmt.Println(key, err)
	}
	// Output:
	// 8 8 8 computed 1 time
	// 1+3+4.out
	// [1 3 4] <nil>
}

// Pickle and Unpickle replace the default encoding of results (CBOR in a
// checksummed zstd frame) by another, here a text that anyone can read,
// as pypersist's pickle=str, unpickle=int.
func ExampleOptions_pickle() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	triple, memo, err := persist.Wrap(func(x int) int { return 3 * x }, persist.Options{
		Cache: dir, FuncName: "triple", Spec: struct{ X int }{},
		Pickle: strconv.Itoa, Unpickle: strconv.Atoi})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()

	fmt.Println(triple(4))
	files, err := filepath.Glob(filepath.Join(dir, "triple", "*.out"))
	if err != nil {
		log.Fatal(err)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("the file holds %q\n", data)
	// Output:
	// 12
	// the file holds "12"
}

// StoreKey keeps each key beside its result. Two keys with one hash, here
// by a careless Hash, are then a HashCollisionError instead of one's result
// returned for the other (and a warning in the log, unless Silent); and
// the keys can be iterated.
func ExampleOptions_storeKey() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	square, memo, err := persist.Wrap(func(x int) (int, error) { return x * x, nil }, persist.Options{
		Cache: dir, FuncName: "square", Spec: struct{ X int }{},
		Hash:      func(persist.Key) string { return "hello world" },
		StoreKey:  true,
		Verbosity: persist.Silent, // the error is enough here
	})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()

	fmt.Println(square(3))
	var hce *persist.HashCollisionError
	if _, err := square(4); errors.As(err, &hce) {
		fmt.Println("collision:", hce.Stored, "is stored,", hce.Call, "is asked for")
	}
	for key, err := range memo.Cache().Keys() {
		fmt.Println("stored:", key, err)
	}
	// Output:
	// 9 <nil>
	// collision: (('x', 3),) is stored, (('x', 4),) is asked for
	// stored: (('x', 3),) <nil>
}

// Metadata is called for each new result, and its text is kept beside it,
// in <hash>.meta in the file store, such as when or where it was computed.
func ExampleOptions_metadata() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	cachedAt := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) // time.Now() in real use
	degToRad, memo, err := persist.Wrap(func(deg float64) float64 { return deg * 3.1415926535 / 180 }, persist.Options{
		Cache: dir, FuncName: "deg_to_rad", Spec: struct{ Deg float64 }{},
		Metadata: func() string { return "Result cached at " + cachedAt.Format(time.RFC3339) },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()

	fmt.Printf("%.4f\n", degToRad(90))
	files, err := filepath.Glob(filepath.Join(dir, "deg_to_rad", "*.meta"))
	if err != nil {
		log.Fatal(err)
	}
	meta, err := os.ReadFile(files[0])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(meta))
	// Output:
	// 1.5708
	// Result cached at 2026-11-25T12:00:00Z
}

// Cache is a store's URL: a directory of files (file://dir/, or dir), the
// process's memory (mem://name), a persist server (http://host:port/persist).
// Store instead takes an open store, which several functions can share and
// which Memo.Close leaves open for its opener to close.
func ExampleOptions_cache() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	square, memo, err := persist.Wrap(func(x int) int { return x * x }, persist.Options{
		Cache: "file://" + filepath.Join(dir, "results") + "/", FuncName: "square", Spec: struct{ X int }{}})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()
	square(3)
	files, err := filepath.Glob(filepath.Join(dir, "results", "square", "*.out"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(files), "file in results/square")

	ctx := context.Background()
	store, err := stores.Open(ctx, "mem://example-shared")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	for _, name := range []string{"double", "half"} {
		f, memo, err := persist.Wrap(func(x int) int { return x }, persist.Options{
			Store: store, FuncName: name, Spec: struct{ X int }{}})
		if err != nil {
			log.Fatal(err)
		}
		f(3)
		memo.Close() // leaves the store open
	}
	for _, name := range []string{"double", "half"} {
		n, err := store.Len(ctx, name)
		fmt.Println(n, "result of", name, "in memory", err)
	}
	// Output:
	// 1 file in results/square
	// 1 result of double in memory <nil>
	// 1 result of half in memory <nil>
}

// Verbosity asks for pypersist's messages, word for word: 1 problems (the
// default), 2 also writes and clears, 3 also reads and each file, 4 also
// the keys. They go to Logger at slog.LevelInfo (problems at
// slog.LevelWarn), so a handler at its default level shows them all, and
// carry their level as the attribute verbosity.
func ExampleOptions_verbosity() {
	// A text handler as a program would make one, here without the time
	// so that the output is the same on every run.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
	triple, memo, err := persist.Wrap(func(x int) int { return 3 * x }, persist.Options{
		Cache: "mem://example-verbosity", FuncName: "triple", Spec: struct{ X int }{},
		Verbosity: 3, Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()

	triple(4)
	triple(4)
	if err := memo.Clear(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// level=INFO msg="Getting cache." func=triple verbosity=3
	// level=INFO msg="No entry for (('x', 4),) as mem://example-verbosity/triple/ad5eZo5khrhn_3KGdbPlZx0d3Eq6B897N_b71upT56g.out does not exist." func=triple verbosity=3
	// level=INFO msg="Writing to mem://example-verbosity/triple/ad5eZo5khrhn_3KGdbPlZx0d3Eq6B897N_b71upT56g.out" func=triple verbosity=3
	// level=INFO msg="Done writing mem://example-verbosity/triple/ad5eZo5khrhn_3KGdbPlZx0d3Eq6B897N_b71upT56g.out." func=triple verbosity=3
	// level=INFO msg="Done writing all files." func=triple verbosity=3
	// level=INFO msg="Getting cache." func=triple verbosity=3
	// level=INFO msg="Done reading cache." func=triple verbosity=3
	// level=INFO msg="Clearing cache." func=triple verbosity=2
	// level=INFO msg="Cache cleared." func=triple verbosity=3
}
