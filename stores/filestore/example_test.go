//go:build unix

package filestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// Records are plain files that anyone can read: <dir>/<funcname>/<hash>.out,
// with the key and metadata beside it when they are kept.
func Example() {
	tmp, err := os.MkdirTemp("", "filestore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)
	ctx := context.Background()

	// A bare directory is a file:// store; nothing is created until the
	// first write.
	st, err := stores.Open(ctx, filepath.Join(tmp, "persist"))
	if err != nil {
		panic(err)
	}
	defer st.Close()

	err = st.Put(ctx, "pow", "7 to the 4", stores.Record{Result: []byte("2401"), Key: []byte("(('x', 7), ('y', 4))")})
	if err != nil {
		panic(err)
	}
	names, _ := os.ReadDir(filepath.Join(tmp, "persist", "pow"))
	for _, n := range names {
		content, _ := os.ReadFile(filepath.Join(tmp, "persist", "pow", n.Name()))
		fmt.Printf("%s: %s\n", n.Name(), content)
	}

	rec, err := st.Get(ctx, "pow", "7 to the 4")
	fmt.Printf("Get: %s, %v\n", rec.Result, err)
	// Output:
	// 7 to the 4.key: (('x', 7), ('y', 4))
	// 7 to the 4.out: 2401
	// Get: 2401, <nil>
}

// Go programs can open a store directly, with options.
func ExampleOpen() {
	st, err := filestore.Open("persist", filestore.Options{Sync: true})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	// The driver's own accessors are reached through As.
	var d *filestore.Driver
	if st.As(&d) {
		fmt.Println(st.URL(), d.Options().Sync, d.Options().LockStale)
	}
	// Output: file://persist true 30s
}

// A listing shows each record's hash, size (result, key and metadata
// together) and time, from the directory alone: no record is read.
func Example_list() {
	tmp, err := os.MkdirTemp("", "filestore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)
	ctx := context.Background()
	st, err := filestore.Open(filepath.Join(tmp, "persist"), filestore.Options{})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	for _, x := range []string{"3", "1", "2"} {
		err := st.Put(ctx, "square", "x="+x, stores.Record{Result: []byte(x + x), Key: []byte(x)})
		if err != nil {
			panic(err)
		}
	}
	page, next, err := st.List(ctx, "square", "", 2)
	for _, m := range page {
		fmt.Println(m.Hash, m.Size)
	}
	rest, _, _ := st.List(ctx, "square", next, 2)
	for _, m := range rest {
		fmt.Println(m.Hash, m.Size)
	}
	n, _ := st.Len(ctx, "square")
	fmt.Println(n, "records,", err)
	// Output:
	// x=1 3
	// x=2 3
	// x=3 3
	// 3 records, <nil>
}
