//go:build unix

package persist_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// TestMissHonoursDeadlineWhileStoreWaits takes the file store's directory
// lock while the function computes, as another process may, and checks
// that the miss, whose deadline passes while the store waits to write,
// returns its result at the deadline; that the write finishes once the
// lock is free; and that Close waits for it.
func TestMissHonoursDeadlineWhileStoreWaits(t *testing.T) {
	dir := t.TempDir()
	var held *os.File
	double := func(ctx context.Context, x int) (int, error) {
		if x == 21 {
			d, err := os.Open(filepath.Join(dir, "double"))
			if err != nil {
				return 0, err
			}
			if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX); err != nil {
				return 0, err
			}
			held = d
		}
		return 2 * x, nil
	}
	f, memo, err := persist.Wrap(double, persist.Options{Cache: dir, FuncName: "double", Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f(context.Background(), 1); err != nil { // makes the function's directory
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	got, err := f(ctx, 21)
	if err != nil || got != 42 {
		t.Fatalf("f(21) under a held directory lock = %v, %v; want 42, nil", got, err)
	}
	if n, _ := memo.Cache().Len(); n != 1 {
		t.Fatalf("%d entries while the directory lock is held; want 1 (the write waits)", n)
	}

	// Free the lock: the detached write finishes, and Close waits for it.
	if err := held.Close(); err != nil {
		t.Fatal(err)
	}
	if err := memo.Close(); err != nil {
		t.Fatal(err)
	}
	check, memo2, err := persist.Wrap(func(ctx context.Context, x int) (int, error) {
		t.Errorf("f(%d) computed again: the detached write was lost", x)
		return 0, nil
	}, persist.Options{Cache: dir, FuncName: "double", Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer memo2.Close()
	if got, err := check(context.Background(), 21); err != nil || got != 42 {
		t.Fatalf("f(21) after the write = %v, %v; want 42 from the cache", got, err)
	}
}
