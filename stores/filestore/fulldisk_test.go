//go:build linux

package filestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// childSkip is the exit status of a child that cannot set up its test.
const childSkip = 3

// TestFullDisk writes to a real, full file system: a 64 KiB tmpfs mounted
// in a private mount namespace of a child process, which needs root.
func TestFullDisk(t *testing.T) { runInMountNamespace(t, "fulldisk") }

// runInMountNamespace runs the child (of TestMain) named child in a
// private mount namespace, where it mounts its small tmpfs, and reports
// how it ended; it needs root.
func runInMountNamespace(t *testing.T, child string) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+child, dirEnv+"="+t.TempDir())
	// A new mount namespace (Go makes its mounts private), so the tmpfs is
	// seen by the child only and goes away with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		t.Logf("child:\n%s", out)
	case errors.As(err, &exit) && exit.ExitCode() == childSkip:
		t.Skipf("cannot mount a tmpfs here:\n%s", out)
	case !errors.As(err, &exit):
		t.Skipf("cannot start a process in a new mount namespace: %v", err)
	default:
		t.Fatalf("child failed (%v):\n%s", err, out)
	}
}

// fullDiskChild runs in the child process of TestFullDisk and returns its
// exit status, printing what failed.
func fullDiskChild(dir string) int {
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		fmt.Println("mount tmpfs:", err)
		return childSkip
	}
	defer syscall.Unmount(dir, 0)
	failed := false
	check := func(ok bool, format string, args ...any) {
		if !ok {
			failed = true
			fmt.Printf("FAIL: "+format+"\n", args...)
		}
	}
	for _, sync := range []bool{false, true} {
		root := filepath.Join(dir, fmt.Sprint("sync-", sync))
		checkFullDisk(root, filestore.Options{Sync: sync}, check)
		if err := os.RemoveAll(root); err != nil {
			fmt.Println(err)
			return 1
		}
	}
	if failed {
		return 1
	}
	return 0
}

