package persist_test

import (
	"fmt"
	"log"

	"github.com/gopersist/persist"
)

// Wrap1 memoises a function of one parameter as a plain closure: its hits
// skip reflect.MakeFunc's trampoline. It shares its entries with Wrap's
// twin of the same function on the same store.
func ExampleWrap1() {
	calls := 0
	square := func(x int) int { calls++; return x * x }
	opts := persist.Options{Cache: "mem://example-wrap1", FuncName: "square"}
	fast, memo, err := persist.Wrap1(square, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()
	viaWrap, _, err := persist.Wrap(square, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(fast(12), fast(12), viaWrap(12), "computed", calls, "time")
	// Output: 144 144 144 computed 1 time
}
