package persist_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// TestWrapNSharesEntriesWithWrap: a function memoised with Wrap and with
// Wrap2 on one store finds the other's results: one key, one hash, one
// entry, whichever form computed it, defaults left out alike.
func TestWrapNSharesEntriesWithWrap(t *testing.T) {
	type powArgs struct {
		X float64
		N int `persist:",default"`
	}
	calls := 0
	pow := func(x float64, n int) float64 { calls++; return math.Pow(x, float64(n)) }
	opts := persist.Options{Cache: memURL(t), FuncName: "pow", Spec: powArgs{N: 2}}
	viaWrap, memo, err := persist.Wrap(pow, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	viaWrap2, memo2, err := persist.Wrap2(pow, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer memo2.Close()
	for _, c := range []struct {
		x float64
		n int
	}{{3, 2}, {3, 3}, {-0.5, 2}, {math.Inf(1), 1}} {
		first, second := viaWrap, viaWrap2
		if c.n == 3 {
			first, second = viaWrap2, viaWrap
		}
		before := calls
		a, b := first(c.x, c.n), second(c.x, c.n)
		if a != b || calls != before+1 {
			t.Errorf("pow(%v, %d): %v then %v, %d computations; want one", c.x, c.n, a, b, calls-before)
		}
	}
	if n, err := memo.Cache().Len(); err != nil || n != 4 {
		t.Errorf("%d entries, %v; want 4", n, err)
	}
	// The default is left out of the key in both forms.
	if v, err := memo2.Cache().Get(persist.KeyOf("x", 3.0)); err != nil || v != 9.0 {
		t.Errorf("Get(x=3) = %v, %v; want 9", v, err)
	}
}

// TestWrapNForms: every typed form memoises, passes a context and nil
// interfaces through as the function would see them, and reports errors
// as Wrap's twin does: the function's through its error result, never
// stored; the cache's through it too, or as a panic where there is none.
func TestWrapNForms(t *testing.T) {
	url := memURL(t)
	calls := 0
	join3 := func(a, b, c string) string { calls++; return a + b + c }
	j3, _, err := persist.Wrap3(join3, persist.Options{Cache: url, FuncName: "join3"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if got := j3("a", "b", "c"); got != "abc" {
			t.Errorf("Wrap3: %q", got)
		}
	}
	if calls != 1 {
		t.Errorf("Wrap3: %d computations", calls)
	}
	type ctxKey struct{}
	fetch := func(ctx context.Context, name string) ([]byte, error) {
		calls++
		if name == "" {
			return nil, errors.New("no name")
		}
		return []byte(fmt.Sprint(ctx.Value(ctxKey{}), name)), nil
	}
	f2, _, err := persist.Wrap2E(fetch, persist.Options{Cache: url, FuncName: "fetch"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.WithValue(context.Background(), ctxKey{}, "v")
	calls = 0
	for range 2 {
		if b, err := f2(ctx, "x"); err != nil || string(b) != "vx" {
			t.Errorf("Wrap2E: %q, %v", b, err)
		}
	}
	if _, err := f2(ctx, ""); err == nil || err.Error() != "no name" {
		t.Errorf("Wrap2E error: %v", err)
	}
	if _, err := f2(ctx, ""); err == nil || calls != 3 {
		t.Errorf("an error result was stored: %v after %d computations", err, calls)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f2(canceled, "new"); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
	// A nil interface argument is the function's nil, and a key of its own.
	describe := func(v any) (string, error) { calls++; return fmt.Sprintf("%T", v), nil }
	d1, _, err := persist.Wrap1E(describe, persist.Options{Cache: url, FuncName: "describe"})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{nil, 0, "", nil} {
		if got, err := d1(v); err != nil || got != fmt.Sprintf("%T", v) {
			t.Errorf("describe(%#v) = %q, %v", v, got, err)
		}
	}
	// A cache failure: an argument that cannot be hashed.
	h1, _, err := persist.Wrap1(func(f func()) int { return 1 }, persist.Options{Cache: url, FuncName: "takesFunc"})
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "unhashable") {
				t.Errorf("unhashable argument: recovered %v, want the error", r)
			}
		}()
		h1(func() {})
	}()
	h1e, _, err := persist.Wrap1E(func(f func()) (int, error) { return 1, nil }, persist.Options{Cache: url, FuncName: "takesFuncE"})
	if err != nil {
		t.Fatal(err)
	}
	var ue *persist.UnhashableError
	if _, err := h1e(func() {}); !errors.As(err, &ue) {
		t.Errorf("unhashable argument through Wrap1E: %v", err)
	}
}

// TestWrapNDamagedIsRecomputed: a damaged entry read through a typed form
// is a miss, as through Func.
func TestWrapNDamagedIsRecomputed(t *testing.T) {
	calls := 0
	sq := func(x int) time.Duration { calls++; return time.Duration(x * x) }
	f, memo, err := persist.Wrap1(sq, persist.Options{Cache: memURL(t), FuncName: "sq", Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	f(4)
	hash, _ := persist.Hash(persist.KeyOf("arg0", 4))
	rec, err := memo.Store().Get(context.Background(), "sq", hash)
	if err != nil {
		t.Fatal(err)
	}
	rec.Result[len(rec.Result)-1] ^= 1
	if err := memo.Store().Put(context.Background(), "sq", hash, rec); err != nil {
		t.Fatal(err)
	}
	if got := f(4); got != 16 || calls != 2 {
		t.Errorf("after damage: %v, %d computations; want 16 computed again", got, calls)
	}
}

// TestHashArgsIsHash: the hit path's hash of a key is Hash's, for keys of
// every kind and for the same key asked again (the cached hash), and keys
// that Hash refuses are refused.
func TestHashArgsIsHash(t *testing.T) {
	long := strings.Repeat("x", 500)
	keys := []persist.Key{
		{}, {{Name: "arg0", Value: 7}}, {{Name: "arg0", Value: int64(7)}}, {{Name: "arg0", Value: nil}},
		{{Name: "a", Value: "s"}, {Name: "b", Value: []int{1, 2}}}, {{Name: "arg0", Value: long}},
		{{Name: "k", Value: persist.Key{{Name: "in", Value: 1.5}}}},
	}
	for round := range 2 {
		for _, k := range keys {
			want, err := persist.Hash(k)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := persist.HashArgs(k); err != nil || got != want {
				t.Errorf("round %d, %v: %s, %v; want %s", round, k, got, err, want)
			}
		}
	}
	bad := persist.Key{{Name: "f", Value: func() {}}}
	_, want := persist.Hash(bad)
	if _, err := persist.HashArgs(bad); err == nil || err.Error() != want.Error() {
		t.Errorf("unhashable: %v; want %v", err, want)
	}
}
