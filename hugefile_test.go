//go:build linux

package persist_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gopersist/persist"
)

// A .out (or, with StoreKey, a .key) larger than anything persist writes
// (a sparse 4 GiB file) is a damaged entry: a call recomputes and
// replaces it, as it does any other damaged file, not fail every time.
func TestHugeFileIsDamaged(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ext      string
		storeKey bool
	}{{"out", ".out", false}, {"key", ".key", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			calls := 0
			f, m, err := persist.Wrap(func(x int) (int, error) { calls++; return 3 * x, nil },
				persist.Options{Cache: dir, FuncName: "f", StoreKey: tc.storeKey, Verbosity: persist.Silent})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if _, err := f(1); err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "f", "*"+tc.ext))
			if len(files) != 1 {
				t.Fatalf("%s files: %q", tc.ext, files)
			}
			if err := os.Truncate(files[0], 4<<30); err != nil {
				t.Fatal(err)
			}
			v, err := f(1)
			if err != nil || v != 3 || calls != 2 {
				t.Fatalf("call with a 4 GiB %s: %v, %v after %d computations; want 3, nil, recomputed", tc.ext, v, err, calls)
			}
			if fi, err := os.Stat(files[0]); err != nil || fi.Size() >= 1<<30 {
				t.Fatalf("the 4 GiB %s was not replaced: %v, %v", tc.ext, fi.Size(), err)
			}
		})
	}
}
