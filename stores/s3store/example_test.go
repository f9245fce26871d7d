package s3store_test

import (
	"fmt"
	"time"

	"github.com/gopersist/persist/stores/s3store"
)

// Options name a store as a URL, which stores.Open takes once a program
// imports this package.
func ExampleOptions_URL() {
	o := s3store.Options{
		Bucket:   "results",
		Prefix:   "team/cache",
		Endpoint: "http://127.0.0.1:9000",
		Lease:    time.Minute,
	}
	fmt.Println(o.URL())
	// Output: s3://results/team/cache?endpoint=http://127.0.0.1:9000&lease=1m0s
}
