package memstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/storetest"
	"github.com/gopersist/persist/stores/storetest/memotest"
)

var spaceCounter atomic.Int64

// openSpace returns a function that opens handles on one mem:// space that
// no other test uses, through the URL registry as programs do.
func openSpace[T testing.TB]() func(T) *stores.Store {
	url := fmt.Sprintf("mem://conformance-%d", spaceCounter.Add(1))
	return func(tb T) *stores.Store {
		st, err := stores.Open(context.Background(), url)
		if err != nil {
			tb.Fatalf("Open(%q): %v", url, err)
		}
		return st
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, openSpace[*testing.T]())
	memotest.Run(t, openSpace[*testing.T]())
}

func BenchmarkConformance(b *testing.B) {
	storetest.Bench(b, openSpace[*testing.B]())
}

func Example() {
	ctx := context.Background()
	st, err := stores.Open(ctx, "mem://example")
	if err != nil {
		panic(err)
	}
	defer st.Close()

	if err := st.Put(ctx, "triple", "x=1", stores.Record{Result: []byte("3")}); err != nil {
		panic(err)
	}
	// Another handle on the same name shares the records.
	other := memstore.Open("example")
	defer other.Close()
	rec, err := other.Get(ctx, "triple", "x=1")
	if err != nil {
		panic(err)
	}
	n, _ := other.Len(ctx, "triple")
	fmt.Printf("%s, %d record\n", rec.Result, n)
	// Output: 3, 1 record
}
