package redisstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	persist "github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
)

// TestExpiry checks that a record written with Expires leaves Redis after
// it, chunks, index and listing entries and all, while records without
// one, and a record rewritten without one, stay.
func TestExpiry(t *testing.T) {
	for name, base := range map[string]string{"single": needServer(t), "cluster": needCluster(t)} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := openStore(t, withOptions(t, base, "chunk=1KiB"))
			d := testDriver(t, st)
			fn := "expiry_" + newToken()
			t.Cleanup(func() { _ = st.Clear(context.Background(), fn) })
			ctx := t.Context()
			const life = 500 * time.Millisecond
			soon := time.Now().Add(life)
			big := randomBytes(300<<10, 1) // past InlineMax: chunked
			puts := []struct {
				hash    string
				result  []byte
				expires time.Time
			}{
				{"soon", []byte("small"), soon},
				{"soon_big", big, soon},
				{"kept", []byte("kept"), time.Time{}},
				{"rewritten", []byte("first"), soon},
				{"rewritten", []byte("second"), time.Time{}},
			}
			for _, p := range puts {
				if err := st.Put(ctx, fn, p.hash, stores.Record{Result: p.result, Expires: p.expires}); err != nil {
					t.Fatalf("Put(%s): %v", p.hash, err)
				}
			}
			k := d.keys(fn)
			if ttl := d.c.PTTL(ctx, k.record("soon")).Val(); ttl <= 0 || ttl > life {
				t.Errorf("the record with Expires has a time to live of %v, want (0, %v]", ttl, life)
			}
			if ttl := d.c.PTTL(ctx, k.record("rewritten")).Val(); ttl != -1 {
				t.Errorf("the record rewritten without Expires has a time to live of %v, want none (-1)", ttl)
			}
			if rec, err := st.Get(ctx, fn, "soon_big"); err != nil || !bytes.Equal(rec.Result, big) {
				t.Fatalf("Get of the chunked record before it expires: %d bytes, %v", len(rec.Result), err)
			}
			if n, err := st.Len(ctx, fn); err != nil || n != 4 {
				t.Fatalf("Len before the expiry = %d, %v; want 4", n, err)
			}

			// Poll: Redis expires keys on its own schedule.
			deadline := time.Now().Add(20 * time.Second)
			for {
				n, err := st.Len(ctx, fn)
				if err != nil {
					t.Fatal(err)
				}
				if n == 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("Len = %d 20 s after the records' expiry, want 2", n)
				}
				time.Sleep(50 * time.Millisecond)
			}
			for _, h := range []string{"soon", "soon_big"} {
				if _, err := st.Get(ctx, fn, h); !errors.Is(err, stores.ErrNotFound) {
					t.Errorf("Get(%s) after its expiry: %v, want ErrNotFound", h, err)
				}
			}
			hashes := listHashes(t, st, fn)
			if want := []string{"kept", "rewritten"}; !slices.Equal(hashes, want) {
				t.Errorf("List after the expiry = %v, want %v", hashes, want)
			}
			if rec, err := st.Get(ctx, fn, "rewritten"); err != nil || string(rec.Result) != "second" {
				t.Errorf("Get(rewritten) = %q, %v; want the permanent second record", rec.Result, err)
			}
			// Nothing of the expired records is left: no chunk, no listing
			// or expiry entry.
			c := d.c
			if n := len(keysMatching(t, d, k.chunkPrefix()+"*")); n != 0 {
				t.Errorf("%d chunk keys are left after the chunked record expired", n)
			}
			if n := c.HLen(ctx, k.metas()).Val(); n != 2 {
				t.Errorf("the listing hash has %d entries, want 2", n)
			}
			if n := c.ZCard(ctx, k.expiries()).Val(); n != 0 {
				t.Errorf("the expiry set has %d entries, want 0", n)
			}
		})
	}
}

