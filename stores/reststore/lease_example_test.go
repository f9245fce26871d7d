package reststore_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/reststore"
)

// Two clients, as on two machines, want to compute the same entry: the
// second waits for the first's lease.
func ExampleOpen_lock() {
	srv := httptest.NewServer(server.New(memstore.Open("example-lock"), server.Options{}))
	defer srv.Close()
	first, _ := reststore.Open(srv.URL, reststore.Options{LeaseTTL: 5 * time.Second})
	defer first.Close()
	second, _ := reststore.Open(srv.URL, reststore.Options{})
	defer second.Close()
	fmt.Println(first.CanLock())

	ctx := context.Background()
	unlock, err := first.Lock(ctx, "pow", "2 to the 3")
	if err != nil {
		fmt.Println(err)
		return
	}
	wait, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = second.Lock(wait, "pow", "2 to the 3")
	fmt.Println("while the first holds it:", err != nil)

	unlock()
	unlock2, err := second.Lock(ctx, "pow", "2 to the 3")
	fmt.Println("once released:", err == nil)
	unlock2()
	// Output:
	// true
	// while the first holds it: true
	// once released: true
}
