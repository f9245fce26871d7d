package stores_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/storetest"
)

// tiered returns a store with a memory tier bounded by tier over a counting
// wrapper of a fresh memory space's driver, the counts, and a second store
// on the same space without a tier: another process, as far as the tier
// can tell.
func tiered(t *testing.T, tier stores.Tier) (*stores.Store, *storetest.Counting, *stores.Store) {
	t.Helper()
	name := fmt.Sprintf("tier-test-%d", spaces.Add(1))
	c := storetest.NewCounting(memDriverOf(name))
	st := stores.NewStore(c.Driver(), "mem://"+name)
	if err := st.SetMemoryTier(tier); err != nil {
		t.Fatal(err)
	}
	other := memstore.Open(name)
	t.Cleanup(func() { _ = st.Close(); _ = other.Close() })
	return st, c, other
}

func tierPut(t *testing.T, st *stores.Store, fn, hash, result string) {
	t.Helper()
	if err := st.Put(t.Context(), fn, hash, stores.Record{Result: []byte(result), Key: []byte("key-" + hash), Meta: []byte("meta")}); err != nil {
		t.Fatal(err)
	}
}

func readResult(t *testing.T, st *stores.Store, fn, hash string) string {
	t.Helper()
	rec, err := st.Read(t.Context(), fn, hash, stores.PartResult)
	if err != nil {
		t.Fatalf("Read(%s, %s): %v", fn, hash, err)
	}
	return string(rec.Result)
}

// reads returns how many reads reached the driver since the last call, and
// resets the count.
func reads(c *storetest.Counting) int64 {
	n := c.Counts().Reads
	c.Reset()
	return n
}

func TestTierHitReadsNothing(t *testing.T) {
	st, c, _ := tiered(t, stores.Tier{MaxEntries: 100, TTL: time.Hour})
	tierPut(t, st, "f", "h", "result")
	miss, err := st.Get(t.Context(), "f", "h")
	if err != nil {
		t.Fatal(err)
	}
	if n := reads(c); n != 1 {
		t.Fatalf("the first Get read the driver %d times, want 1", n)
	}
	for range 10 {
		hit, err := st.Get(t.Context(), "f", "h")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(hit.Result, miss.Result) || !bytes.Equal(hit.Key, miss.Key) || !bytes.Equal(hit.Meta, miss.Meta) || !hit.Created.Equal(miss.Created) {
			t.Fatalf("hit %+v, want what the store returned: %+v", hit, miss)
		}
	}
	if n := reads(c); n != 0 {
		t.Fatalf("10 hits read the driver %d times, want 0", n)
	}
	stats, ok := st.MemoryTierStats()
	if !ok || stats.Hits != 10 || stats.Misses != 1 || stats.Entries != 1 {
		t.Fatalf("MemoryTierStats = %+v, %v; want 10 hits, 1 miss, 1 entry", stats, ok)
	}
}

// TestTierParts: the tier answers a read of the parts it holds, reads the
// store for others, and keeps nil parts nil.
func TestTierParts(t *testing.T) {
	st, c, _ := tiered(t, stores.Tier{MaxEntries: 100, TTL: time.Hour})
	if err := st.Put(t.Context(), "f", "h", stores.Record{Result: []byte("r"), Meta: []byte("m")}); err != nil {
		t.Fatal(err)
	}
	readResult(t, st, "f", "h")
	if n := reads(c); n != 1 {
		t.Fatalf("first read: %d driver reads, want 1", n)
	}
	rec, err := st.Read(t.Context(), "f", "h", stores.PartResult|stores.PartKey)
	if err != nil {
		t.Fatal(err)
	}
	if n := reads(c); n != 1 {
		t.Fatalf("a read of a part the tier lacks: %d driver reads, want 1", n)
	}
	if rec.Key != nil || rec.Meta != nil {
		t.Fatalf("Read(result|key) = %+v, want Key and Meta nil", rec)
	}
	for _, parts := range []stores.Parts{stores.PartResult, stores.PartKey, stores.PartResult | stores.PartKey, 0} {
		rec, err := st.Read(t.Context(), "f", "h", parts)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Key != nil || rec.Meta != nil || parts.Has(stores.PartResult) != (string(rec.Result) == "r") || rec.Created.IsZero() {
			t.Fatalf("Read(%b) from the tier = %+v", parts, rec)
		}
	}
	if n := reads(c); n != 0 {
		t.Fatalf("reads of the parts the tier holds: %d driver reads, want 0", n)
	}
	rec, err = st.Get(t.Context(), "f", "h")
	if err != nil || string(rec.Meta) != "m" || rec.Key != nil {
		t.Fatalf("Get = %+v, %v", rec, err)
	}
	if n := reads(c); n != 1 {
		t.Fatalf("Get after reads without Meta: %d driver reads, want 1", n)
	}
}

