package stores_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
)

// listing is a driver whose List returns page, whatever it is asked.
type listing struct {
	driver.Store
	page []driver.Meta
}

func (l listing) List(context.Context, string, string, int) ([]driver.Meta, error) {
	return slices.Clone(l.page), nil
}

func metas(hashes ...string) []driver.Meta {
	m := make([]driver.Meta, len(hashes))
	for i, h := range hashes {
		m[i] = driver.Meta{Hash: h}
	}
	return m
}

// TestListRefusesDisorder checks that a driver's page out of order, with a
// hash twice or with one not after the token is an error, not a page:
// paging on it would loop or skip records.
func TestListRefusesDisorder(t *testing.T) {
	for name, page := range map[string][]driver.Meta{
		"descending":    metas("b", "a"),
		"twice":         metas("a", "a"),
		"not after":     metas("h"),
		"before":        metas("a", "z"),
		"later repeats": metas("x", "y", "x"),
	} {
		st := stores.NewStore(listing{memDriver(t), page}, "mem://listing")
		_, _, err := st.List(t.Context(), "f", stores.PageTokenAfter("h"), 10)
		if err == nil {
			t.Errorf("%s: List of a driver's page %v succeeded", name, page)
		}
		_ = st.Close()
	}
}

// TestListTrimsLongPage checks that a page is never longer than asked for,
// whatever the driver returns, and that the token ends where the page does.
func TestListTrimsLongPage(t *testing.T) {
	st := stores.NewStore(listing{memDriver(t), metas("a", "b", "c", "d", "e")}, "mem://listing")
	defer st.Close()
	page, next, err := st.List(t.Context(), "f", "", 2)
	if err != nil || len(page) != 2 || next != stores.PageTokenAfter("b") {
		t.Errorf("List(n=2) of a driver that returns 5 = %d records, next %q, %v; want 2, the token after b", len(page), next, err)
	}
}

// vanishing is a driver whose Read finds nothing under gone: a record
// deleted between the listing and the read.
type vanishing struct {
	driver.Store
	gone string
}

func (v vanishing) Read(ctx context.Context, funcname, hash string, parts driver.Parts) (driver.Record, error) {
	if hash == v.gone {
		return v.Store.Read(ctx, funcname, "no such hash", parts)
	}
	return v.Store.Read(ctx, funcname, hash, parts)
}

// TestEntriesSkipsVanished checks that Entries passes over a record removed
// after it was listed, and stops at any other error.
func TestEntriesSkipsVanished(t *testing.T) {
	d := memDriver(t)
	st := stores.NewStore(vanishing{d, "h1"}, "mem://vanishing")
	defer st.Close()
	for i := range 3 {
		if err := st.Put(t.Context(), "f", fmt.Sprintf("h%d", i), stores.Record{Result: []byte("r")}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for e, err := range st.Entries(t.Context(), "f", stores.PartResult) {
		if err != nil {
			t.Fatalf("Entries: %v", err)
		}
		got = append(got, e.Hash)
	}
	if !slices.Equal(got, []string{"h0", "h2"}) {
		t.Errorf("Entries = %q, want [h0 h2]: h1 vanished after the listing", got)
	}

	boom := errors.New("medium failed")
	failed := stores.NewStore(failing{d, boom, driver.Unavailable}, "mem://failing")
	defer failed.Close()
	n := 0
	for _, err := range failed.Entries(t.Context(), "f", stores.PartResult) {
		n++
		if !errors.Is(err, boom) || !errors.Is(err, stores.ErrUnavailable) {
			t.Errorf("Entries over a failing Read yielded %v, want the driver's error", err)
		}
	}
	if n != 1 {
		t.Errorf("Entries over a failing Read yielded %d times, want one error", n)
	}
}
