package persist_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// The tests here run the test binary itself as child processes that share
// one file cache: the parent sets PERSIST_CHILD to the role and
// PERSIST_CHILD_DIR to the cache.

func TestMain(m *testing.M) {
	switch os.Getenv("PERSIST_CHILD") {
	case "":
		os.Exit(m.Run())
	case "compute":
		os.Exit(childCompute(os.Getenv("PERSIST_CHILD_DIR")))
	case "write":
		os.Exit(childWrite(os.Getenv("PERSIST_CHILD_DIR")))
	default:
		fmt.Fprintln(os.Stderr, "unknown PERSIST_CHILD role")
		os.Exit(2)
	}
}

func child(t *testing.T, role, dir string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PERSIST_CHILD="+role, "PERSIST_CHILD_DIR="+dir)
	cmd.Stderr = os.Stderr
	return cmd
}

const sharedKeys = 12

func slowSquare(x int) int { return x*x + 1 }

// childCompute calls a memoised function from 8 goroutines on the same keys
// in shuffled orders. Each computation appends a line to computed.log
// (O_APPEND writes of one line are atomic), so the parent can count them.
func childCompute(dir string) int {
	logf, err := os.OpenFile(filepath.Join(dir, "computed.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer logf.Close()
	f, memo, err := persist.Wrap(func(x int) int {
		fmt.Fprintf(logf, "%d %d\n", os.Getpid(), x)
		time.Sleep(30 * time.Millisecond)
		return slowSquare(x)
	}, persist.Options{Cache: filepath.Join(dir, "cache"), FuncName: "square"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer memo.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := 0
	for range 8 {
		wg.Go(func() {
			for _, x := range rand.Perm(sharedKeys) {
				if got := f(x); got != slowSquare(x) {
					mu.Lock()
					bad++
					mu.Unlock()
					fmt.Fprintf(os.Stderr, "square(%d) = %d, want %d\n", x, got, slowSquare(x))
				}
			}
		})
	}
	wg.Wait()
	if bad > 0 {
		return 1
	}
	return 0
}

// TestProcessesComputeOnce runs 8 goroutines in each of 4 processes on the
// same keys: every caller sees the right value, and the file store's locks
// make each key computed once in all.
func TestProcessesComputeOnce(t *testing.T) {
	dir := t.TempDir()
	var cmds []*exec.Cmd
	for range 4 {
		cmd := child(t, "compute", dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v (a caller saw a wrong value, or it failed)", i, err)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "computed.log"))
	if err != nil {
		t.Fatal(err)
	}
	perKey := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		perKey[strings.Fields(sc.Text())[1]]++
	}
	if len(perKey) != sharedKeys {
		t.Fatalf("%d keys computed, want %d", len(perKey), sharedKeys)
	}
	for k, n := range perKey {
		if n != 1 {
			t.Errorf("key %s computed %d times across 4 processes, want 1", k, n)
		}
	}
}

// childWrite stores results as fast as it can until it is killed.
func childWrite(dir string) int {
	memo, err := persist.Decorate(func(x int) []int {
		out := make([]int, x%50)
		for i := range out {
			out[i] = x * i
		}
		return out
	}, persist.Options{Cache: dir, FuncName: "series", StoreKey: true, Metadata: func() string { return "m" }})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := 0; ; i++ {
		x := rand.IntN(40)
		if i%3 == 0 {
			// Overwrite: replaces .out, .key and .meta of an existing entry.
			memo.Cache().Set(persist.Key{{"arg0", x}}, []int{x})
		} else {
			memo.Call(x)
		}
	}
}

// TestKillDuringWrites kills a writing process with SIGKILL at random
// instants, 200 times (20 with -short), and checks after each kill that
// every entry left reads back whole and right: its stored key matches its
// hash and its value is one the writer could have stored for that key.
func TestKillDuringWrites(t *testing.T) {
	kills := 200
	if testing.Short() {
		kills = 20
	}
	dir := t.TempDir()
	// A writer killed while it creates a lock leaves one that names no
	// holder; the store breaks it once it is older than lockstale, which the
	// reader here sets short so that its final Clear can remove it.
	const lockstale = 300 * time.Millisecond
	memo, err := persist.Decorate(func(x int) []int { return nil },
		persist.Options{Cache: "file://" + dir + "?lockstale=" + lockstale.String(), FuncName: "series", StoreKey: true, Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	most := 0
	for k := range kills {
		cmd := child(t, "write", dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(5+rand.IntN(25)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		n := 0
		for it, err := range memo.Cache().All() {
			if err != nil {
				t.Fatalf("kill %d: an entry does not read back: %v", k, err)
			}
			x := it.Key.(persist.Key)[0].Value.(int)
			v := it.Value.([]int)
			if !(len(v) == 1 && v[0] == x) && len(v) != x%50 {
				t.Fatalf("kill %d: entry for %d holds %v", k, x, v)
			}
			n++
		}
		if l, err := memo.Cache().Len(); err != nil || l != n {
			t.Fatalf("kill %d: Len = %d, %v but %d entries iterate", k, l, err, n)
		}
		most = max(most, n)
	}
	if most == 0 {
		t.Fatal("the writers stored nothing before they were killed: the test checked nothing")
	}
	t.Logf("%d kills; up to %d entries checked after each", kills, most)
	time.Sleep(lockstale + 100*time.Millisecond)
	if err := memo.Clear(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "series")); len(left) != 0 {
		names := make([]string, len(left))
		for i, e := range left {
			names[i] = e.Name()
		}
		t.Fatalf("Clear left %q (files of killed writers?)", names)
	}
}

// TestHeldLockMakesCallersWait holds <hash>.lock by hand, as pypersist's
// tests do: a caller waits until it is removed, then computes.
func TestHeldLockMakesCallersWait(t *testing.T) {
	dir := t.TempDir()
	f, _, err := persist.Wrap(slowSquare, persist.Options{Cache: dir, FuncName: "square"})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := persist.Hash(persist.Key{{"arg0", 3}})
	if err := os.MkdirAll(filepath.Join(dir, "square"), 0o755); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(dir, "square", hash+".lock")
	if err := os.WriteFile(lock, []byte("held by the test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	go func() { done <- f(3) }()
	select {
	case v := <-done:
		t.Fatalf("the call returned %d while the lock was held", v)
	case <-time.After(300 * time.Millisecond):
	}
	os.Remove(lock)
	select {
	case v := <-done:
		if v != 10 {
			t.Fatalf("got %d", v)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call did not go on after the lock was removed")
	}
}

// TestStaleLockIsBroken leaves a lock whose holder is gone: a call goes on
// within the store's lockstale bound instead of waiting for ever.
func TestStaleLockIsBroken(t *testing.T) {
	dir := t.TempDir()
	f, _, err := persist.Wrap(slowSquare, persist.Options{Cache: "file://" + dir + "?lockstale=500ms", FuncName: "square", Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := persist.Hash(persist.Key{{"arg0", 4}})
	os.MkdirAll(filepath.Join(dir, "square"), 0o755)
	lock := filepath.Join(dir, "square", hash+".lock")
	if err := os.WriteFile(lock, []byte("12345 elsewhere 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan int)
	go func() { done <- f(4) }()
	select {
	case v := <-done:
		if v != 17 {
			t.Fatalf("got %d", v)
		}
	case <-ctx.Done():
		t.Fatal("a stale lock blocked the call for 10 s; lockstale is 500ms")
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Fatalf("the stale lock is still there: %v", err)
	}
}
