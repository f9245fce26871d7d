package stores_test

import (
	"context"
	"fmt"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/memstore"
)

// List pages through a function's records by their metadata alone: hash,
// size and time, without reading any result. Each page's token starts the
// next; "" ends the listing.
func ExampleStore_List() {
	ctx := context.Background()
	st := memstore.Open("example-list")
	defer st.Close()
	for i, result := range []string{"1", "1", "2", "6", "24"} {
		hash := fmt.Sprintf("n=%d", i)
		if err := st.Put(ctx, "factorial", hash, stores.Record{Result: []byte(result), Meta: []byte("computed")}); err != nil {
			panic(err)
		}
	}

	token := ""
	for page := 1; ; page++ {
		metas, next, err := st.List(ctx, "factorial", token, 2)
		if err != nil {
			panic(err)
		}
		for _, m := range metas {
			fmt.Printf("page %d: %s, %d bytes\n", page, m.Hash, m.Size)
		}
		if next == "" {
			break
		}
		token = next
	}
	// Output:
	// page 1: n=0, 9 bytes
	// page 1: n=1, 9 bytes
	// page 2: n=2, 9 bytes
	// page 2: n=3, 9 bytes
	// page 3: n=4, 10 bytes
}
