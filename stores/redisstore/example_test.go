package redisstore_test

import (
	"context"
	"fmt"

	"github.com/gopersist/persist/stores/redisstore"
)

// Open checks the URL before it dials: a misspelt option is an error that
// names the store without its password.
func ExampleOpen() {
	_, err := redisstore.Open(context.Background(), "redis://app:hunter2@cache.example:6379/0?leese=1m")
	fmt.Println(err)
	// Output:
	// open redis://app:xxxxx@cache.example:6379/0?leese=1m: unknown option "leese" (known: addr, cluster, prefix, lease, chunk, maxrecord, timeout, ca, servername, insecure)
}