func checkFullDisk(root string, opts filestore.Options, check func(bool, string, ...any)) {
	ctx := context.Background()
	opts.Logger = quiet // a broken lock is warned of, as it should be
	s, err := filestore.Open(root, opts)
	if err != nil {
		check(false, "open: %v", err)
		return
	}
	good := stores.Record{Result: bytes.Repeat([]byte("good "), 200), Key: []byte("k1"), Meta: []byte("m1")}
	if err := s.Put(ctx, "f", "h", good); err != nil {
		check(false, "first Put: %v", err)
		return
	}
	big := bytes.Repeat([]byte("x"), 128<<10) // twice the file system
	attempts := []struct {
		name string
		rec  stores.Record
	}{
		{"same key", stores.Record{Result: big, Key: good.Key, Meta: good.Meta}},
		{"new key", stores.Record{Result: big, Key: []byte("k2")}},
		{"small result, huge key", stores.Record{Result: []byte("small"), Key: big}},
	}
	for _, a := range attempts {
		err := s.Put(ctx, "f", "h", a.rec)
		var opErr *stores.OpError
		check(errors.Is(err, syscall.ENOSPC) && errors.Is(err, stores.ErrUnavailable) && errors.As(err, &opErr) && opErr.Op == "write",
			"sync=%v, Put (%s) larger than the disk: %v, want a write *OpError matching ENOSPC and ErrUnavailable", opts.Sync, a.name, err)
		rec, err := s.Get(ctx, "f", "h")
		check(err == nil && bytes.Equal(rec.Result, good.Result) && bytes.Equal(rec.Key, good.Key) && bytes.Equal(rec.Meta, good.Meta),
			"sync=%v, after the failed Put (%s) the earlier record is %q/%q/%q, %v", opts.Sync, a.name, rec.Result, rec.Key, rec.Meta, err)
		files := listNames(filepath.Join(root, "f"))
		check(slices.Equal(files, []string{"h.key", "h.meta", "h.out"}),
			"sync=%v, after the failed Put (%s) the directory holds %q", opts.Sync, a.name, files)
	}

	// The same under the record's lock, where Put writes the result into
	// the lock file: the lock gets its holder's identity back and stays
	// held until unlock.
	for _, a := range attempts {
		unlock, err := s.Lock(ctx, "f", "h")
		if err != nil {
			check(false, "sync=%v, Lock: %v", opts.Sync, err)
			return
		}
		err = s.Put(ctx, "f", "h", a.rec)
		check(errors.Is(err, syscall.ENOSPC), "sync=%v, Put (%s) under the lock: %v, want ENOSPC", opts.Sync, a.name, err)
		rec, err := s.Get(ctx, "f", "h")
		check(err == nil && bytes.Equal(rec.Result, good.Result) && bytes.Equal(rec.Key, good.Key) && bytes.Equal(rec.Meta, good.Meta),
			"sync=%v, after the failed Put (%s) under the lock the earlier record is %q/%q/%q, %v", opts.Sync, a.name, rec.Result, rec.Key, rec.Meta, err)
		lock := filepath.Join(root, "f", "h.lock")
		info, err := os.ReadFile(lock)
		check(err == nil && strings.HasPrefix(string(info), fmt.Sprint(os.Getpid(), " ")),
			"sync=%v, after the failed Put (%s) the lock holds %.40q, %v; want its holder's identity", opts.Sync, a.name, info, err)
		unlock()
		files := listNames(filepath.Join(root, "f"))
		check(slices.Equal(files, []string{"h.key", "h.meta", "h.out"}),
			"sync=%v, after the failed Put (%s) under the lock and unlock the directory holds %q", opts.Sync, a.name, files)
	}

	// The same under a lock that a waiter broke as stale meanwhile: the
	// Put then writes the record the usual way, a second copy of a result
	// that it first wrote into the lock file, and must still write
	// everything before a live file changes. The result fits the disk
	// once, not twice.
	var free syscall.Statfs_t
	if err := syscall.Statfs(root, &free); err != nil {
		check(false, "statfs: %v", err)
		return
	}
	once := bytes.Repeat([]byte("y"), int(free.Bavail)*int(free.Bsize)*3/4)
	for _, a := range []struct {
		name string
		rec  stores.Record
	}{
		{"same key", stores.Record{Result: once, Key: good.Key, Meta: good.Meta}},
		{"new key", stores.Record{Result: once, Key: []byte("k2"), Meta: good.Meta}},
		{"new metadata", stores.Record{Result: once, Key: good.Key, Meta: []byte("m2")}},
	} {
		unlock, err := s.Lock(ctx, "f", "h")
		if err != nil {
			check(false, "sync=%v, Lock: %v", opts.Sync, err)
			return
		}
		if err := os.Remove(filepath.Join(root, "f", "h.lock")); err != nil {
			check(false, "sync=%v, breaking the lock: %v", opts.Sync, err)
			return
		}
		err = s.Put(ctx, "f", "h", a.rec)
		check(errors.Is(err, syscall.ENOSPC), "sync=%v, Put (%s) under a broken lock: %v, want ENOSPC", opts.Sync, a.name, err)
		rec, err := s.Get(ctx, "f", "h")
		check(err == nil && bytes.Equal(rec.Result, good.Result) && bytes.Equal(rec.Key, good.Key) && bytes.Equal(rec.Meta, good.Meta),
			"sync=%v, after the failed Put (%s) under a broken lock the earlier record is %q/%q/%q, %v", opts.Sync, a.name, rec.Result, rec.Key, rec.Meta, err)
		unlock()
		files := listNames(filepath.Join(root, "f"))
		check(slices.Equal(files, []string{"h.key", "h.meta", "h.out"}),
			"sync=%v, after the failed Put (%s) under a broken lock the directory holds %q", opts.Sync, a.name, files)
	}

	// Fill the disk with small records until it refuses one: every record
	// stored before stays whole, and nothing partial is left.
	stored := 0
	for i := 0; ; i++ {
		err := s.Put(ctx, "g", fmt.Sprint("h", i), stores.Record{Result: bytes.Repeat([]byte{byte(i)}, 3000)})
		if err != nil {
			check(errors.Is(err, syscall.ENOSPC), "filling: %v, want ENOSPC", err)
			break
		}
		stored++
	}
	n, err := s.Len(ctx, "g")
	check(err == nil && n == stored, "Len = %d, %v after %d Puts", n, err, stored)
	for e, err := range s.Entries(ctx, "g", stores.AllParts) {
		if err != nil {
			check(false, "Entries: %v", err)
			break
		}
		var i int
		fmt.Sscan(strings.TrimPrefix(e.Hash, "h"), &i)
		check(bytes.Equal(e.Result, bytes.Repeat([]byte{byte(i)}, 3000)), "record %s damaged", e.Hash)
	}
	for _, name := range listNames(filepath.Join(root, "g")) {
		check(strings.HasSuffix(name, ".out"), "full disk left %s", name)
	}
	fmt.Printf("sync=%v: refused three Puts larger than the disk, without the lock, with it and with it broken, and, after %d small records, one more; earlier records intact\n", opts.Sync, stored)
}

func listNames(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}
