package reststore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/reststore"
)

func Example() {
	// A persist server over an in-memory store, on a loopback port.
	srv := httptest.NewServer(server.New(memstore.Open("example"), server.Options{}))
	defer srv.Close()

	st, err := reststore.Open(srv.URL+"/persist", reststore.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	ctx := context.Background()
	_ = st.Put(ctx, "pow", "2 to the 3", stores.Record{Result: []byte("8")})
	rec, _ := st.Get(ctx, "pow", "2 to the 3")
	n, _ := st.Len(ctx, "pow")
	fmt.Printf("%s (%d stored)\n", rec.Result, n)

	// A funcname that the protocol cannot carry is refused before any request.
	err = st.Put(ctx, "Type.Method", "h", stores.Record{Result: []byte("r")})
	fmt.Println(errors.Is(err, stores.ErrInvalidName))
	// Output:
	// 8 (1 stored)
	// true
}
