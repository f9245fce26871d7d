package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
)

// concurrentRecord is the record that writer id puts: every field is
// derived from id, so a reader can tell a complete record from a torn one.
func concurrentRecord(id string) stores.Record {
	return stores.Record{
		Result: bytes.Repeat([]byte(id), 512),
		Key:    []byte("key:" + id),
		Meta:   []byte("meta:" + id),
	}
}

func testConcurrent(t *testing.T, s *suite) {
	const (
		goroutines = 16
		ops        = 50
		hashes     = 8
	)
	handles := []*stores.Store{s.handle(t), s.handle(t)}
	fn := newFunc(t, handles[0])
	var written sync.Map // ids whose Put has begun
	for h := range hashes {
		id := fmt.Sprintf("seed-%d", h)
		written.Store(id, true)
		put(t, handles[0], fn, fmt.Sprintf("h%d", h), concurrentRecord(id))
	}
	check := func(where string, rec stores.Record) error {
		id, ok := strings.CutPrefix(string(rec.Key), "key:")
		if !ok {
			return fmt.Errorf("%s: Key %q is not one the test wrote", where, rec.Key)
		}
		if _, ok := written.Load(id); !ok {
			return fmt.Errorf("%s: record %q was never put", where, id)
		}
		if d := sameRecord(rec, concurrentRecord(id), time.Time{}, time.Now()); d != "" {
			return fmt.Errorf("%s: torn record %q: %s", where, id, d)
		}
		return nil
	}

	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := handles[g%len(handles)]
			for i := range ops {
				hash := fmt.Sprintf("h%d", (g+i)%hashes)
				if (g+i)%2 == 0 {
					id := fmt.Sprintf("w%02d-i%03d", g, i)
					written.Store(id, true)
					if err := st.Put(t.Context(), fn, hash, concurrentRecord(id)); err != nil {
						errs <- fmt.Errorf("Put(%s): %w", hash, err)
						return
					}
					continue
				}
				rec, err := st.Get(t.Context(), fn, hash)
				if err != nil {
					errs <- fmt.Errorf("Get(%s): %w", hash, err)
					return
				}
				if err := check("Get("+hash+")", rec); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := collect(t, handles[1], fn)
	if len(got) != hashes {
		t.Errorf("Entries after concurrent Puts yielded %d entries, want %d", len(got), hashes)
	}
	for hash, rec := range got {
		if err := check("Entries "+hash, rec); err != nil {
			t.Error(err)
		}
	}
}

func testCancelledContext(t *testing.T, s *suite) {
	st := s.handle(t)
	fn := newFunc(t, st)
	put(t, st, fn, "h", record("r", nil, nil))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	wantCanceled := func(call string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: err = %v, want context.Canceled", call, err)
		}
	}
	_, err := st.Get(ctx, fn, "h")
	wantCanceled("Get", err)
	wantCanceled("Put", st.Put(ctx, fn, "new", record("r", nil, nil)))
	_, err = st.Len(ctx, fn)
	wantCanceled("Len", err)
	wantCanceled("Delete", st.Delete(ctx, fn, "h"))
	wantCanceled("Clear", st.Clear(ctx, fn))
	_, err = st.Read(ctx, fn, "h", stores.PartKey)
	wantCanceled("Read", err)
	_, _, err = st.List(ctx, fn, "", 10)
	wantCanceled("List", err)
	_, err = st.Owner(ctx, fn)
	wantCanceled("Owner", err)
	_, err = st.ClaimOwner(ctx, fn, []byte("owner"))
	wantCanceled("ClaimOwner", err)
	for _, err := range st.ListAll(ctx, fn) {
		wantCanceled("ListAll", err)
		break
	}
	n := 0
	for _, err := range st.Entries(ctx, fn, stores.AllParts) {
		n++
		wantCanceled("Entries", err)
		if err == nil {
			break
		}
	}
	if n == 0 {
		t.Error("Entries with a cancelled context yielded nothing, want an error")
	}
	if st.CanListFuncs() {
		for _, err := range st.Funcs(ctx) {
			wantCanceled("Funcs", err)
			break
		}
	}
	// Nothing the cancelled calls were asked to do happened.
	if _, err := st.Owner(t.Context(), fn); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Owner after a ClaimOwner with a cancelled context: err = %v, want ErrNotFound", err)
	}
	if _, err := st.Get(t.Context(), fn, "new"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Get of a hash put with a cancelled context: err = %v, want ErrNotFound", err)
	}
	if rec := get(t, st, fn, "h"); string(rec.Result) != "r" {
		t.Errorf("record after cancelled Delete and Clear: Result = %q, want %q", rec.Result, "r")
	}
}

