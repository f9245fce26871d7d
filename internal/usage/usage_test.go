package usage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gopersist/persist/internal/usage"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/memstore"
)

func put(t *testing.T, st *stores.Store, funcname, hash string, size int) {
	t.Helper()
	if err := st.Put(context.Background(), funcname, hash, stores.Record{Result: make([]byte, size)}); err != nil {
		t.Fatal(err)
	}
}

// TestSurvey checks the totals of two functions, one over several pages.
func TestSurvey(t *testing.T) {
	st := memstore.Open(fmt.Sprintf("usage-survey-%d", time.Now().UnixNano()))
	for i := range 2500 {
		put(t, st, "big", fmt.Sprintf("h%04d", i), 2)
	}
	put(t, st, "small", "a", 7)
	funcs, err := usage.Survey(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if len(funcs) != 2 || funcs[0].Name != "big" || funcs[1].Name != "small" {
		t.Fatalf("Survey = %+v", funcs)
	}
	if b := funcs[0]; b.Entries != 2500 || b.Bytes != 5000 || b.Oldest.After(b.Newest) || b.Oldest.IsZero() {
		t.Errorf("big: %+v, want 2500 entries of 5000 bytes", b)
	}
	if s := funcs[1]; s.Entries != 1 || s.Bytes != 7 || !s.Oldest.Equal(s.Newest) {
		t.Errorf("small: %+v", s)
	}
}

// TestCacheKeepsSurvey checks that a Cache answers from its survey until
// the ttl passes, and surveys every time with a ttl of 0.
func TestCacheKeepsSurvey(t *testing.T) {
	ctx := context.Background()
	st := memstore.Open(fmt.Sprintf("usage-cache-%d", time.Now().UnixNano()))
	put(t, st, "f", "a", 1)
	kept, fresh := usage.NewCache(st, time.Hour), usage.NewCache(st, 0)
	first, at1, err := kept.Get(ctx)
	if err != nil || len(first) != 1 || first[0].Entries != 1 {
		t.Fatalf("first Get = %+v, %v", first, err)
	}
	if _, _, err := fresh.Get(ctx); err != nil {
		t.Fatal(err)
	}
	put(t, st, "f", "b", 1)
	again, at2, err := kept.Get(ctx)
	if err != nil || again[0].Entries != 1 || !at2.Equal(at1) {
		t.Errorf("Get within the ttl = %+v at %v, want the first survey (1 entry, at %v)", again, at2, at1)
	}
	now, _, err := fresh.Get(ctx)
	if err != nil || now[0].Entries != 2 {
		t.Errorf("Get with ttl 0 = %+v, %v; want 2 entries", now, err)
	}
}

// TestSurveyNeedsFuncLister checks the error for a store that cannot list
// its functions.
func TestSurveyNeedsFuncLister(t *testing.T) {
	var d driver.Store
	memstore.Open("usage-no-funcs").As(&d)
	// Embedding only the driver.Store interface hides the driver's Funcs.
	st := stores.NewStore(struct{ driver.Store }{d}, "mem://usage-no-funcs")
	if _, err := usage.Survey(context.Background(), st); !errors.Is(err, usage.ErrNoFuncs) {
		t.Errorf("Survey = %v, want ErrNoFuncs", err)
	}
}