func TestTierNotFoundIsNotKept(t *testing.T) {
	st, c, other := tiered(t, stores.Tier{MaxEntries: 100, TTL: time.Hour})
	for range 2 {
		if _, err := st.Get(t.Context(), "f", "h"); !errors.Is(err, stores.ErrNotFound) {
			t.Fatalf("Get of nothing: %v, want ErrNotFound", err)
		}
	}
	if n := reads(c); n != 2 {
		t.Fatalf("two reads of nothing reached the driver %d times, want 2", n)
	}
	tierPut(t, other, "f", "h", "theirs")
	if got := readResult(t, st, "f", "h"); got != "theirs" {
		t.Fatalf("Read after another handle's Put = %q", got)
	}
}

func TestTierBoundEntries(t *testing.T) {
	st, c, _ := tiered(t, stores.Tier{MaxEntries: 3, TTL: time.Hour})
	for i := range 5 {
		h := fmt.Sprint("h", i)
		tierPut(t, st, "f", h, h)
		readResult(t, st, "f", h)
	}
	stats, _ := st.MemoryTierStats()
	if stats.Entries != 3 || stats.Evictions != 2 {
		t.Fatalf("after 5 fills of a tier of 3: %+v", stats)
	}
	c.Reset()
	for i := range 5 {
		readResult(t, st, "f", fmt.Sprint("h", i))
	}
	if n := reads(c); n < 2 {
		t.Fatalf("5 reads of a tier of 3 read the driver %d times, want at least 2", n)
	}
}

func TestTierBoundBytes(t *testing.T) {
	probe, _, _ := tiered(t, stores.Tier{MaxEntries: 10})
	result := string(bytes.Repeat([]byte("x"), 1000))
	tierPut(t, probe, "f", "h0", result)
	readResult(t, probe, "f", "h0")
	one, _ := probe.MemoryTierStats()
	if one.Bytes < 1000 {
		t.Fatalf("an entry of 1000 bytes counts %d", one.Bytes)
	}

	st, c, _ := tiered(t, stores.Tier{MaxBytes: 3*one.Bytes + one.Bytes/2, TTL: time.Hour})
	for i := range 5 {
		h := fmt.Sprint("h", i)
		tierPut(t, st, "f", h, result)
		readResult(t, st, "f", h)
		stats, _ := st.MemoryTierStats()
		if stats.Bytes > 3*one.Bytes+one.Bytes/2 || stats.Entries != int64(min(i+1, 3)) {
			t.Fatalf("after %d fills: %+v, want at most %d bytes in 3 entries", i+1, stats, 3*one.Bytes+one.Bytes/2)
		}
	}
	// A record larger than the tier is read through, never kept.
	tierPut(t, st, "f", "big", string(bytes.Repeat([]byte("x"), int(4*one.Bytes))))
	c.Reset()
	for range 2 {
		readResult(t, st, "f", "big")
	}
	if n := reads(c); n != 2 {
		t.Fatalf("two reads of a record larger than the tier: %d driver reads, want 2", n)
	}
}

// TestTierLRU: the entry used least recently goes first, not the oldest.
func TestTierLRU(t *testing.T) {
	st, c, _ := tiered(t, stores.Tier{MaxEntries: 3, TTL: time.Hour})
	for _, h := range []string{"a", "b", "c"} {
		tierPut(t, st, "f", h, h)
		readResult(t, st, "f", h)
	}
	readResult(t, st, "f", "a") // a is now used more recently than b
	tierPut(t, st, "f", "d", "d")
	readResult(t, st, "f", "d") // evicts b
	c.Reset()
	for _, h := range []string{"a", "c", "d"} {
		readResult(t, st, "f", h)
	}
	if n := reads(c); n != 0 {
		t.Fatalf("reads of the 3 entries kept: %d driver reads, want 0", n)
	}
	readResult(t, st, "f", "b")
	if n := reads(c); n != 1 {
		t.Fatalf("a read of the entry used least recently: %d driver reads, want 1", n)
	}
}