func testClosed(t *testing.T, s *suite) {
	st := s.handle(t)
	other := s.handle(t)
	fn := newFunc(t, other)
	put(t, st, fn, "h", record("r", nil, nil))
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := t.Context()
	wantClosed := func(call string, err error) {
		t.Helper()
		if !errors.Is(err, stores.ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", call, err)
		}
	}
	_, err := st.Get(ctx, fn, "h")
	wantClosed("Get", err)
	wantClosed("Put", st.Put(ctx, fn, "h2", record("r", nil, nil)))
	wantClosed("Delete", st.Delete(ctx, fn, "h"))
	_, err = st.Len(ctx, fn)
	wantClosed("Len", err)
	wantClosed("Clear", st.Clear(ctx, fn))
	_, err = st.Read(ctx, fn, "h", stores.PartResult)
	wantClosed("Read", err)
	_, _, err = st.List(ctx, fn, "", 10)
	wantClosed("List", err)
	_, err = st.Owner(ctx, fn)
	wantClosed("Owner", err)
	_, err = st.ClaimOwner(ctx, fn, []byte("owner"))
	wantClosed("ClaimOwner", err)
	_, _, err = st.MapResult(ctx, fn, "h")
	wantClosed("MapResult", err)
	n := 0
	for _, err := range st.Entries(ctx, fn, stores.AllParts) {
		n++
		wantClosed("Entries", err)
		if err == nil {
			break
		}
	}
	if n == 0 {
		t.Error("Entries after Close yielded nothing, want ErrClosed")
	}
	if st.CanListFuncs() {
		n = 0
		for _, err := range st.Funcs(ctx) {
			n++
			wantClosed("Funcs", err)
			if err == nil {
				break
			}
		}
		if n == 0 {
			t.Error("Funcs after Close yielded nothing, want ErrClosed")
		}
	}
	if st.CanLock() {
		unlock, err := st.Lock(ctx, fn, "h")
		wantClosed("Lock", err)
		if err == nil {
			unlock()
		}
	}
	// Closing one handle leaves the others working.
	if _, err := other.Len(ctx, fn); err != nil {
		t.Errorf("Len on another handle after Close: %v", err)
	}
	if err := other.Put(ctx, fn, "h3", record("r", nil, nil)); err != nil {
		t.Errorf("Put on another handle after Close: %v", err)
	}
}

func testLargeValue(t *testing.T, s *suite) {
	const size = 16 << 20
	st := s.handle(t)
	fn := newFunc(t, st)
	big := make([]byte, size)
	var seed [32]byte
	copy(seed[:], fn)
	_, _ = rand.NewChaCha8(seed).Read(big) // ChaCha8.Read never fails
	want := stores.Record{Result: big, Key: big[:1<<20], Meta: []byte("large")}
	from := time.Now()
	put(t, st, fn, "big", want)
	to := time.Now()
	if d := sameRecord(get(t, st, fn, "big"), want, from, to); d != "" {
		t.Errorf("Get of a 16 MiB record: %s", d)
	}
	got := collect(t, st, fn)
	if d := sameRecord(got["big"], want, from, to); d != "" {
		t.Errorf("Entries with a 16 MiB record: %s", d)
	}
	// Replacing a large record by a small one leaves only the small one.
	small := record("small", nil, nil)
	put(t, st, fn, "big", small)
	if d := sameRecord(get(t, st, fn, "big"), small, from, time.Now()); d != "" {
		t.Errorf("Get after replacing a 16 MiB record by a small one: %s", d)
	}
	if n := length(t, st, fn); n != 1 {
		t.Errorf("Len = %d, want 1", n)
	}
}
