package stores_test

import (
	"context"
	"fmt"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/memstore"
)

// ExampleList pages through a function's records by their metadata, two at
// a time, without reading a result.
func ExampleList() {
	ctx := context.Background()
	st := memstore.Open("example-list")
	defer st.Close()
	for _, h := range []string{"c", "a", "e", "b", "d"} {
		if err := st.Put(ctx, "f", h, stores.Record{Result: []byte("result of " + h)}); err != nil {
			fmt.Println(err)
			return
		}
	}
	token := ""
	for {
		page, next, err := stores.List(ctx, st, "f", token, 2)
		if err != nil {
			fmt.Println(err)
			return
		}
		for i, m := range page {
			if i > 0 {
				fmt.Print(", ")
			}
			fmt.Printf("%s (%d bytes)", m.Hash, m.Size)
		}
		fmt.Println()
		if next == "" {
			break
		}
		token = next
	}
	// Output:
	// a (11 bytes), b (11 bytes)
	// c (11 bytes), d (11 bytes)
	// e (11 bytes)
}
