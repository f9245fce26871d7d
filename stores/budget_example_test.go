package stores_test

import (
	"context"
	"fmt"

	"github.com/gopersist/persist/stores"
)

// ExampleStore_SetBudget bounds a store to three entries with a URL option,
// as file://cache/?max_size=2GiB bounds a directory: writing a fourth trims
// the least recently used until the store is at 80% of its budget, two
// entries here: b and c go, and a, read after them, stays.
func ExampleStore_SetBudget() {
	ctx := context.Background()
	st, err := stores.Open(ctx, "mem://example-budget?max_entries=3")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	put := func(hash string) {
		if err := st.Put(ctx, "f", hash, stores.Record{Result: []byte("result of " + hash)}); err != nil {
			fmt.Println(err)
		}
	}
	put("a")
	put("b")
	put("c")
	if _, err := st.Get(ctx, "f", "a"); err != nil {
		fmt.Println(err)
	}
	put("d")
	for m, err := range st.ListAll(ctx, "f") {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Print(m.Hash, " ")
	}
	fmt.Println()
	// Output: a d
}
