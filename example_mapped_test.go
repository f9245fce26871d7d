//go:build unix

package persist_test

import (
	"fmt"
	"log"
	"math"
	"os"

	"github.com/gopersist/persist"
)

// MapResult reads a large slice result in place from the file store, as
// joblib's mmap_mode does, instead of decoding a copy; the mapping lasts
// until Close.
func ExampleMapResult() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	signal := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = math.Sin(float64(i) / 10)
		}
		return v
	}
	memo, err := persist.Decorate(signal, persist.Options{Cache: dir, FuncName: "signal"})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()
	r, err := persist.MapResult[float64](memo, 1_000_000) // computed, stored, mapped
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	fmt.Printf("%d values, in place: %v, v[15] = %.3f\n", len(r.Values()), r.InPlace(), r.Values()[15])
	// Output: 1000000 values, in place: true, v[15] = 0.997
}