// TestMaxAgeExpires checks that a memo's MaxAge, with its grace, becomes
// the Redis expiry of the entries it writes.
func TestMaxAgeExpires(t *testing.T) {
	st := openStore(t, needServer(t))
	d := testDriver(t, st)
	const maxAge, grace = 3 * time.Second, 2 * time.Second
	fn := "max_age_" + newToken()
	t.Cleanup(func() { _ = st.Clear(context.Background(), fn) })
	f, memo, err := persist.Wrap(func(x int) int { return 2 * x },
		persist.Options{Store: st, FuncName: fn, MaxAge: maxAge, StaleWhileRefresh: grace})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	f(21)
	hashes := listHashes(t, st, fn)
	if len(hashes) != 1 {
		t.Fatalf("List after one miss: %v, want one entry", hashes)
	}
	ttl := d.c.PTTL(t.Context(), d.keys(fn).record(hashes[0])).Val()
	if ttl <= maxAge || ttl > maxAge+grace {
		t.Errorf("the entry's Redis time to live is %v, want (%v, %v]", ttl, maxAge, maxAge+grace)
	}
}

// listHashes lists the hashes of fn's records.
func listHashes(t *testing.T, st *stores.Store, fn string) []string {
	t.Helper()
	var hashes []string
	for m, err := range st.ListAll(t.Context(), fn) {
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, m.Hash)
	}
	return hashes
}

// TestExpiryOfManyAtOnce checks that when more records expire together
// than one sweep removes (100), Len and List still show none of them.
func TestExpiryOfManyAtOnce(t *testing.T) {
	st := openStore(t, needServer(t))
	d := testDriver(t, st)
	fn := "sweep100_" + newToken()
	t.Cleanup(func() { _ = st.Clear(context.Background(), fn) })
	ctx := t.Context()
	soon := time.Now().Add(200 * time.Millisecond)
	for i := range 150 {
		if err := st.Put(ctx, fn, fmt.Sprintf("h%03d", i), stores.Record{Result: []byte("x"), Expires: soon}); err != nil {
			t.Fatal(err)
		}
	}
	k := d.keys(fn)
	deadline := time.Now().Add(20 * time.Second)
	for {
		left := 0
		for i := range 150 {
			left += int(d.c.Exists(ctx, k.record(fmt.Sprintf("h%03d", i))).Val())
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d records still in Redis", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
	n, err := st.Len(ctx, fn)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("Len = %d once Redis dropped all 150 records, want 0", n)
	}
	if h := listHashes(t, st, fn); len(h) != 0 {
		t.Errorf("List shows %d records Redis has dropped", len(h))
	}
}

// TestMaxAgeForever checks that the largest MaxAge, "for ever", with a
// grace (their sum overflows) sets no expiry: the entry is a hit.
func TestMaxAgeForever(t *testing.T) {
	st := openStore(t, needServer(t))
	fn := "max_age_overflow_" + newToken()
	t.Cleanup(func() { _ = st.Clear(context.Background(), fn) })
	var calls int
	f, memo, err := persist.Wrap(func(x int) int { calls++; return 2 * x },
		persist.Options{Store: st, FuncName: fn, MaxAge: time.Duration(math.MaxInt64), StaleWhileRefresh: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	f(21)
	time.Sleep(20 * time.Millisecond)
	f(21)
	if calls != 1 {
		t.Errorf("the function ran %d times for one key under MaxAge=forever, want once", calls)
	}
}

// TestChunkEvicted checks that a record whose chunk is gone for good
// (evicted under a maxmemory policy, say) while the record still names
// it reads as not found, a miss, not as a failing store.
func TestChunkEvicted(t *testing.T) {
	st := openStore(t, withOptions(t, needServer(t), "chunk=1KiB"))
	d := testDriver(t, st)
	fn := "chunk_evicted_" + newToken()
	t.Cleanup(func() { _ = st.Clear(context.Background(), fn) })
	ctx := t.Context()
	if err := st.Put(ctx, fn, "h", stores.Record{Result: randomBytes(300<<10, 2)}); err != nil {
		t.Fatal(err)
	}
	chunks := keysMatching(t, d, d.keys(fn).chunkPrefix()+"*")
	if len(chunks) == 0 {
		t.Fatal("the record has no chunks")
	}
	if err := d.c.Del(ctx, chunks[len(chunks)/2]).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, fn, "h"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Get of a record with a chunk gone: %v, want ErrNotFound", err)
	}
}
