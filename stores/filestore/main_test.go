//go:build unix

package filestore_test

import (
	"context"
	"errors"
	"iter"
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
	case "fulldiskclear":
		os.Exit(fullDiskClearChild(os.Getenv(dirEnv)))
	default:
		os.Exit(2)
	}
}

// quiet discards the store's log lines (stale locks broken on purpose).
var quiet = slog.New(slog.DiscardHandler)

// fileStore is the portable store that filestore.Open returns, with the
// accessors of its driver, reached through As as callers reach them.
type fileStore struct {
	*stores.Store
	drv *filestore.Driver
}

// Dir returns the store's directory.
func (s *fileStore) Dir() string { return s.drv.Dir() }

// Options returns the store's options.
func (s *fileStore) Options() filestore.Options { return s.drv.Options() }

// Foreign lists the store's foreign files.
func (s *fileStore) Foreign(ctx context.Context, funcname string) iter.Seq2[*filestore.ForeignError, error] {
	return s.drv.Foreign(ctx, funcname)
}

// openStore opens a store on dir and closes it when the test ends.
func openStore(t testing.TB, dir string, opts filestore.Options) *fileStore {
	t.Helper()
	st, err := filestore.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return wrap(t, st)
}

// wrap pairs st with its driver.
func wrap(t testing.TB, st *stores.Store) *fileStore {
	t.Helper()
	var d *filestore.Driver
	if !st.As(&d) {
		t.Fatalf("%s: As(**filestore.Driver) failed", st)
	}
	return &fileStore{Store: st, drv: d}
}

// newStore opens a store on a fresh directory that does not exist yet.
func newStore(t testing.TB, opts filestore.Options) *fileStore {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	return openStore(t, filepath.Join(t.TempDir(), "persist"), opts)
}

// reopen opens a second handle on s's directory.
func reopen(t testing.TB, s *fileStore) *fileStore {
	t.Helper()
	return openStore(t, s.Dir(), s.Options())
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

func put(t testing.TB, s interface {
	Put(context.Context, string, string, stores.Record) error
}, funcname, hash string, rec stores.Record) {
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
