//go:build unix

package filestore_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// checkedValue returns a value that proves itself whole: its payload's
// length and SHA-256 come first.
func checkedValue(size int) []byte {
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(rand.Uint32())
	}
	sum := sha256.Sum256(payload)
	v := binary.BigEndian.AppendUint64(nil, uint64(size))
	v = append(v, sum[:]...)
	return append(v, payload...)
}

// verifyValue reports how v is not a whole checkedValue.
func verifyValue(v []byte) error {
	if len(v) < 8+sha256.Size {
		return fmt.Errorf("%d bytes: shorter than the header", len(v))
	}
	size := binary.BigEndian.Uint64(v)
	payload := v[8+sha256.Size:]
	if uint64(len(payload)) != size {
		return fmt.Errorf("payload of %d bytes, header says %d", len(payload), size)
	}
	if sum := sha256.Sum256(payload); string(sum[:]) != string(v[8:8+sha256.Size]) {
		return errors.New("payload does not match its checksum")
	}
	return nil
}

// companionOf names the value a key or meta was written with.
func companionOf(kind string, value []byte) []byte {
	sum := sha256.Sum256(value)
	return []byte(kind + " of " + hex.EncodeToString(sum[:8]))
}

// crashLockStale is the children's staleness limit: a child killed just
// after writing a result into its lock leaves a lock that names no holder,
// which the next child breaks once it is that old.
const crashLockStale = 100 * time.Millisecond

// isLockIdentity reports whether line is a lock holder's identity:
// "<pid> <host> <time>".
func isLockIdentity(line string) bool {
	var pid int
	var host, when string
	n, _ := fmt.Sscan(line, &pid, &host, &when)
	return n == 3
}

// crashChild runs in a child process: it holds a lock and writes records
// to dir in a loop until it is killed, half of them through a lock (Lock,
// Put, unlock), which turns the lock file into the result.
func crashChild(dir string) {
	ctx := context.Background()
	s, err := filestore.Open(dir, filestore.Options{LockStale: crashLockStale})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	if _, err := s.Lock(ctx, "f", "locked"); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		value := checkedValue(rand.IntN(256 << 10))
		rec := stores.Record{Result: value}
		switch rand.IntN(3) { // changing companions take the slower path
		case 0:
			rec.Key = companionOf("key", value)
			rec.Meta = companionOf("meta", value)
		case 1:
			rec.Key = companionOf("key", value)
		}
		hash := fmt.Sprint("h", rand.IntN(6))
		unlock := func() {}
		if rand.IntN(2) == 0 {
			if unlock, err = s.Lock(ctx, "f", hash); err != nil {
				fmt.Println(err)
				os.Exit(1)
			}
		}
		if err := s.Put(ctx, "f", hash, rec); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		unlock()
		if i == 0 {
			fmt.Println("ready")
		}
	}
}

// TestCrashSafety kills a writing process at random instants and checks
// after each kill that every record present is whole, with its own
// companions, and that what was left behind is not counted and is cleared.
func TestCrashSafety(t *testing.T) {
	kills := 200
	if testing.Short() {
		kills = 25
	}
	dir := filepath.Join(t.TempDir(), "persist")
	funcDir := filepath.Join(dir, "f")
	ctx := context.Background()
	leftovers := map[string]bool{}
	lockLeftovers := map[string]bool{} // locks left during a Put or naming no holder → named
	for kill := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=crash", dirEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if line != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child said %q (%v)", line, err)
		}
		time.Sleep(time.Duration(rand.Int64N(int64(4 * time.Millisecond))))
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()

		s, err := filestore.Open(dir, filestore.Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		entries := 0
		for e, err := range s.Entries(ctx, "f", stores.AllParts) {
			if err != nil {
				t.Fatal(err)
			}
			entries++
			if err := verifyValue(e.Result); err != nil {
				t.Fatalf("after kill %d, %s.out: %v", kill, e.Hash, err)
			}
			if e.Key != nil && string(e.Key) != string(companionOf("key", e.Result)) {
				t.Fatalf("after kill %d, %s.key %q belongs to another result", kill, e.Hash, e.Key)
			}
			if e.Meta != nil && string(e.Meta) != string(companionOf("meta", e.Result)) {
				t.Fatalf("after kill %d, %s.meta %q belongs to another result", kill, e.Hash, e.Meta)
			}
		}
		outs := 0
		for _, name := range listDir(t, funcDir) {
			switch {
			case strings.HasSuffix(name, ".out"):
				outs++
			case strings.Contains(name, ".tmp-"):
				leftovers[name] = true
			case strings.HasSuffix(name, ".lock") && name != "locked.lock":
				// Killed while holding it: before its Put, or during, when
				// it holds (part of) the result. Its last line names its
				// holder, except in the instants when the file is created
				// and when the result is complete.
				path := filepath.Join(funcDir, name)
				content, err1 := os.ReadFile(path)
				fi, err2 := os.Stat(path)
				if err1 != nil || err2 != nil {
					continue
				}
				lines := strings.Split(strings.TrimRight(string(content), "\n"), "\n")
				named := isLockIdentity(lines[len(lines)-1])
				if !named || len(lines) > 1 {
					lockLeftovers[fmt.Sprint(name, fi.Sys().(*syscall.Stat_t).Ino)] = named
				}
			}
		}
		n, err := s.Len(ctx, "f")
		if err != nil || n != outs || entries != outs {
			t.Fatalf("after kill %d: Len %d (%v), Entries %d, .out files %d", kill, n, err, entries, outs)
		}
		// The child died holding a lock: as its process is gone, the lock
		// is broken at once, long before it would be stale.
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		unlock, err := s.Lock(lctx, "f", "locked")
		cancel()
		if err != nil {
			t.Fatalf("after kill %d, the dead child's lock was not broken: %v", kill, err)
		}
		unlock()
		s.Close()
	}
	anonymous := 0
	for _, named := range lockLeftovers {
		if !named {
			anonymous++
		}
	}
	t.Logf("%d kills left %d temporary files behind, and %d locks killed during a Put or naming no holder (%d of them)",
		kills, len(leftovers), len(lockLeftovers), anonymous)

	// Locks left by the last child are stale by now, whatever they hold.
	time.Sleep(crashLockStale)
	s, err := filestore.Open(dir, filestore.Options{Logger: quiet, LockStale: crashLockStale})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A temporary file is left by hand too, so Clear is always tested on one.
	mustWrite(t, filepath.Join(funcDir, "h0.out.tmp-0123456789abcdef"), "partial")
	if err := s.Clear(ctx, "f"); err != nil {
		t.Fatal(err)
	}
	if left := listDir(t, funcDir); left != nil {
		t.Errorf("Clear left %q", left)
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("store directory holds %q after Clear", got)
	}
}
