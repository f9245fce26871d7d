//go:build unix

package filestore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gopersist/persist/stores/filestore"
)

// TestOwnerNotFollowed plants a symbolic link and a FIFO in the owner
// record's place: neither is read (nor blocks), and Clear leaves them.
func TestOwnerNotFollowed(t *testing.T) {
	dir := t.TempDir()
	st, err := filestore.Open(dir, filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("persist owner 1\nfunc secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	plant := map[string]func(path string) error{
		"symlink": func(path string) error { return os.Symlink(outside, path) },
		"fifo":    func(path string) error { return syscall.Mkfifo(path, 0o600) },
	}
	for name, create := range plant {
		t.Run(name, func(t *testing.T) {
			fn := "planted_" + name
			if err := os.MkdirAll(filepath.Join(dir, fn), 0o777); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, fn, ".owner")
			if err := create(path); err != nil {
				t.Fatal(err)
			}
			if b, err := st.Owner(ctx, fn); err == nil {
				t.Fatalf("Owner read %q through a planted %s", b, name)
			}
			if b, err := st.ClaimOwner(ctx, fn, []byte("mine")); err == nil {
				t.Fatalf("ClaimOwner = %q through a planted %s", b, name)
			}
			if err := st.Clear(ctx, fn); err != nil {
				t.Fatalf("Clear: %v", err)
			}
			if _, err := os.Lstat(path); err != nil {
				t.Fatalf("Clear removed the planted %s: %v", name, err)
			}
			if _, err := os.Stat(outside); err != nil {
				t.Fatalf("the file outside is gone: %v", err)
			}
		})
	}
	// A function directory that is a symbolic link is not claimed through.
	if err := os.Symlink(t.TempDir(), filepath.Join(dir, "linked")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ClaimOwner(ctx, "linked", []byte("mine")); err == nil {
		t.Fatal("ClaimOwner wrote through a linked function directory")
	}
	if _, err := st.Owner(ctx, "linked"); err == nil || errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Owner through a linked function directory: %v", err)
	}
}
