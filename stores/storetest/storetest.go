// Package storetest is the conformance suite that every [*stores.Store] runs.
//
// A backend's tests call [Run] with a function that opens a fresh handle on a
// store, and [Bench] from a benchmark:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) *stores.Store { return open(t) })
//	}
//
// Every handle that open returns may share its data with the handles opened
// before it: the suite gives each subtest its own funcnames (matching
// [A-Za-z0-9_]+, unique within the process and across runs), so stores can
// share one backend, even a long-lived server. The suite closes every handle
// it opens and clears every funcname it used.
//
// What the suite requires of a record's byte fields:
//
//   - Result comes back with the same bytes; nil and empty are the same.
//   - Key and Meta that were nil come back nil: nil means "not stored".
//   - Key and Meta that were non-empty come back equal.
//   - Key and Meta that were empty but not nil come back with length zero,
//     as nil or empty: the suite does not require a store to tell them apart
//     from nil.
//   - The store keeps no slice that Put was given, and returns none that a
//     caller could change it through.
//   - Created is set by the store: not zero, not before the Put began and not
//     after it ended, give or take [ClockSkew].
//
// Every store keeps one owner record per funcname (Store.Owner,
// Store.ClaimOwner): of concurrent claims one wins, the record is no entry
// (List, Len, Entries and Funcs pass it by), and Clear removes it.
//
// Listing is checked guarantee by guarantee (see the List subtests): byte
// order of hashes, pages of n with a next token "" after the last, every
// record exactly once across pages, also while other hashes are written and
// deleted, Size and Created, clamping of n, tokens that work on every handle
// of the store and errors for malformed tokens and closed handles; ListAll,
// Len and Entries agree with List. Where the cost of a call is part of the
// guarantee (Entries without PartResult reads no result; ListAll and Len read
// no record), the suite wraps the handle's driver in a [Counting] driver.
//
// Errors are checked through [stores.ErrorCode], errors.Is and the
// [*stores.OpError] fields, and names against the driver's own
// driver.NameRules: [stores.Store.CheckName] and Put must accept exactly
// the names the rules allow. The suite's own funcnames and most of its
// hashes match [A-Za-z0-9_]+ of at most 150 bytes, which every store must
// keep; its awkward hashes are used only where CheckName accepts them.
//
// Optional driver interfaces are tested when the store has them
// ([stores.Store.CanLock], [stores.Store.CanListFuncs]); their fallbacks
// when it has not.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
)

// ClockSkew is how far a record's Created time may lie outside the interval
// of the Put that wrote it: stores that take the time from a server, or keep
// it with coarse precision (file modification times), are allowed this much.
const ClockSkew = 5 * time.Second

// Run runs the conformance suite against the store that open returns. Each
// call of open must return a new handle; the suite closes it. Run returns
// when every subtest has finished.
func Run(t *testing.T, open func(t *testing.T) *stores.Store) {
	t.Helper()
	s := &suite{open: open}
	tests := []struct {
		name string
		fn   func(t *testing.T, s *suite)
	}{
		{"NotFound", testNotFound},
		{"RoundTrip", testRoundTrip},
		{"Aliasing", testAliasing},
		{"Overwrite", testOverwrite},
		{"Delete", testDelete},
		{"Len", testLen},
		{"Entries", testEntries},
		{"EntriesStopEarly", testEntriesStopEarly},
		{"Clear", testClear},
		{"Funcs", testFuncs},
		{"AwkwardHashes", testAwkwardHashes},
		{"InvalidNames", testInvalidNames},
		{"Concurrent", testConcurrent},
		{"CancelledContext", testCancelledContext},
		{"Closed", testClosed},
		{"LargeValue", testLargeValue},
		{"Lock", testLock},
		{"ReadParts", testReadParts},
		{"Owner", testOwner},
		{"OwnerRace", testOwnerRace},
		{"List", testList},
		{"ErrorCodes", testErrorCodes},
		{"NameRules", testNameRules},
	}
	// The group makes Run wait for the parallel subtests, so a caller may
	// release what open needs as soon as Run returns.
	t.Run("suite", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				tc.fn(t, s)
			})
		}
	})
}

// suite carries the store opener through the subtests.
type suite struct {
	open func(t *testing.T) *stores.Store
}