// TestTierTTL: another handle's write is not seen within the TTL and is
// once it has passed.
func TestTierTTL(t *testing.T) {
	for _, ttl := range []time.Duration{time.Hour, 20 * time.Millisecond} {
		st, c, other := tiered(t, stores.Tier{MaxEntries: 10, TTL: ttl})
		tierPut(t, st, "f", "h", "old")
		readResult(t, st, "f", "h")
		tierPut(t, other, "f", "h", "new")
		if ttl == time.Hour {
			if got := readResult(t, st, "f", "h"); got != "old" {
				t.Fatalf("within the TTL: %q, want the tier's %q", got, "old")
			}
			if n := reads(c); n != 1 {
				t.Fatalf("within the TTL: %d driver reads, want 1 (the fill)", n)
			}
			continue
		}
		time.Sleep(2 * ttl)
		c.Reset()
		if got := readResult(t, st, "f", "h"); got != "new" {
			t.Fatalf("after the TTL: %q, want the store's %q", got, "new")
		}
		if n := reads(c); n != 1 {
			t.Fatalf("after the TTL: %d driver reads, want 1", n)
		}
	}
}

func TestTierDefaultTTL(t *testing.T) {
	if stores.DefaultTierTTL <= 0 {
		t.Fatal("DefaultTierTTL is not positive")
	}
	st, c, other := tiered(t, stores.Tier{MaxEntries: 10, TTL: stores.NoExpiry})
	tierPut(t, st, "f", "h", "old")
	readResult(t, st, "f", "h")
	tierPut(t, other, "f", "h", "new")
	time.Sleep(10 * time.Millisecond)
	c.Reset()
	if got := readResult(t, st, "f", "h"); got != "old" || reads(c) != 0 {
		t.Fatalf("NoExpiry: %q, want the tier's %q without a driver read", got, "old")
	}
}

