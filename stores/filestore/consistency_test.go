//go:build unix

package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// pairedRecord is a record whose three fields name each other, so a reader
// can tell a record from a mix of two: the result and meta both embed the
// key, and a keyless record says so.
func pairedRecord(writer, i int) stores.Record {
	if i%3 == 2 {
		return stores.Record{Result: fmt.Appendf(nil, "result of no key %d-%d", writer, i)}
	}
	key := fmt.Sprintf("key %d-%d", writer, i)
	rec := stores.Record{Result: []byte("result of " + key), Key: []byte(key)}
	if i%2 == 0 {
		rec.Meta = []byte("meta of " + key)
	}
	return rec
}

// checkPaired reports how rec is not one pairedRecord.
func checkPaired(rec stores.Record) error {
	res := string(rec.Result)
	switch {
	case rec.Key == nil && rec.Meta == nil && strings.HasPrefix(res, "result of no key "):
		return nil
	case rec.Key == nil:
		return fmt.Errorf("keyless record %q with meta %q", res, rec.Meta)
	case res != "result of "+string(rec.Key):
		return fmt.Errorf("key %q paired with result %q", rec.Key, res)
	case rec.Meta != nil && string(rec.Meta) != "meta of "+string(rec.Key):
		return fmt.Errorf("key %q paired with meta %q", rec.Key, rec.Meta)
	}
	return nil
}

// TestReadersNeverSeeMixedRecords overwrites one hash with records of
// different keys, from writers on separate handles (half of the time
// through the record's lock), while readers check
// every record they get. A reader may miss; it must never get the result
// of one Put with the key or meta of another.
func TestReadersNeverSeeMixedRecords(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	const writers, puts = 2, 200
	var stop atomic.Bool
	var hits, misses atomic.Int64
	var readers, wg sync.WaitGroup
	for range 2 {
		r := reopen(t, s)
		readers.Add(1)
		go func() {
			defer readers.Done()
			for !stop.Load() {
				for _, read := range []func() (stores.Record, error){
					func() (stores.Record, error) { return r.Get(ctx, "f", "h") },
					func() (stores.Record, error) {
						for e, err := range r.Entries(ctx, "f", stores.AllParts) {
							return e.Record, err
						}
						return stores.Record{}, stores.ErrNotFound
					},
				} {
					rec, err := read()
					if errors.Is(err, stores.ErrNotFound) {
						misses.Add(1)
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					hits.Add(1)
					if err := checkPaired(rec); err != nil {
						t.Error(err)
						stop.Store(true)
					}
				}
			}
		}()
	}
	for w := range writers {
		wr := reopen(t, s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range puts {
				// Every other Put is made under the record's lock, and so
				// writes the result through the lock file.
				unlock := func() {}
				if i%2 == 1 {
					var err error
					if unlock, err = wr.Lock(ctx, "f", "h"); err != nil {
						t.Error(err)
						return
					}
				}
				err := wr.Put(ctx, "f", "h", pairedRecord(w, i))
				unlock()
				if err != nil {
					t.Error(err)
					return
				}
				if i%50 == 49 {
					// Deletes and Clears interleave with the Puts too.
					if err := wr.Delete(ctx, "f", "h"); err != nil && !errors.Is(err, stores.ErrNotFound) {
						t.Error(err)
					}
				}
				if i%100 == 99 {
					if err := wr.Clear(ctx, "f"); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	readers.Wait()
	// The last record standing is whole too.
	if rec, err := s.Get(ctx, "f", "h"); err == nil {
		if err := checkPaired(rec); err != nil {
			t.Errorf("final record: %v", err)
		}
	} else if !errors.Is(err, stores.ErrNotFound) {
		t.Error(err)
	}
	t.Logf("%d reads returned a record, %d a miss", hits.Load(), misses.Load())
	if hits.Load() == 0 {
		t.Error("no read returned a record: the test checked nothing")
	}
}
