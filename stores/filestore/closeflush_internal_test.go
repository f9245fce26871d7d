//go:build linux

package filestore

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// closeNeverFails knows tmpfs, and assumes nothing of a file system it
// does not know (procfs here).
func TestCloseNeverFails(t *testing.T) {
	for _, c := range []struct {
		path string
		want bool
	}{{"/dev/shm", true}, {"/proc/self/status", false}} {
		if _, err := os.Stat(c.path); err != nil {
			t.Logf("%s: %v; not checked", c.path, err)
			continue
		}
		path := c.path
		if c.want {
			dir, err := os.MkdirTemp(c.path, "closeflush-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			path = filepath.Join(dir, "f")
			if err := os.WriteFile(path, nil, 0o666); err != nil {
				t.Fatal(err)
			}
		}
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := closeNeverFails(fd); got != c.want {
			t.Errorf("closeNeverFails(%s) = %v, want %v", c.path, got, c.want)
		}
		unix.Close(fd)
	}
}

// renameNew renames only into an empty place, and says when it did not.
func TestRenameNew(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a", "b"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	d, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(d)
	if done, err := renameNew(d, "a", "b"); done || err != nil {
		t.Errorf("renameNew over an existing file: %v, %v; want false, nil", done, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "b")); string(b) != "b" {
		t.Errorf("b after the refused rename: %q", b)
	}
	if done, err := renameNew(d, "a", "c"); !done || err != nil {
		t.Errorf("renameNew into an empty place: %v, %v; want true, nil", done, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "c")); string(b) != "a" {
		t.Errorf("c after the rename: %q, want a", b)
	}
	if _, err := renameNew(d, "a", "d"); !os.IsNotExist(err) {
		t.Errorf("renameNew of a missing file: %v, want ENOENT", err)
	}
}
