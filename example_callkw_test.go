package persist_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/gopersist/persist"
)

// CallKW calls as Python does, by position and by keyword; missing
// arguments take their defaults from the Spec. Every way of writing one
// call gives one key, so it is computed once.
func ExampleMemo_CallKW() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	computed := 0
	foo := func(x, y, z, a int) int { computed++; return x + y + z + a }
	// def foo(x, y, z=1, *, a=3)
	type fooArgs struct {
		X, Y int
		Z    int `persist:",default"`
		A    int `persist:",kwonly,default"`
	}
	memo, err := persist.Decorate(foo, persist.Options{Cache: dir, FuncName: "foo", Spec: fooArgs{Z: 1, A: 3}})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()

	fmt.Println(memo.CallKW([]any{1, 4}, persist.KW{"z": 3}))         // foo(1, 4, z=3)
	fmt.Println(memo.CallKW([]any{1}, persist.KW{"y": 4, "z": 3}))    // foo(1, y=4, z=3)
	fmt.Println(memo.CallKW([]any{1, 4, 3}, persist.KW{"a": 3}))      // a=3 is the default
	fmt.Println(memo.CallKW(nil, persist.KW{"x": 1, "y": 4, "a": 7})) // foo(x=1, y=4, a=7)
	fmt.Println("computed", computed, "times")

	_, err = memo.CallKW([]any{1, 4, 3, 7}, nil)
	var ae *persist.ArgumentError
	if errors.As(err, &ae) {
		fmt.Println(ae)
	}
	// Output:
	// 11 <nil>
	// 11 <nil>
	// 11 <nil>
	// 13 <nil>
	// computed 2 times
	// foo() takes from 2 to 3 positional arguments but 4 were given
}
