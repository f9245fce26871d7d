package redisstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/gopersist/persist/stores"
)

// randomBytes returns n bytes that differ with seed.
func randomBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{seed}).Read(b) // ChaCha8.Read never fails
	return b
}

// chunkKeys counts the chunk keys of fn that are permanent, those of
// committed records; the chunks of replaced records expire.
func chunkKeys(t *testing.T, st *stores.Store, fn string) int {
	t.Helper()
	d := testDriver(t, st)
	n := 0
	for _, k := range keysMatching(t, d, d.keys(fn).chunkPrefix()+"*") {
		switch ttl := d.c.PTTL(t.Context(), k).Val(); {
		case ttl == -1:
			n++
		case ttl > replacedGrace:
			t.Errorf("chunk %s expires in %v, later than a replaced chunk", k, ttl)
		}
	}
	return n
}

// keysMatching lists the keys matching pattern on every node.
func keysMatching(t *testing.T, d *redisDriver, pattern string) []string {
	t.Helper()
	var keys []string
	collect := func(ctx context.Context, c *redis.Client) error {
		ks, err := c.Keys(ctx, pattern).Result()
		keys = append(keys, ks...)
		return err
	}
	var err error
	switch c := d.c.(type) {
	case *redis.ClusterClient:
		var mu sync.Mutex
		err = c.ForEachMaster(t.Context(), func(ctx context.Context, c *redis.Client) error {
			mu.Lock()
			defer mu.Unlock()
			return collect(ctx, c)
		})
	case *redis.Client:
		err = collect(t.Context(), c)
	}
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestChunks round-trips a 40 MiB result and a 3 MiB key in chunks of
// 1 MiB, reads parts alone, and checks that replacing, deleting and
// clearing leave no chunk behind.
func TestChunks(t *testing.T) {
	for name, base := range map[string]string{"single": needServer(t), "cluster": needCluster(t)} {
		t.Run(name, func(t *testing.T) {
			st := openStore(t, withOptions(t, base, "chunk", "1MiB"))
			ctx := t.Context()
			fn := "chunks_" + newToken()
			defer st.Clear(context.Background(), fn)
			big := stores.Record{Result: randomBytes(40<<20, 1), Key: randomBytes(3<<20+5, 2), Meta: []byte("small")}
			if err := st.Put(ctx, fn, "big", big); err != nil {
				t.Fatal(err)
			}
			if n := chunkKeys(t, st, fn); n != 40+4 {
				t.Errorf("%d chunk keys, want 44", n)
			}
			got, err := st.Get(ctx, fn, "big")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Result, big.Result) || !bytes.Equal(got.Key, big.Key) || string(got.Meta) != "small" {
				t.Fatalf("Get of a chunked record: %d, %d, %q bytes; want %d, %d, %q",
					len(got.Result), len(got.Key), got.Meta, len(big.Result), len(big.Key), big.Meta)
			}
			if got, err := st.Read(ctx, fn, "big", stores.PartKey); err != nil || !bytes.Equal(got.Key, big.Key) || got.Result != nil {
				t.Errorf("Read(PartKey): key %d bytes, result %d bytes, %v", len(got.Key), len(got.Result), err)
			}
			page, _, err := st.List(ctx, fn, "", 10)
			if err != nil || len(page) != 1 || page[0].Size != int64(len(big.Result)+len(big.Key)+len(big.Meta)) {
				t.Errorf("List = %+v, %v", page, err)
			}

			// Replaced by another chunked record, then a small one.
			other := stores.Record{Result: randomBytes(3<<20, 3)}
			if err := st.Put(ctx, fn, "big", other); err != nil {
				t.Fatal(err)
			}
			if n := chunkKeys(t, st, fn); n != 3 {
				t.Errorf("after replacing: %d permanent chunk keys, want 3", n)
			}
			if got, err := st.Get(ctx, fn, "big"); err != nil || !bytes.Equal(got.Result, other.Result) || got.Key != nil {
				t.Errorf("Get after replacing: %d bytes, key %d bytes, %v", len(got.Result), len(got.Key), err)
			}
			if err := st.Put(ctx, fn, "big", stores.Record{Result: []byte("small")}); err != nil {
				t.Fatal(err)
			}
			if n := chunkKeys(t, st, fn); n != 0 {
				t.Errorf("after replacing by a small record: %d chunk keys, want 0", n)
			}
			// Delete and Clear remove chunks.
			for _, h := range []string{"a", "b", "c"} {
				if err := st.Put(ctx, fn, h, stores.Record{Result: randomBytes(2<<20+1, 4)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.Delete(ctx, fn, "a"); err != nil {
				t.Fatal(err)
			}
			if n := chunkKeys(t, st, fn); n != 6 {
				t.Errorf("after Delete: %d chunk keys, want 6", n)
			}
			if err := st.Clear(ctx, fn); err != nil {
				t.Fatal(err)
			}
			if n := chunkKeys(t, st, fn); n != 0 {
				t.Errorf("after Clear: %d chunk keys, want 0", n)
			}
		})
	}
}

// TestChunksReplacedWhileRead has readers read a chunked record while
// writers replace it over and over: every read returns one of the records
// written, whole.
func TestChunksReplacedWhileRead(t *testing.T) {
	st := openStore(t, withOptions(t, needServer(t), "chunk", "16KiB"))
	fn := "chunks_race_" + newToken()
	defer st.Clear(context.Background(), fn)
	versions := make([][]byte, 4)
	for i := range versions {
		versions[i] = randomBytes(256<<10+i, byte(10+i))
	}
	if err := st.Put(t.Context(), fn, "h", stores.Record{Result: versions[0]}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 2 {
		wg.Go(func() {
			for i := range 30 {
				if err := st.Put(t.Context(), fn, "h", stores.Record{Result: versions[(w+i)%len(versions)]}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for range 30 {
				rec, err := st.Get(t.Context(), fn, "h")
				if err != nil {
					errs <- err
					return
				}
				found := false
				for _, v := range versions {
					found = found || bytes.Equal(rec.Result, v)
				}
				if !found {
					errs <- fmt.Errorf("Get returned %d bytes that no writer wrote", len(rec.Result))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := chunkKeys(t, st, fn); n != 17 {
		t.Errorf("%d chunk keys left, want the 17 of the last record", n)
	}
}

// TestTooLarge checks that a record over maxrecord= is refused, and one at
// the limit kept.
func TestTooLarge(t *testing.T) {
	st := openStore(t, withOptions(t, needServer(t), "maxrecord", "1MiB"))
	fn := "too_large_" + newToken()
	defer st.Clear(context.Background(), fn)
	err := st.Put(t.Context(), fn, "h", stores.Record{Result: make([]byte, 1<<20), Key: []byte("k")})
	if !errors.Is(err, stores.ErrTooLarge) {
		t.Errorf("Put of 1 MiB + 1: err = %v, want ErrTooLarge", err)
	}
	if _, err := st.Get(t.Context(), fn, "h"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Get after a refused Put: err = %v, want ErrNotFound", err)
	}
	if err := st.Put(t.Context(), fn, "h", stores.Record{Result: make([]byte, 1<<20)}); err != nil {
		t.Errorf("Put of 1 MiB: %v", err)
	}
}

// TestCommitRefusesMissingChunks checks that the commit script changes
// nothing when a chunk it would point to is gone (its staging expired).
func TestCommitRefusesMissingChunks(t *testing.T) {
	st := openStore(t, needServer(t))
	d := testDriver(t, st)
	fn := "missing_chunks_" + newToken()
	defer st.Clear(context.Background(), fn)
	if err := st.Put(t.Context(), fn, "h", stores.Record{Result: []byte("old")}); err != nil {
		t.Fatal(err)
	}
	k := d.keys(fn)
	gen := newToken()
	if err := d.c.Set(t.Context(), k.chunk(gen, 0), "part", stagingTTL).Err(); err != nil {
		t.Fatal(err)
	}
	ok, err := commitScript.Run(t.Context(), d.c, []string{k.record("h"), k.index(), k.metas(), k.expiries()},
		"h", 8, k.chunkPrefix(), 1000, 0, k.recordPrefix(), "rc", gen+" 2 8").Int()
	if err != nil || ok != 0 {
		t.Fatalf("commit with a chunk missing = %d, %v; want 0", ok, err)
	}
	if rec, err := st.Get(t.Context(), fn, "h"); err != nil || string(rec.Result) != "old" {
		t.Errorf("Get after a refused commit = %q, %v; want the old record", rec.Result, err)
	}
}
