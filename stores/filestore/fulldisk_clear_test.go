//go:build linux

package filestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// A Clear that removes a Put's staged files as leftovers before the Put
// gets the directory lock, then another writer's record, then a full
// disk: the Put's second try at writing its files fails, and must leave
// the record that is there untouched, as every failed Put does.
func TestClearRaceFullDisk(t *testing.T) { runInMountNamespace(t, "fulldiskclear") }

func fullDiskClearChild(dir string) int {
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		fmt.Println("mount tmpfs:", err)
		return childSkip
	}
	defer syscall.Unmount(dir, 0)
	ctx := context.Background()
	root := filepath.Join(dir, "s")
	s, err := filestore.Open(root, filestore.Options{Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return 1
	}
	if err := s.Put(ctx, "f", "h", stores.Record{Result: []byte("old"), Key: []byte("k0")}); err != nil {
		fmt.Println("first Put:", err)
		return 1
	}
	fdir := filepath.Join(root, "f")
	fd, err := syscall.Open(fdir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err == nil {
		err = syscall.Flock(fd, syscall.LOCK_EX) // another writer's directory lock
	}
	if err != nil {
		fmt.Println(err)
		return 1
	}
	done := make(chan error)
	go func() {
		done <- s.Put(ctx, "f", "h", stores.Record{Result: bytes.Repeat([]byte("a"), 24<<10), Key: []byte("kA")})
	}()
	for n := 0; n < 2; {
		time.Sleep(time.Millisecond)
		n = 0
		for _, name := range listNames(fdir) {
			if strings.Contains(name, ".tmp-") {
				n++
			}
		}
	}
	time.Sleep(20 * time.Millisecond) // the Put waits for the directory lock
	// What a Clear does under that lock: every record and leftover goes.
	for _, name := range listNames(fdir) {
		os.Remove(filepath.Join(fdir, name))
	}
	// What another writer's Put then commits: a good record.
	os.WriteFile(filepath.Join(fdir, "h.key"), []byte("kC"), 0o666)
	os.WriteFile(filepath.Join(fdir, "h.out"), []byte("good C"), 0o666)
	// And the disk fills up.
	filler, _ := os.Create(filepath.Join(root, "filler"))
	for {
		if _, err := filler.Write(make([]byte, 1024)); err != nil {
			break
		}
	}
	filler.Close()
	syscall.Close(fd) // releases the directory lock
	putErr := <-done
	rec, err := s.Get(ctx, "f", "h")
	fmt.Printf("Put: %v\nGet: %q/%q, %v\ndirectory: %q\n", putErr, rec.Result, rec.Key, err, listNames(fdir))
	if !errors.Is(putErr, syscall.ENOSPC) || err != nil || string(rec.Result) != "good C" || string(rec.Key) != "kC" {
		fmt.Println("FAIL: the failed Put did not leave the record in place whole")
		return 1
	}
	return 0
}
