package persist_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
)

// The lifecycle tests (versions, ages, refreshes, statistics) run on a
// file store in a temporary directory and on a memory store of their own.

// lifecycleStore is one store a lifecycle test runs on.
type lifecycleStore struct {
	name string
	url  string
	dir  string // the file store's directory, "" for memory
}

var memSpaces atomic.Int64

// lifecycleStores returns a fresh file store and a fresh memory store.
func lifecycleStores(t *testing.T) []lifecycleStore {
	dir := t.TempDir()
	return []lifecycleStore{
		{name: "file", url: "file://" + dir, dir: dir},
		{name: "mem", url: fmt.Sprintf("mem://lifecycle-%d", memSpaces.Add(1))},
	}
}

// eachStore runs test on each lifecycle store, as subtests.
func eachStore(t *testing.T, test func(t *testing.T, s lifecycleStore)) {
	for _, s := range lifecycleStores(t) {
		t.Run(s.name, func(t *testing.T) { test(t, s) })
	}
}

// openStore opens the store at url for the test's own reads and writes.
func openStore(t *testing.T, url string) *stores.Store {
	t.Helper()
	st, err := stores.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// hashOf is the default hash of a call of one positional argument.
func hashOf(t *testing.T, x any) string {
	t.Helper()
	h, err := persist.Hash(persist.Key{{Name: "arg0", Value: x}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// hashOfCtx is the default hash of a call of a context and one argument.
func hashOfCtx(t *testing.T, x any) string {
	t.Helper()
	h, err := persist.Hash(persist.Key{{Name: "arg1", Value: x}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// stored returns the stored result bytes for fn and hash.
func stored(t *testing.T, url, fn, hash string) []byte {
	t.Helper()
	rec, err := openStore(t, url).Read(context.Background(), fn, hash, stores.PartResult)
	if err != nil {
		t.Fatalf("reading %s/%s: %v", fn, hash, err)
	}
	return rec.Result
}

// entries counts the stored entries of fn.
func entries(t *testing.T, url, fn string) int {
	t.Helper()
	n, err := openStore(t, url).Len(context.Background(), fn)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// closeMemo closes memo, failing the test on an error.
func closeMemo(t *testing.T, memo *persist.Memo) {
	t.Helper()
	if err := memo.Close(); err != nil {
		t.Fatal(err)
	}
}

// counted returns a function of one int that counts its computations in
// n and returns x*1000 plus the computation's number, so that every
// computation has a result of its own.
func counted(n *atomic.Int64) func(int) int {
	return func(x int) int { return x*1000 + int(n.Add(1)) }
}

// stampOf is the version stamped on fn's entry for hash.
func stampOf(t *testing.T, url, fn, hash string) persist.Stamp {
	t.Helper()
	st, _, err := persist.SplitStamp(stored(t, url, fn, hash))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestVersionMismatchRecomputesAndReplaces(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		fn := counted(&n)
		call := func(version string) int {
			f, memo, err := persist.Wrap1(fn, persist.Options{Cache: s.url, FuncName: "versioned", Version: version})
			if err != nil {
				t.Fatal(err)
			}
			defer closeMemo(t, memo)
			return f(2)
		}
		if got := call("v1"); got != 2001 {
			t.Fatalf("v1 first call = %d, want 2001", got)
		}
		if got := call("v1"); got != 2001 || n.Load() != 1 {
			t.Fatalf("v1 again = %d after %d computations, want the hit 2001 after 1", got, n.Load())
		}
		if got := call("v2"); got != 2002 {
			t.Fatalf("v2 = %d, want a new computation 2002 (v1's result must be a miss)", got)
		}
		if got := entries(t, s.url, "versioned"); got != 1 {
			t.Fatalf("%d entries after the v2 call, want 1 (replaced)", got)
		}
		if st := stampOf(t, s.url, "versioned", hashOf(t, 2)); st.Version != "v2" {
			t.Fatalf("stored version %q, want v2", st.Version)
		}
		if got := call("v2"); got != 2002 || n.Load() != 2 {
			t.Fatalf("v2 again = %d after %d computations, want the hit 2002 after 2", got, n.Load())
		}
		if got := call("v1"); got != 2003 {
			t.Fatalf("back to v1 = %d, want a new computation 2003", got)
		}
	})
}

func TestEmptyVersionReadsEntriesWithoutStamp(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		fn := counted(&n)
		old, err := persist.Pickle(42)
		if err != nil {
			t.Fatal(err)
		}
		if st, rest, err := persist.SplitStamp(old); err != nil || st != (persist.Stamp{}) || !bytes.Equal(rest, old) {
			t.Fatalf("SplitStamp of an old entry = %+v, %d bytes, %v; want no stamp and the bytes whole", st, len(rest), err)
		}
		hash := hashOf(t, 2)
		if err := openStore(t, s.url).Put(context.Background(), "old", hash, stores.Record{Result: old}); err != nil {
			t.Fatal(err)
		}
		f, memo, err := persist.Wrap1(fn, persist.Options{Cache: s.url, FuncName: "old"})
		if err != nil {
			t.Fatal(err)
		}
		if got := f(2); got != 42 || n.Load() != 0 {
			t.Fatalf("f(2) = %d after %d computations, want the old entry's 42 without computing", got, n.Load())
		}
		closeMemo(t, memo)
		if got := stored(t, s.url, "old", hash); !bytes.Equal(got, old) {
			t.Fatal("the old entry was rewritten by a hit")
		}
		if got := entries(t, s.url, "old"); got != 1 {
			t.Fatalf("%d entries, want the old one only (nothing rehashed)", got)
		}
		// A version makes the unstamped entry a miss, and replaces it.
		f, memo, err = persist.Wrap1(fn, persist.Options{Cache: s.url, FuncName: "old", Version: "v1"})
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		if got := f(2); got != 2001 {
			t.Fatalf("with Version v1, f(2) = %d, want a computation 2001", got)
		}
		if st := stampOf(t, s.url, "old", hash); st.Version != "v1" {
			t.Fatalf("stored version %q, want v1", st.Version)
		}
	})
}

func TestVersionWithCustomHash(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		fn := counted(&n)
		open := func(version string) (func(int) int, *persist.Memo) {
			f, memo, err := persist.Wrap1(fn, persist.Options{
				Cache: s.url, FuncName: "hashed", Version: version,
				Hash: func(k persist.Key) string { return "h" + strconv.Itoa(k[0].Value.(int)) },
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { closeMemo(t, memo) })
			return f, memo
		}
		fa, _ := open("a")
		fb, _ := open("b")
		if got := fa(1); got != 1001 {
			t.Fatalf("a: %d, want 1001", got)
		}
		if got := fb(1); got != 1002 {
			t.Fatalf("b: %d, want its own computation 1002, not a's result", got)
		}
		if got := fa(1); got != 1003 {
			t.Fatalf("a again: %d, want its own computation 1003, not b's result", got)
		}
		if st := stampOf(t, s.url, "hashed", "h1"); st.Version != "a" {
			t.Fatalf("entry h1 is of version %q, want a", st.Version)
		}
	})
}

func TestCustomPickleStamps(t *testing.T) {
	dir := t.TempDir()
	url := "file://" + dir
	var n atomic.Int64
	fn := func(x int) int { n.Add(1); return 3 * x }
	opts := persist.Options{Cache: url, FuncName: "triple", Pickle: strconv.Itoa, Unpickle: strconv.Atoi}
	f, memo, err := persist.Wrap1(fn, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := f(7); got != 21 {
		t.Fatalf("f(7) = %d", got)
	}
	closeMemo(t, memo)
	file := filepath.Join(dir, "triple", hashOf(t, 7)+".out")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "21" {
		t.Fatalf("without Version the file holds %q, want pypersist's %q", data, "21")
	}

	opts.FuncName, opts.Version = "triple_v", "v1"
	f, memo, err = persist.Wrap1(fn, opts)
	if err != nil {
		t.Fatal(err)
	}
	f(7)
	closeMemo(t, memo)
	data, err = os.ReadFile(filepath.Join(dir, "triple_v", hashOf(t, 7)+".out"))
	if err != nil {
		t.Fatal(err)
	}
	st, rest, err := persist.SplitStamp(data)
	if err != nil || st.Version != "v1" || string(rest) != "21" {
		t.Fatalf("with Version: SplitStamp = %+v, %q, %v; want version v1 and the pickler's %q", st, rest, err, "21")
	}
	f, memo, err = persist.Wrap1(fn, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer closeMemo(t, memo)
	if got := f(7); got != 21 || n.Load() != 2 {
		t.Fatalf("stamped custom pickle: f(7) = %d after %d computations, want the hit 21 after 2", got, n.Load())
	}
}

// fingerprinted is registered under its full name by
// TestRegisterFingerprint.
func fingerprinted(x int) int { return x + 1 }

func fullName(fn any) string {
	return runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name()
}

func TestRegisterFingerprint(t *testing.T) {
	name := fullName(fingerprinted)
	if _, ok := persist.Fingerprint(name + "_unregistered"); ok {
		t.Fatal("Fingerprint of an unregistered function reports one")
	}
	persist.RegisterFingerprint(name, "fp-1")
	if fp, ok := persist.Fingerprint(name); !ok || fp != "fp-1" {
		t.Fatalf("Fingerprint(%q) = %q, %v", name, fp, ok)
	}
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		for _, c := range []struct{ version, want string }{{"", "fp-1"}, {"explicit", "explicit"}} {
			fn := "fp_" + c.want
			f, memo, err := persist.Wrap1(fingerprinted, persist.Options{Cache: s.url, FuncName: fn, Version: c.version})
			if err != nil {
				t.Fatal(err)
			}
			f(1)
			closeMemo(t, memo)
			if st := stampOf(t, s.url, fn, hashOf(t, 1)); st.Version != c.want {
				t.Errorf("Version %q: stored version %q, want %q", c.version, st.Version, c.want)
			}
		}
	})
}

// TestCacheSeesOneVersion: the Cache view of a Memo, its Get and its
// iterations, sees only entries of the Memo's version, as its calls do.
func TestCacheSeesOneVersion(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		fn := counted(&n)
		open := func(version string) *persist.Memo {
			memo, err := persist.Decorate(fn, persist.Options{Cache: s.url, FuncName: "cacheview", Version: version, StoreKey: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { closeMemo(t, memo) })
			return memo
		}
		v1, v2 := open("v1"), open("v2")
		v1.Call(1)
		v2.Call(2)
		if _, err := v2.Cache().Get(persist.Key{{Name: "arg0", Value: 1}}); !errors.Is(err, persist.ErrNotFound) {
			t.Errorf("v2's Get of v1's entry: %v, want ErrNotFound", err)
		}
		if err := v1.Cache().Set(persist.Key{{Name: "arg0", Value: 3}}, 7); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			memo *persist.Memo
			want []int
		}{{v1, []int{1, 3}}, {v2, []int{2}}} {
			var got []int
			for k, err := range c.memo.Cache().Keys() {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, k.(persist.Key)[0].Value.(int))
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("keys seen by one version: %v, want %v", got, c.want)
			}
		}
		if v, err := v1.Call(3); v != 7 || err != nil {
			t.Errorf("v1's call of the key it Set: %v, %v; want 7", v, err)
		}
	})
}

func TestVersionLength(t *testing.T) {
	url := fmt.Sprintf("mem://lifecycle-%d", memSpaces.Add(1))
	long := strings.Repeat("v", 256)
	memo, err := persist.Decorate(plainTriple, persist.Options{Cache: url, FuncName: "long", Version: long})
	if err != nil {
		t.Fatalf("a Version of 256 bytes: %v", err)
	}
	closeMemo(t, memo)
	if _, err := persist.Decorate(plainTriple, persist.Options{Cache: url, FuncName: "toolong", Version: long + "v"}); err == nil {
		t.Fatal("a Version of 257 bytes: no error")
	}
}
