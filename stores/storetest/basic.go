package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
)

func testNotFound(t *testing.T, s *suite) {
	st := s.handle(t)
	fn := newFunc(t, st)
	if _, err := st.Get(t.Context(), fn, "missing"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Get of an unused funcname: err = %v, want ErrNotFound", err)
	}
	if err := st.Delete(t.Context(), fn, "missing"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Delete of an unused funcname: err = %v, want ErrNotFound", err)
	}
	if n := length(t, st, fn); n != 0 {
		t.Errorf("Len of an unused funcname = %d, want 0", n)
	}
	if got := collect(t, st, fn); len(got) != 0 {
		t.Errorf("Entries of an unused funcname yielded %d entries", len(got))
	}
	if err := st.Clear(t.Context(), fn); err != nil {
		t.Errorf("Clear of an unused funcname: %v", err)
	}

	put(t, st, fn, "present", record("r", nil, nil))
	if _, err := st.Get(t.Context(), fn, "missing"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Get of a missing hash: err = %v, want ErrNotFound", err)
	}
	if err := st.Delete(t.Context(), fn, "missing"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Delete of a missing hash: err = %v, want ErrNotFound", err)
	}
	if n := length(t, st, fn); n != 1 {
		t.Errorf("Len after a failed Delete = %d, want 1", n)
	}
}

// roundTripCases cover every combination of nil, empty and full fields.
var roundTripCases = []struct {
	name string
	rec  stores.Record
}{
	{"result only", record("42", nil, nil)},
	{"key and meta", record("r", ptr("encoded key"), ptr("computed on a Tuesday"))},
	{"key only", record("r", ptr("k"), nil)},
	{"meta only", record("r", nil, ptr("m"))},
	{"empty key and meta", record("r", ptr(""), ptr(""))},
	{"empty result", stores.Record{Result: []byte{}}},
	{"nil result", stores.Record{}},
	{"binary", stores.Record{
		Result: []byte{0, 1, 2, 0xff, 0xfe, '\n', '\r', 0},
		Key:    []byte{0, 0, 0},
		Meta:   []byte("\x00not text\xff"),
	}},
	{"created is ignored", stores.Record{Result: []byte("r"), Created: time.Unix(1, 0)}},
}

func testRoundTrip(t *testing.T, s *suite) {
	st := s.handle(t)
	fn := newFunc(t, st)
	for i, tc := range roundTripCases {
		hash := fmt.Sprintf("h%d", i)
		from := time.Now()
		put(t, st, fn, hash, tc.rec)
		to := time.Now()
		if d := sameRecord(get(t, st, fn, hash), tc.rec, from, to); d != "" {
			t.Errorf("%s: Get after Put: %s", tc.name, d)
		}
	}
	// Reading must not consume or alter a record.
	for i, tc := range roundTripCases {
		if d := sameRecord(get(t, st, fn, fmt.Sprintf("h%d", i)), tc.rec, time.Time{}, time.Now()); d != "" {
			t.Errorf("%s: second Get: %s", tc.name, d)
		}
	}
}

func testAliasing(t *testing.T, s *suite) {
	st := s.handle(t)
	fn := newFunc(t, st)
	in := record("result", ptr("key"), ptr("meta"))
	put(t, st, fn, "h", in)
	for _, b := range [][]byte{in.Result, in.Key, in.Meta} {
		b[0] = 'X'
	}
	want := record("result", ptr("key"), ptr("meta"))
	out := get(t, st, fn, "h")
	if d := sameRecord(out, want, time.Time{}, time.Now()); d != "" {
		t.Errorf("Get after the caller changed the slices it put: %s", d)
	}
	for _, b := range [][]byte{out.Result, out.Key, out.Meta} {
		b[0] = 'Y'
	}
	if d := sameRecord(get(t, st, fn, "h"), want, time.Time{}, time.Now()); d != "" {
		t.Errorf("Get after the caller changed the slices an earlier Get returned: %s", d)
	}
	for e, err := range st.Entries(t.Context(), fn, stores.AllParts) {
		if err != nil {
			t.Fatalf("Entries: %v", err)
		}
		e.Result[0] = 'Z'
	}
	if d := sameRecord(get(t, st, fn, "h"), want, time.Time{}, time.Now()); d != "" {
		t.Errorf("Get after the caller changed the slices Entries returned: %s", d)
	}
}

