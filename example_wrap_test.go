package persist_test

import (
	"fmt"
	"log"
	"os"

	"github.com/gopersist/persist"
)

// cubeCalls counts cube's computations.
var cubeCalls int

// cube is an ordinary function, which Wrap memoises.
func cube(x int) int {
	cubeCalls++
	return x * x * x
}

// Wrap returns cube's memoised twin, of cube's own type. Its results are
// files under Cache (./persist by default), in a directory named after the
// function. cube has no error result, so a failure of the cache (a store
// that cannot be read, say) panics; give a function a trailing error
// result to get such failures as errors.
func ExampleWrap() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cubeCalls = 0 // count this example's computations only

	cube, memo, err := persist.Wrap(cube, persist.Options{
		Cache: dir,               // where the results go; ./persist by default
		Spec:  struct{ X int }{}, // names the parameter x
	})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()

	fmt.Println(cube(3)) // computed, and stored in dir/cube/<hash>.out
	fmt.Println(cube(3)) // read from the file
	fmt.Println("computed", cubeCalls, "time, stored as", memo.FuncName())
	// Output:
	// 27
	// 27
	// computed 1 time, stored as cube
}
