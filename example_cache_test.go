package persist_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/gopersist/persist"
)

// Get is pypersist's f.cache[key]: the stored result for a key, written
// with KeyOf as pypersist's tuple. A key with no stored result is a
// KeyError, which matches ErrNotFound. Set stores a result that later
// calls return.
func ExampleCache_Get() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	triple, memo, err := persist.Wrap(func(x int) int { return 3 * x }, persist.Options{
		Cache: dir, FuncName: "triple", Spec: struct{ X int }{}})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()
	cache := memo.Cache()

	triple(4)
	fmt.Println(cache.Get(persist.KeyOf("x", 4))) // triple.cache[(('x', 4),)]
	if _, err := cache.Get(persist.KeyOf("x", 5)); errors.Is(err, persist.ErrNotFound) {
		fmt.Println(err)
	}
	if err := cache.Set(persist.KeyOf("x", 10), 31); err != nil { // triple.cache[(('x', 10),)] = 31
		log.Fatal(err)
	}
	fmt.Println(triple(10))
	// Output:
	// 12 <nil>
	// persist: no entry for key (('x', 5),)
	// 31
}

// All is pypersist's f.cache.items(): every stored key with its value, in
// no particular order. It needs the keys: StoreKey keeps them beside the
// results (or Unhash recovers them from the hashes).
func ExampleCache_All() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	square, memo, err := persist.Wrap(func(x int) int { return x * x }, persist.Options{
		Cache: dir, FuncName: "square", Spec: struct{ X int }{}, StoreKey: true})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()

	square(12)
	square(0)
	for item, err := range memo.Cache().All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(item.Key, item.Value)
	}
	// Unordered output:
	// (('x', 12),) 144
	// (('x', 0),) 0
}
