package persist_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/gopersist/persist"
)

// Decorate returns the Memo, which calls the function with arguments of
// any type that converts to the parameters' (Call, CallKW) and gives the
// function itself (Func). A trailing error result is returned, never
// stored, and it is how the function reports a failure of the cache.
func ExampleDecorate() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	errDivideByZero := errors.New("division by zero")
	divide := func(a, b int) (int, error) {
		if b == 0 {
			return 0, errDivideByZero
		}
		return a / b, nil
	}
	memo, err := persist.Decorate(divide, persist.Options{
		Cache:    dir,
		FuncName: "divide", // a func literal has no name of its own to store results under
		Spec:     struct{ A, B int }{},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()

	fmt.Println(memo.Call(7, 2))
	fast := memo.Func().(func(int, int) (int, error))
	fmt.Println(fast(7, 2))
	if _, err := fast(1, 0); errors.Is(err, errDivideByZero) {
		fmt.Println("error:", err)
	}
	n, err := memo.Cache().Len()
	fmt.Println(n, "result stored", err)
	// Output:
	// 3 <nil>
	// 3 <nil>
	// error: division by zero
	// 1 result stored <nil>
}
