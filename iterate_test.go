package persist_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/gopersist/persist"
)

// TestIterationStreams iterates a large cache and checks that the heap does
// not grow with the number of entries read: Keys, Values and All stream
// from the store. It uses 200,000 entries (PERSIST_TEST_ENTRIES sets
// another number, such as 1000000), written straight into the file layout
// on a memory file system where there is one, to keep the test quick.
func TestIterationStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200,000 files")
	}
	n := 200_000
	if s := os.Getenv("PERSIST_TEST_ENTRIES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	base := ""
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "persist-iterate-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	memo, err := persist.Decorate(func(x int) int { return 2 * x }, persist.Options{Cache: dir, FuncName: "double",
		Key:    func(x int) int { return x },
		Hash:   func(k int) string { return strconv.Itoa(k) },
		Unhash: strconv.Atoi})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	fnDir := filepath.Join(dir, "double")
	if err := os.MkdirAll(fnDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		data, err := persist.Pickle(2 * i)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(fnDir, strconv.Itoa(i)+".out"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse
	}
	seen, sum := 0, 0
	var early, late uint64
	for it, err := range memo.Cache().All() {
		if err != nil {
			t.Fatal(err)
		}
		k, v := it.Key.(int), it.Value.(int)
		if v != 2*k {
			t.Fatalf("entry %d holds %d", k, v)
		}
		sum += k
		seen++
		switch seen {
		case n / 10:
			early = heap()
		case n - 1:
			late = heap()
		}
	}
	if seen != n || sum != n*(n-1)/2 {
		t.Fatalf("iterated %d entries (key sum %d), want %d (%d)", seen, sum, n, n*(n-1)/2)
	}
	growth := int64(late) - int64(early)
	t.Logf("%d entries: heap in use %d KiB after 10%%, %d KiB at the end (growth %d KiB)", n, early>>10, late>>10, growth>>10)
	// Keeping even one 16-byte string per entry read would grow the heap
	// by more than 2.7 MiB over the last 90% of 200,000 entries.
	if limit := int64(1 << 20); growth > limit {
		t.Fatalf("the heap grew by %d KiB while iterating: iteration does not stream", growth>>10)
	}
}
