package mongostore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gopersist/persist/stores"
	_ "github.com/gopersist/persist/stores/mongostore" // registers mongodb://
)

// A program opens a MongoDB store by URL once the package is imported.
// Records go to database "memo", collection "results"; a computation lock
// whose holder died is broken after 10 seconds.
func Example() {
	ctx := context.Background()
	st, err := stores.Open(ctx, "mongodb://127.0.0.1:27017/memo?collection=results&lease=10s")
	if errors.Is(err, stores.ErrUnavailable) {
		fmt.Println("no server:", err)
		return
	}
	if err != nil {
		panic(err)
	}
	defer st.Close()
	if err := st.Put(ctx, "triple", "x=1", stores.Record{Result: []byte("3")}); err != nil {
		panic(err)
	}
	// A listing reads sizes and times, never the results.
	page, next, err := st.List(ctx, "triple", "", 100)
	if err != nil {
		panic(err)
	}
	for _, m := range page {
		fmt.Println(m.Hash, m.Size, m.Created)
	}
	_ = next // "" after the last page; else the token of the next one
}
