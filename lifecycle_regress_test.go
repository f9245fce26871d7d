package persist_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"os/exec"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// stampLike returns payload behind bytes that read as a stamp of version.
func stampLike(version string, payload []byte) []byte {
	var h []byte
	h = binary.AppendUvarint(h, uint64(len(version)))
	h = append(h, version...)
	h = binary.AppendUvarint(h, 0)
	d := []byte{0x1C, 'p', 'k', 'v'}
	d = binary.AppendUvarint(d, uint64(len(h)))
	d = append(d, h...)
	d = binary.LittleEndian.AppendUint32(d, crc32.Checksum(d, crc32.MakeTable(crc32.Castagnoli)))
	return append(d, payload...)
}

// TestCustomPickleThatLooksStamped stores results of a custom pickling
// that begin as a stamp does: they come back whole, as hits.
func TestCustomPickleThatLooksStamped(t *testing.T) {
	for _, want := range [][]byte{
		stampLike("", []byte("tail")),
		stampLike("zz", []byte("tail")),
		{0x1C, 'p', 'k', 'v', 0xFF, 'x'},
	} {
		runs := 0
		f := func(int) []byte { runs++; return slices.Clone(want) }
		g, memo, err := persist.Wrap1(f, persist.Options{FuncName: "looks_stamped", Cache: t.TempDir(), FailOnDamaged: false,
			Pickle: func(b []byte) []byte { return b }, Unpickle: func(b []byte) []byte { return b }})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if got := g(1); !bytes.Equal(got, want) {
				t.Errorf("call %d: %q, want %q", i, got, want)
			}
		}
		if runs != 1 {
			t.Errorf("%q computed %d times in 3 calls, want once", want, runs)
		}
		memo.Close()
	}
}

func sumOf(xs []int) (int, error) {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s, nil
}

// TestRefreshKeyIsItsOwn changes a slice argument right after a stale hit
// started its refresh: the refresh stores the result under the key of the
// arguments it copied, and the entry stays a hit for them.
func TestRefreshKeyIsItsOwn(t *testing.T) {
	dir := t.TempDir()
	g, memo, err := persist.Wrap1E(sumOf, persist.Options{Cache: dir, FuncName: "sum_of", StoreKey: true,
		MaxAge: 50 * time.Millisecond, StaleWhileRefresh: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	xs := []int{1, 2, 3}
	g(xs)
	time.Sleep(100 * time.Millisecond)
	g(xs)      // stale: the refresh starts
	xs[0] = 50 // the caller's slice, after the call returned
	memo.Close()
	_, again, err := persist.Wrap1E(sumOf, persist.Options{Cache: dir, FuncName: "sum_of", StoreKey: true})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if v, err := again.Call([]int{1, 2, 3}); v != 6 || err != nil || again.Stats().Hits != 1 {
		t.Errorf("sum_of([1 2 3]) after the refresh = %v, %v, %+v; want a hit of 6", v, err, again.Stats())
	}
}

var panicRuns atomic.Int32

func panicsSecond(x int) int {
	if panicRuns.Add(1) > 1 {
		panic("second run fails")
	}
	return x
}

// TestRefreshPanicIsAFailedRefresh has the function panic in a background
// refresh: the process goes on, the stale entry stays, the failure counts.
func TestRefreshPanicIsAFailedRefresh(t *testing.T) {
	if os.Getenv("PERSIST_PANIC_CHILD") == "1" {
		g, memo, _ := persist.Wrap1(panicsSecond, persist.Options{Cache: os.Getenv("PERSIST_PANIC_DIR"), FuncName: "panics_second",
			MaxAge: 20 * time.Millisecond, StaleWhileRefresh: time.Hour, Verbosity: persist.Silent})
		g(1)
		time.Sleep(50 * time.Millisecond)
		g(1)
		memo.Close()
		if s := memo.Stats(); s.RefreshErrors != 1 {
			os.Exit(3)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRefreshPanicIsAFailedRefresh$")
	cmd.Env = append(os.Environ(), "PERSIST_PANIC_CHILD=1", "PERSIST_PANIC_DIR="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the process whose refresh panicked: %v\n%.600s", err, out)
	}
}

var mapRuns atomic.Int32

func failingVec(int) ([]float64, error) { mapRuns.Add(1); return nil, errors.New("boom") }

// TestMapResultOfAnErrorComputesOnce: an error result is not stored, and
// MapResult returns it without computing again.
func TestMapResultOfAnErrorComputesOnce(t *testing.T) {
	m, err := persist.Decorate(failingVec, persist.Options{Cache: t.TempDir(), FuncName: "failing_vec"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	before := mapRuns.Load() // a package variable: -count runs add up
	if _, err := persist.MapResult[float64](m, 1000); err == nil || err.Error() != "boom" || mapRuns.Load()-before != 1 {
		t.Errorf("MapResult = %v after %d runs; want boom after one", err, mapRuns.Load()-before)
	}
}

// TestCacheContainsCountsNoHit: Contains looks, and Stats count calls.
func TestCacheContainsCountsNoHit(t *testing.T) {
	g, memo, err := persist.Wrap1(plainTriple, persist.Options{Cache: t.TempDir(), FuncName: "triple"})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	g(1)
	before := memo.Stats().Hits
	if ok, err := memo.Cache().Contains(persist.KeyOf("arg0", 1)); !ok || err != nil {
		t.Fatalf("Contains = %v, %v", ok, err)
	}
	if after := memo.Stats().Hits; after != before {
		t.Errorf("Cache.Contains counted %d hits", after-before)
	}
}
