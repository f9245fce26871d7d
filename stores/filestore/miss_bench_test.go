//go:build unix

package filestore_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// BenchmarkMiss measures what a memoised call's miss costs the store:
// take the record's lock, store the result, unlock. ThroughLock is the
// store's protocol, where the lock file becomes the result; Plain stores
// through another handle, which does not hold the lock, so the result
// goes to a temporary file renamed into place and unlock removes the lock
// (four changes to the directory instead of two). It runs on the test's
// temporary directory and, where there is one, on the tmpfs /dev/shm.
func BenchmarkMiss(b *testing.B) {
	ctx := context.Background()
	media := map[string]string{"tempdir": ""}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		media["shm"] = "/dev/shm"
	}
	for _, medium := range []string{"tempdir", "shm"} {
		parent, ok := media[medium]
		if !ok {
			continue
		}
		for _, sz := range benchSizes {
			b.Run(medium+"/"+sz.name, func(b *testing.B) {
				value := bytes.Repeat([]byte{'v'}, sz.size)
				for _, mode := range []string{"ThroughLock", "Plain"} {
					b.Run(mode, func(b *testing.B) {
						dir, err := os.MkdirTemp(parent, "miss-bench-")
						if err != nil {
							b.Fatal(err)
						}
						b.Cleanup(func() { os.RemoveAll(dir) })
						s := openStore(b, filepath.Join(dir, "persist"), filestore.Options{Logger: quiet})
						writer := s
						if mode == "Plain" {
							writer = reopen(b, s)
						}
						b.ReportAllocs()
						i := 0
						for b.Loop() {
							h := fmt.Sprint("h", i)
							unlock, err := s.Lock(ctx, "f", h)
							if err != nil {
								b.Fatal(err)
							}
							if err := writer.Put(ctx, "f", h, stores.Record{Result: value}); err != nil {
								b.Fatal(err)
							}
							unlock()
							i++
						}
					})
				}
			})
		}
	}
}