func TestTierInvalidates(t *testing.T) {
	st, c, _ := tiered(t, stores.Tier{MaxEntries: 100, TTL: time.Hour})
	tierPut(t, st, "f", "h", "one")
	tierPut(t, st, "f", "h2", "two")
	tierPut(t, st, "g", "h", "other function")
	for _, k := range [][2]string{{"f", "h"}, {"f", "h2"}, {"g", "h"}} {
		readResult(t, st, k[0], k[1])
	}

	tierPut(t, st, "f", "h", "replaced")
	if got := readResult(t, st, "f", "h"); got != "replaced" {
		t.Fatalf("Read after Put = %q", got)
	}

	if err := st.Delete(t.Context(), "f", "h"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Read(t.Context(), "f", "h", stores.PartResult); !errors.Is(err, stores.ErrNotFound) {
		t.Fatalf("Read after Delete: %v, want ErrNotFound", err)
	}

	if err := st.Clear(t.Context(), "f"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Read(t.Context(), "f", "h2", stores.PartResult); !errors.Is(err, stores.ErrNotFound) {
		t.Fatalf("Read after Clear: %v, want ErrNotFound", err)
	}
	c.Reset()
	if got := readResult(t, st, "g", "h"); got != "other function" || reads(c) != 0 {
		t.Fatalf("Clear of f changed g's entry in the tier: %q", got)
	}
}

// TestTierFailedPutInvalidates: a write that failed may have changed the
// record, so the tier forgets it.
func TestTierFailedPutInvalidates(t *testing.T) {
	st, c, _ := tiered(t, stores.Tier{MaxEntries: 100, TTL: time.Hour})
	tierPut(t, st, "f", "h", "one")
	readResult(t, st, "f", "h")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := st.Put(ctx, "f", "h", stores.Record{Result: []byte("two")}); err == nil {
		t.Fatal("Put with a cancelled context succeeded")
	}
	// A refused call changed nothing: the tier still answers.
	c.Reset()
	if got := readResult(t, st, "f", "h"); got != "one" || reads(c) != 0 {
		t.Fatalf("after a refused Put: %q", got)
	}
}

// TestTierNoAliasing: what a read returns is the caller's alone.
func TestTierNoAliasing(t *testing.T) {
	st, _, _ := tiered(t, stores.Tier{MaxEntries: 100, TTL: time.Hour})
	tierPut(t, st, "f", "h", "result")
	first, err := st.Get(t.Context(), "f", "h") // the fill
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		rec, err := st.Get(t.Context(), "f", "h")
		if err != nil {
			t.Fatal(err)
		}
		if string(rec.Result) != "result" || string(rec.Key) != "key-h" || string(rec.Meta) != "meta" {
			t.Fatalf("round %d: %q %q %q after the caller changed an earlier read", round, rec.Result, rec.Key, rec.Meta)
		}
		if cap(rec.Result) != len(rec.Result) || cap(rec.Key) != len(rec.Key) {
			t.Fatalf("round %d: a part's capacity reaches past it: an append would write over the next", round)
		}
		for _, b := range [][]byte{first.Result, first.Key, first.Meta, rec.Result, rec.Key, rec.Meta} {
			for i := range b {
				b[i] = '!'
			}
		}
		_ = append(rec.Result, "XXXX"...)
	}
}

// TestTierConcurrent: a read that races with a Put never leaves the old
// record in the tier: after its Put, a writer reads what it wrote.
func TestTierConcurrent(t *testing.T) {
	st, _, _ := tiered(t, stores.Tier{MaxEntries: 6, TTL: time.Hour})
	const keys, rounds = 4, 300
	var writers, readers sync.WaitGroup
	stop := make(chan struct{})
	for k := range keys {
		h := fmt.Sprint("h", k)
		tierPut(t, st, "f", h, h+"/0")
		writers.Go(func() { // the one writer of h
			for i := 1; i <= rounds; i++ {
				want := fmt.Sprintf("%s/%d", h, i)
				if err := st.Put(context.Background(), "f", h, stores.Record{Result: []byte(want)}); err != nil {
					t.Error(err)
					return
				}
				rec, err := st.Read(context.Background(), "f", h, stores.PartResult)
				if err != nil || string(rec.Result) != want {
					t.Errorf("after Put(%s): %q, %v", want, rec.Result, err)
					return
				}
			}
		})
	}
	for range 4 {
		readers.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				h := fmt.Sprint("h", i%(keys+2)) // and two keys of nothing
				rec, err := st.Read(context.Background(), "f", h, stores.PartResult)
				if err != nil && !errors.Is(err, stores.ErrNotFound) {
					t.Error(err)
					return
				}
				if err == nil && !bytes.HasPrefix(rec.Result, []byte(h+"/")) {
					t.Errorf("Read(%s) = %q", h, rec.Result)
					return
				}
				if i%50 == 0 {
					_ = st.Delete(context.Background(), "f", "h5")
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	readers.Wait()
	for k := range keys {
		want := fmt.Sprintf("h%d/%d", k, rounds)
		if got := readResult(t, st, "f", fmt.Sprint("h", k)); got != want {
			t.Errorf("at the end: %q, want %q", got, want)
		}
	}
}

// TestTierEntriesDoesNotFill: a walk over every record leaves the tier to
// the calls.
func TestTierEntriesDoesNotFill(t *testing.T) {
	st, _, _ := tiered(t, stores.Tier{MaxEntries: 100, TTL: time.Hour})
	for i := range 5 {
		tierPut(t, st, "f", fmt.Sprint("h", i), "r")
	}
	n := 0
	for e, err := range st.Entries(t.Context(), "f", stores.PartResult) {
		if err != nil || string(e.Result) != "r" {
			t.Fatalf("Entries: %+v, %v", e, err)
		}
		n++
	}
	stats, _ := st.MemoryTierStats()
	if n != 5 || stats.Entries != 0 {
		t.Fatalf("Entries walked %d records and left %d in the tier, want 5 and 0", n, stats.Entries)
	}
}

func TestSetMemoryTier(t *testing.T) {
	st := stores.NewStore(memDriver(t), "mem://set-tier")
	defer st.Close()
	if _, ok := st.MemoryTierStats(); ok {
		t.Fatal("a new store has a memory tier")
	}
	for _, bad := range []stores.Tier{{MaxBytes: -1}, {MaxEntries: -1}} {
		if err := st.SetMemoryTier(bad); err == nil {
			t.Errorf("SetMemoryTier(%+v) succeeded", bad)
		}
	}
	if err := st.SetMemoryTier(stores.Tier{MaxBytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.MemoryTierStats(); !ok {
		t.Fatal("no tier after SetMemoryTier")
	}
	if err := st.SetMemoryTier(stores.Tier{TTL: time.Second}); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.MemoryTierStats(); ok {
		t.Fatal("a tier without bounds was kept")
	}
}

func TestTierURLOptions(t *testing.T) {
	ctx := t.Context()
	for _, q := range []string{"memory=1MiB", "memory_entries=10", "memory=64MiB&memory_entries=1000&memory_ttl=2s", "memory_entries=5&memory_ttl=forever"} {
		url := fmt.Sprintf("mem://tier-url-%d?%s", spaces.Add(1), q)
		st, err := stores.Open(ctx, url)
		if err != nil {
			t.Fatalf("Open(%q): %v", url, err)
		}
		if _, ok := st.MemoryTierStats(); !ok {
			t.Errorf("Open(%q): no memory tier", url)
		}
		_ = st.Close()
	}
	// The options are the portable store's: a driver, such as the file
	// store's, which refuses options it does not know, never sees them.
	// (The file scheme of this package's tests records the URL it got.)
	st, err := stores.Open(ctx, "file:///tmp/tier-url?sync=false&memory=1MiB&memory_ttl=1s&memory_entries=9")
	if err != nil {
		t.Fatal(err)
	}
	if u := <-openedFile; u.RawQuery != "sync=false" {
		t.Errorf("the driver got the query %q, want sync=false", u.RawQuery)
	}
	if _, ok := st.MemoryTierStats(); !ok {
		t.Error("file store: no memory tier")
	}
	_ = st.Close()
	st, err = stores.Open(ctx, "mem://tier-url-none")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.MemoryTierStats(); ok {
		t.Error("a URL without the options has a memory tier")
	}
	_ = st.Close()

	for _, q := range []string{
		"memory=", "memory=lots", "memory=0", "memory=-5MiB", "memory=1MiB&memory=2MiB",
		"memory_entries=0", "memory_entries=-1", "memory_entries=ten", "memory_entries=1.5",
		"memory=1MiB&memory_ttl=0", "memory=1MiB&memory_ttl=-1s", "memory=1MiB&memory_ttl=soon", "memory_ttl=1s",
	} {
		url := "mem://tier-url-bad?" + q
		if st, err := stores.Open(ctx, url); err == nil {
			_ = st.Close()
			t.Errorf("Open(%q) succeeded", url)
		} else if !errors.As(err, new(*stores.OpError)) {
			t.Errorf("Open(%q): %T %v, want an *OpError", url, err, err)
		}
	}
}

// TestTierConformance runs the conformance suite on a memory store with a
// tier. (The file store's, with a tier, is in the root package's tests:
// this package's tests register a file scheme of their own.)
func TestTierConformance(t *testing.T) {
	name := fmt.Sprintf("tier-conformance-%d", spaces.Add(1))
	storetest.Run(t, func(t *testing.T) *stores.Store {
		st, err := stores.Open(t.Context(), "mem://"+name+"?memory=8MiB&memory_entries=1000")
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

// tierQuery is the query that the tier-fuzz scheme's last open was given.
var tierQuery atomic.Pointer[string]

func init() {
	stores.Register("tier-fuzz", func(_ context.Context, u *url.URL) (driver.Store, error) {
		q := u.RawQuery
		tierQuery.Store(&q)
		return memDriverOf("tier-fuzz"), nil
	})
}

// FuzzTierOptions: a URL's query either opens a store, whose driver got the
// query without the tier's options and which has a tier exactly when memory
// or memory_entries was given, or fails with an *OpError.
func FuzzTierOptions(f *testing.F) {
	for _, q := range []string{"memory=64MiB", "memory_entries=10&memory_ttl=1s", "memory=1GB&memory_ttl=forever&other=x",
		"memory=0", "memory_ttl=5s", "memory=1MiB&memory=2MiB", "memory=%zz", "memory=1MiB&x=%zz", "a=b&memory_entries=99999999999999999999"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		raw := "tier-fuzz://x?" + query
		u, err := url.Parse(raw)
		if err != nil {
			t.Skip()
		}
		want := u.Query()
		if want.Has("max_size") || want.Has("max_entries") {
			t.Skip() // the budget's options, tested with the budget
		}
		tierQuery.Store(nil)
		st, err := stores.Open(t.Context(), raw)
		if err != nil {
			if !errors.As(err, new(*stores.OpError)) {
				t.Fatalf("Open(%q): %T %v, want an *OpError", raw, err, err)
			}
			return
		}
		defer st.Close()
		_, hasTier := st.MemoryTierStats()
		if hasTier != (want.Has("memory") || want.Has("memory_entries")) {
			t.Fatalf("Open(%q): a memory tier: %v", raw, hasTier)
		}
		if !hasTier {
			if got := *tierQuery.Load(); got != u.RawQuery {
				t.Fatalf("Open(%q): the driver got the query %q, want it as it was", raw, got)
			}
			return
		}
		got, err := url.ParseQuery(*tierQuery.Load())
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"memory", "memory_entries", "memory_ttl"} {
			if got.Has(name) {
				t.Fatalf("Open(%q): the driver got %s", raw, name)
			}
			want.Del(name)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Open(%q): the driver got %v, want %v", raw, got, want)
		}
	})
}

// TestTierBudget: the records a budget removes leave the tier too.
func TestTierBudget(t *testing.T) {
	st, err := stores.Open(t.Context(), fmt.Sprintf("mem://tier-budget-%d?max_entries=2&memory_entries=100&memory_ttl=1h", spaces.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := range 3 {
		h := fmt.Sprint("h", i)
		tierPut(t, st, "f", h, h)
		// In the tier until the budget removes it, which it may do at once.
		_, _ = st.Read(t.Context(), "f", h, stores.PartResult)
	}
	kept := map[string]bool{}
	for m, err := range st.ListAll(t.Context(), "f") {
		if err != nil {
			t.Fatal(err)
		}
		kept[m.Hash] = true
	}
	if len(kept) == 3 {
		t.Fatal("the budget removed nothing")
	}
	for i := range 3 {
		h := fmt.Sprint("h", i)
		_, err := st.Read(t.Context(), "f", h, stores.PartResult)
		if kept[h] != (err == nil) || !kept[h] && !errors.Is(err, stores.ErrNotFound) {
			t.Errorf("Read(%s) = %v; the store keeps it: %v", h, err, kept[h])
		}
	}
}

func TestTierCloseDropsIt(t *testing.T) {
	st, _, _ := tiered(t, stores.Tier{MaxEntries: 10})
	tierPut(t, st, "f", "h", "r")
	readResult(t, st, "f", "h")
	_ = st.Close()
	if _, ok := st.MemoryTierStats(); ok {
		t.Error("a closed store still has its memory tier")
	}
	if _, err := st.Read(t.Context(), "f", "h", stores.PartResult); !errors.Is(err, stores.ErrClosed) {
		t.Errorf("Read after Close: %v, want ErrClosed", err)
	}
}

// TestTierTTLCoarse is TestTierTTL for a TTL long enough that hits read the
// tier's ticking clock, not the system's: the entry still expires.
func TestTierTTLCoarse(t *testing.T) {
	const ttl = time.Second
	st, c, other := tiered(t, stores.Tier{MaxEntries: 10, TTL: ttl})
	tierPut(t, st, "f", "h", "old")
	readResult(t, st, "f", "h")
	tierPut(t, other, "f", "h", "new")
	deadline := time.Now().Add(ttl + 500*time.Millisecond)
	for time.Now().Before(deadline) { // hits keep the clock ticking
		if got := readResult(t, st, "f", "h"); got == "new" {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.Reset()
	if got := readResult(t, st, "f", "h"); got != "new" {
		t.Fatalf("half a second after the TTL: %q, want the store's %q", got, "new")
	}
	if reads(c) != 0 {
		t.Fatal("the entry read again from the store did not fill the tier")
	}
}
