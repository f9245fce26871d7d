package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/gopersist/persist/stores"
)

// testResultReader checks stores.ResultReader where a store implements it:
// the result always, the key only when asked for, the metadata never, and
// ErrNotFound as Get reports it.
func testResultReader(t *testing.T, s *suite) {
	st := s.handle(t)
	r, ok := st.(stores.ResultReader)
	if !ok {
		t.Skipf("%T does not implement stores.ResultReader", st)
	}
	ctx := context.Background()
	fn := newFunc(t, st)
	rec := stores.Record{Result: []byte("result"), Key: []byte("key"), Meta: []byte("meta")}
	put(t, st, fn, "h", rec)
	for _, withKey := range []bool{false, true} {
		got, err := r.ReadResult(ctx, fn, "h", withKey)
		if err != nil {
			t.Fatalf("ReadResult(withKey=%v): %v", withKey, err)
		}
		if !bytes.Equal(got.Result, rec.Result) {
			t.Errorf("ReadResult(withKey=%v): Result %q, want %q", withKey, got.Result, rec.Result)
		}
		if withKey && !bytes.Equal(got.Key, rec.Key) {
			t.Errorf("ReadResult(withKey=true): Key %q, want %q", got.Key, rec.Key)
		}
		if got.Created.IsZero() {
			t.Errorf("ReadResult(withKey=%v): Created is zero", withKey)
		}
	}
	put(t, st, fn, "nokey", stores.Record{Result: []byte("r")})
	if got, err := r.ReadResult(ctx, fn, "nokey", true); err != nil || got.Key != nil {
		t.Errorf("ReadResult of a record without a key: Key %q, %v; want nil", got.Key, err)
	}
	if _, err := r.ReadResult(ctx, fn, "missing", true); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("ReadResult of a missing hash: %v, want ErrNotFound", err)
	}
}
