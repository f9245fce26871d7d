//go:build unix

package filestore_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// Some tests re-execute the test binary as a child process (to kill it
// mid-write, or to give it a mount namespace); the child's role is named by
// childEnv and its directory by dirEnv.
const (
	childEnv = "FILESTORE_TEST_CHILD"
	dirEnv   = "FILESTORE_TEST_DIR"
)

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "crash":
		crashChild(os.Getenv(dirEnv)) // runs until killed
	case "fulldisk":
		os.Exit(fullDiskChild(os.Getenv(dirEnv)))
	default:
		os.Exit(2)
	}
}

// quiet discards the store's log lines (stale locks broken on purpose).
var quiet = slog.New(slog.DiscardHandler)

// newStore opens a store on a fresh directory that does not exist yet.
func newStore(t testing.TB, opts filestore.Options) *filestore.Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	s, err := filestore.Open(filepath.Join(t.TempDir(), "persist"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// reopen opens a second handle on s's directory.
func reopen(t testing.TB, s *filestore.Store) *filestore.Store {
	t.Helper()
	s2, err := filestore.Open(s.Dir(), s.Options())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	return s2
}

// listDir returns the names in dir, sorted, subdirectories marked with a
// trailing slash; nil if dir does not exist.
func listDir(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() {
			n += "/"
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func put(t testing.TB, s stores.Store, funcname, hash string, rec stores.Record) {
	t.Helper()
	if err := s.Put(context.Background(), funcname, hash, rec); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o666); err != nil {
		t.Fatal(err)
	}
}