// handle opens a new handle that is closed when t ends. A store whose open
// function also closes the handle must accept the second Close, returning
// nil or ErrClosed.
func (s *suite) handle(t *testing.T) *stores.Store {
	t.Helper()
	st := s.open(t)
	if st == nil {
		t.Fatal("open returned a nil store")
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil && !errors.Is(err, stores.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

// counted opens a new handle, closed when t ends, and returns a store over a
// counting wrapper of its driver, which the handle's Close closes.
func (s *suite) counted(t *testing.T) (*stores.Store, *Counting) {
	t.Helper()
	return WrapCounting(s.handle(t))
}

// runID keeps funcnames of different test runs apart on a long-lived server.
var runID = func() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}()

var funcCounter atomic.Uint64

// newFunc returns a funcname that no other subtest, process or run uses, and
// clears its records through st when t ends.
func newFunc(t testing.TB, st *stores.Store) string {
	t.Helper()
	name := sanitize(t.Name())
	if len(name) > 120 {
		name = name[len(name)-120:]
	}
	fn := fmt.Sprintf("%s_%s_%d", name, runID, funcCounter.Add(1))
	t.Cleanup(func() {
		err := st.Clear(context.Background(), fn)
		if err != nil && !errors.Is(err, stores.ErrClosed) {
			t.Logf("clearing %s after the test: %v", fn, err)
		}
	})
	return fn
}

// sanitize maps name onto [A-Za-z0-9_]+.
func sanitize(name string) string {
	out := []byte(name)
	for i, c := range out {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			out[i] = '_'
		}
	}
	if len(out) == 0 {
		return "f"
	}
	return string(out)
}

// record builds a record from strings; a nil pointer leaves the field nil.
func record(result string, key, meta *string) stores.Record {
	r := stores.Record{Result: []byte(result)}
	if key != nil {
		r.Key = []byte(*key)
	}
	if meta != nil {
		r.Meta = []byte(*meta)
	}
	return r
}

func ptr(s string) *string { return &s }

// put stores rec and fails the test on error.
func put(t testing.TB, st *stores.Store, fn, hash string, rec stores.Record) {
	t.Helper()
	if err := st.Put(t.Context(), fn, hash, rec); err != nil {
		t.Fatalf("Put(%s, %q): %v", fn, hash, err)
	}
}

// get loads a record and fails the test on error.
func get(t testing.TB, st *stores.Store, fn, hash string) stores.Record {
	t.Helper()
	rec, err := st.Get(t.Context(), fn, hash)
	if err != nil {
		t.Fatalf("Get(%s, %q): %v", fn, hash, err)
	}
	return rec
}

// length counts the records of fn and fails the test on error.
func length(t testing.TB, st *stores.Store, fn string) int {
	t.Helper()
	n, err := st.Len(t.Context(), fn)
	if err != nil {
		t.Fatalf("Len(%s): %v", fn, err)
	}
	return n
}

// collect reads every entry of fn, failing on errors and repeated hashes.
func collect(t testing.TB, st *stores.Store, fn string) map[string]stores.Record {
	t.Helper()
	got := map[string]stores.Record{}
	for e, err := range st.Entries(t.Context(), fn, stores.AllParts) {
		if err != nil {
			t.Fatalf("Entries(%s): %v", fn, err)
		}
		if _, dup := got[e.Hash]; dup {
			t.Fatalf("Entries(%s) yielded hash %q twice", fn, e.Hash)
		}
		got[e.Hash] = e.Record
	}
	return got
}

// sameRecord reports how got differs from want under the rules in the
// package documentation, or "" when it does not. Created is checked
// against the interval [from, to] of the Put that wrote it.
func sameRecord(got, want stores.Record, from, to time.Time) string {
	var diffs []string
	if d := diffBytes("Result", got.Result, want.Result, false); d != "" {
		diffs = append(diffs, d)
	}
	if d := diffBytes("Key", got.Key, want.Key, true); d != "" {
		diffs = append(diffs, d)
	}
	if d := diffBytes("Meta", got.Meta, want.Meta, true); d != "" {
		diffs = append(diffs, d)
	}
	switch {
	case got.Created.IsZero():
		diffs = append(diffs, "Created is zero")
	case got.Created.Before(from.Add(-ClockSkew)):
		diffs = append(diffs, fmt.Sprintf("Created %v is before the Put began (%v)", got.Created, from))
	case got.Created.After(to.Add(ClockSkew)):
		diffs = append(diffs, fmt.Sprintf("Created %v is after the Put ended (%v)", got.Created, to))
	}
	return strings.Join(diffs, "; ")
}

// diffBytes describes how got differs from want. With nilMatters, a nil
// want requires a nil got.
func diffBytes(field string, got, want []byte, nilMatters bool) string {
	if nilMatters && want == nil && got != nil {
		return fmt.Sprintf("%s is %s, want nil", field, show(got))
	}
	if nilMatters && want != nil && len(want) > 0 && got == nil {
		return fmt.Sprintf("%s is nil, want %s", field, show(want))
	}
	if !bytes.Equal(got, want) {
		return fmt.Sprintf("%s is %s, want %s", field, show(got), show(want))
	}
	return ""
}

// show prints short byte strings whole and long ones by length and prefix.
func show(b []byte) string {
	if len(b) <= 64 {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%d bytes starting %q", len(b), b[:32])
}

// Missing reports that something a test needs (a server it starts, a
// tool) is missing, with the reason: under CI=true, where every test must
// run, it fails t; elsewhere it skips it.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