func testOverwrite(t *testing.T, s *suite) {
	st := s.handle(t)
	fn := newFunc(t, st)
	put(t, st, fn, "h", record("old result", ptr("old key"), ptr("old meta")))
	newer := record("new", nil, nil)
	from := time.Now()
	put(t, st, fn, "h", newer)
	to := time.Now()
	if d := sameRecord(get(t, st, fn, "h"), newer, from, to); d != "" {
		t.Errorf("Get after overwriting a record with key and meta by one without: %s", d)
	}
	if n := length(t, st, fn); n != 1 {
		t.Errorf("Len after overwrite = %d, want 1", n)
	}

	full := record("full", ptr("a key"), ptr("a meta"))
	from = time.Now()
	put(t, st, fn, "h", full)
	to = time.Now()
	got := collect(t, st, fn)
	if len(got) != 1 {
		t.Fatalf("Entries after overwrite yielded %d entries, want 1", len(got))
	}
	if d := sameRecord(got["h"], full, from, to); d != "" {
		t.Errorf("Entries after overwriting with key and meta: %s", d)
	}
}

func testDelete(t *testing.T, s *suite) {
	st := s.handle(t)
	fn := newFunc(t, st)
	put(t, st, fn, "gone", record("r1", ptr("k"), ptr("m")))
	put(t, st, fn, "kept", record("r2", nil, nil))
	if err := st.Delete(t.Context(), fn, "gone"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := st.Get(t.Context(), fn, "gone"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Get after Delete: err = %v, want ErrNotFound", err)
	}
	if err := st.Delete(t.Context(), fn, "gone"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("second Delete: err = %v, want ErrNotFound", err)
	}
	if d := sameRecord(get(t, st, fn, "kept"), record("r2", nil, nil), time.Time{}, time.Now()); d != "" {
		t.Errorf("the record beside the deleted one: %s", d)
	}
	if n := length(t, st, fn); n != 1 {
		t.Errorf("Len after Delete = %d, want 1", n)
	}
	// A deleted hash can be stored again.
	put(t, st, fn, "gone", record("again", nil, nil))
	if got := get(t, st, fn, "gone"); string(got.Result) != "again" {
		t.Errorf("Get after Put of a deleted hash: Result = %q, want %q", got.Result, "again")
	}
}

func testLen(t *testing.T, s *suite) {
	st := s.handle(t)
	fn, other := newFunc(t, st), newFunc(t, st)
	put(t, st, other, "x", record("x", nil, nil))
	for i := range 7 {
		put(t, st, fn, fmt.Sprintf("h%d", i), record("r", nil, nil))
		if n := length(t, st, fn); n != i+1 {
			t.Fatalf("Len after %d Puts = %d", i+1, n)
		}
	}
	put(t, st, fn, "h3", record("again", nil, nil))
	if n := length(t, st, fn); n != 7 {
		t.Errorf("Len after overwriting one of 7 records = %d, want 7", n)
	}
	if n := length(t, st, other); n != 1 {
		t.Errorf("Len of another funcname = %d, want 1", n)
	}
}

func testEntries(t *testing.T, s *suite) {
	for _, withKeys := range []bool{false, true} {
		t.Run(fmt.Sprintf("keys=%v", withKeys), func(t *testing.T) {
			t.Parallel()
			st := s.handle(t)
			fn, other := newFunc(t, st), newFunc(t, st)
			put(t, st, other, "h0", record("other funcname", nil, nil))
			want := map[string]stores.Record{}
			from := time.Now()
			for i := range 20 {
				rec := record(fmt.Sprintf("result %d", i), nil, nil)
				if withKeys {
					rec = record(fmt.Sprintf("result %d", i), ptr(fmt.Sprintf("key %d", i)), ptr(fmt.Sprintf("meta %d", i)))
				}
				hash := fmt.Sprintf("h%d", i)
				put(t, st, fn, hash, rec)
				want[hash] = rec
			}
			to := time.Now()
			got := collect(t, st, fn)
			for hash, w := range want {
				g, ok := got[hash]
				if !ok {
					t.Errorf("Entries is missing hash %q", hash)
					continue
				}
				if d := sameRecord(g, w, from, to); d != "" {
					t.Errorf("Entries, hash %q: %s", hash, d)
				}
			}
			for hash := range got {
				if _, ok := want[hash]; !ok {
					t.Errorf("Entries yielded hash %q, which was never put", hash)
				}
			}
		})
	}
}

func testEntriesStopEarly(t *testing.T, s *suite) {
	st := s.handle(t)
	fn := newFunc(t, st)
	for i := range 10 {
		put(t, st, fn, fmt.Sprintf("h%d", i), record("r", nil, nil))
	}
	// The range statement panics if the sequence calls yield after it
	// returned false.
	n := 0
	for _, err := range st.Entries(t.Context(), fn, stores.AllParts) {
		if err != nil {
			t.Fatalf("Entries: %v", err)
		}
		n++
		break
	}
	if n != 1 {
		t.Errorf("Entries yielded %d entries before the loop stopped, want 1", n)
	}
	// Stopping must release whatever the iteration held.
	put(t, st, fn, "after", record("r", nil, nil))
	if n := length(t, st, fn); n != 11 {
		t.Errorf("Len after stopping Entries early and putting one more = %d, want 11", n)
	}
}

func testClear(t *testing.T, s *suite) {
	st := s.handle(t)
	fn, other := newFunc(t, st), newFunc(t, st)
	for i := range 5 {
		put(t, st, fn, fmt.Sprintf("h%d", i), record("r", nil, nil))
		put(t, st, other, fmt.Sprintf("h%d", i), record("kept", nil, nil))
	}
	if err := st.Clear(t.Context(), fn); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	if n := length(t, st, fn); n != 0 {
		t.Errorf("Len after Clear = %d, want 0", n)
	}
	if _, err := st.Get(t.Context(), fn, "h0"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Get after Clear: err = %v, want ErrNotFound", err)
	}
	if got := collect(t, st, fn); len(got) != 0 {
		t.Errorf("Entries after Clear yielded %d entries", len(got))
	}
	if n := length(t, st, other); n != 5 {
		t.Errorf("Len of another funcname after Clear = %d, want 5", n)
	}
	if got := get(t, st, other, "h0"); string(got.Result) != "kept" {
		t.Errorf("another funcname's record after Clear: Result = %q", got.Result)
	}
	// The funcname is usable after Clear.
	put(t, st, fn, "h0", record("new", nil, nil))
	if n := length(t, st, fn); n != 1 {
		t.Errorf("Len after Clear and Put = %d, want 1", n)
	}
}

func testFuncs(t *testing.T, s *suite) {
	st := s.handle(t)
	if !st.CanListFuncs() {
		// The fallback: one error wrapping ErrUnsupported, then nothing.
		n := 0
		for name, err := range st.Funcs(t.Context()) {
			n++
			if !errors.Is(err, stores.ErrUnsupported) {
				t.Errorf("Funcs of a store that cannot list funcnames yielded %q, %v; want ErrUnsupported", name, err)
			}
		}
		if n != 1 {
			t.Errorf("Funcs of a store that cannot list funcnames yielded %d times, want once", n)
		}
		return
	}
	a, b, unused := newFunc(t, st), newFunc(t, st), newFunc(t, st)
	put(t, st, a, "h1", record("r", nil, nil))
	put(t, st, a, "h2", record("r", nil, nil))
	put(t, st, b, "h1", record("r", nil, nil))
	funcs := func() []string {
		var names []string
		for name, err := range st.Funcs(t.Context()) {
			if err != nil {
				t.Fatalf("Funcs: %v", err)
			}
			if slices.Contains(names, name) {
				t.Fatalf("Funcs yielded %q twice", name)
			}
			names = append(names, name)
		}
		return names
	}
	names := funcs()
	// Other subtests may share the backend, so only our names are checked.
	if !slices.Contains(names, a) || !slices.Contains(names, b) {
		t.Errorf("Funcs = %q, want it to contain %q and %q", names, a, b)
	}
	if slices.Contains(names, unused) {
		t.Errorf("Funcs contains %q, which has no records", unused)
	}
	if err := st.Clear(t.Context(), a); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	if err := st.Delete(t.Context(), b, "h1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	names = funcs()
	if slices.Contains(names, a) {
		t.Errorf("Funcs contains %q after Clear", a)
	}
	if slices.Contains(names, b) {
		t.Errorf("Funcs contains %q after its last record was deleted", b)
	}
}
