package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/gopersist/persist/stores"
)

// testReadParts checks Store.Read: exactly the parts asked for, the others
// nil, Created always set, and ErrNotFound as Get reports it.
func testReadParts(t *testing.T, s *suite) {
	st := s.handle(t)
	ctx := context.Background()
	fn := newFunc(t, st)
	rec := stores.Record{Result: []byte("result"), Key: []byte("key"), Meta: []byte("meta")}
	put(t, st, fn, "h", rec)
	for parts := stores.Parts(0); parts <= stores.AllParts; parts++ {
		got, err := st.Read(ctx, fn, "h", parts)
		if err != nil {
			t.Fatalf("Read(parts=%03b): %v", parts, err)
		}
		check := func(part stores.Parts, name string, got, want []byte) {
			t.Helper()
			switch {
			case parts.Has(part) && !bytes.Equal(got, want):
				t.Errorf("Read(parts=%03b): %s %q, want %q", parts, name, got, want)
			case !parts.Has(part) && got != nil:
				t.Errorf("Read(parts=%03b): %s %q, want nil: not asked for", parts, name, got)
			}
		}
		check(stores.PartResult, "Result", got.Result, rec.Result)
		check(stores.PartKey, "Key", got.Key, rec.Key)
		check(stores.PartMeta, "Meta", got.Meta, rec.Meta)
		if got.Created.IsZero() {
			t.Errorf("Read(parts=%03b): Created is zero", parts)
		}
	}
	put(t, st, fn, "nokey", stores.Record{Result: []byte("r")})
	if got, err := st.Read(ctx, fn, "nokey", stores.PartResult|stores.PartKey); err != nil || got.Key != nil {
		t.Errorf("Read of a record without a key: Key %q, %v; want nil", got.Key, err)
	}
	if _, err := st.Read(ctx, fn, "missing", stores.PartResult); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Read of a missing hash: %v, want ErrNotFound", err)
	}
}
