// Command hits calls fpsample.Triple(4) memoised in the cache named by its
// argument and prints the result and whether it was computed (1) or read
// from the cache (0).
package main

import (
	"fmt"
	"os"

	"github.com/gopersist/persist"

	"example.com/fpsample"
)

func main() {
	triple, memo, err := persist.Wrap1(fpsample.Triple, persist.Options{Cache: os.Args[1], Verbosity: persist.Silent})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer memo.Close()
	fmt.Println(triple(4), fpsample.Computed)
}
