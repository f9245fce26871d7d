package persist_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// Two calls the function could tell apart never share a key: the
// reproduced wrong results, through memoised calls.

func TestAnyArgumentsOfDifferentTypes(t *testing.T) {
	f, _, err := persist.Wrap(func(x any) string { return fmt.Sprintf("%T %v", x, x) },
		persist.Options{Cache: memURL(t), FuncName: "show"})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []any{1, int64(1), time.Duration(1), int8(1), uint8(1), uint64(1), []int{1}, [1]int{1}, 1.0, float32(1)} {
		if got, want := f(x), fmt.Sprintf("%T %v", x, x); got != want {
			t.Errorf("f(%T) = %q, want %q", x, got, want)
		}
	}
}

// TestMapKeysThatEncodeAlike: a map's encoding does not depend on its
// iteration order, even when keys encode alike.
func TestMapKeysThatEncodeAlike(t *testing.T) {
	for round := range 50 {
		f, _, err := persist.Wrap(func(m map[any]string) string { return m[int64(1)] },
			persist.Options{Cache: memURL(t) + strconv.Itoa(round), FuncName: "pick"})
		if err != nil {
			t.Fatal(err)
		}
		if got := f(map[any]string{1: "a", int64(1): "b"}); got != "b" {
			t.Fatalf("round %d: first call %q", round, got)
		}
		if got := f(map[any]string{1: "b", int64(1): "a"}); got != "a" {
			t.Fatalf("round %d: the swapped map returned %q, want a", round, got)
		}
	}
	nan := math.NaN()
	want, err := persist.Hash(map[float64]int{nan: 1, nan: 2})
	if err != nil {
		t.Fatal(err)
	}
	for range 200 {
		m := map[float64]int{nan: 2}
		m[nan] = 1
		if h, _ := persist.Hash(m); h != want {
			t.Fatal("one map of NaN keys hashes two ways")
		}
	}
}

func TestTimeLocationIsPartOfKey(t *testing.T) {
	f, _, err := persist.Wrap(func(t time.Time) string { return t.Format(time.Kitchen + " MST") },
		persist.Options{Cache: memURL(t), FuncName: "clock"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 1, 2, 15, 4, 0, 0, time.UTC)
	est := time.FixedZone("EST", -5*3600)
	if got := f(at); got != "3:04PM UTC" {
		t.Fatal(got)
	}
	if got := f(at.In(est)); got != "10:04AM EST" {
		t.Fatalf("f(t.In(est)) = %q: the UTC call's result", got)
	}
	if got := f(at.In(time.FixedZone("XST", -5*3600))); got != "10:04AM XST" {
		t.Fatalf("another zone name of one offset = %q", got)
	}
}

func TestNegativeZeroIsItsOwnKey(t *testing.T) {
	inv, _, err := persist.Wrap(func(x float64) float64 { return 1 / x },
		persist.Options{Cache: memURL(t), FuncName: "inv"})
	if err != nil {
		t.Fatal(err)
	}
	if got := inv(0); !math.IsInf(got, 1) {
		t.Fatal(got)
	}
	if got := inv(math.Copysign(0, -1)); !math.IsInf(got, -1) {
		t.Fatalf("1/-0 = %v: the +0 call's result", got)
	}
}

type argHidden struct {
	N      int
	secret string
}

var _ = argHidden{secret: "counts in the hash"}

// TestStoreKeyRefusesWhatItCannotKeep: an argument's unexported fields
// count in the hash but could not be stored, so that two entries showed one
// key text. With StoreKey such argument types are refused at Decorate, as
// are interface arguments, whose stored key would come back in CBOR's
// types.
func TestStoreKeyRefusesWhatItCannotKeep(t *testing.T) {
	for _, tt := range []struct {
		fn   any
		want string
	}{
		{func(x int, a argHidden) int { return 0 },
			"persist: StoreKey: f takes persist_test.argHidden as argument 'arg1', whose part string (at .secret) the default pickling cannot bring back exactly (an unexported field is not written and comes back as its zero value, unless the type has MarshalBinary and UnmarshalBinary, or MarshalCBOR and UnmarshalCBOR), so the stored key would differ from the call's: give a Key hook, or drop StoreKey"},
		{func(x any) int { return 0 },
			"persist: StoreKey: f takes interface {} as argument 'arg0', which the default pickling cannot bring back with its Go type, so the stored key would differ from the call's: give a Key hook, or drop StoreKey"},
	} {
		_, err := persist.Decorate(tt.fn, persist.Options{Cache: memURL(t), FuncName: "f", StoreKey: true})
		if err == nil || err.Error() != tt.want || !errors.Is(err, persist.ErrBadOptions) {
			t.Errorf("got %v\nwant %s", err, tt.want)
		}
		if _, err := persist.Decorate(tt.fn, persist.Options{Cache: memURL(t), FuncName: "f"}); err != nil {
			t.Errorf("without StoreKey: %v", err)
		}
	}
}

type argPoint struct{ X, Y int64 }

type keyArgs struct {
	N  int64
	P  argPoint  `persist:",default"`
	At time.Time `persist:",default"`
	S  []string  `persist:",default"`
}

// TestStoredKeysAreCallKeys: a stored key read back by iteration, and a
// key recovered by Unhash, equal the call's key under the key encoding,
// and Cache methods find what calls stored, with keys spelt another way
// (defaults given, an int for an int64, another order).
func TestStoredKeysAreCallKeys(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("", 2*3600))
	spec := keyArgs{P: argPoint{1, 2}, S: []string{"d"}}
	var calls atomic.Int32
	fn := func(n int64, p argPoint, at time.Time, s []string) string {
		calls.Add(1)
		return fmt.Sprint(n, p, at.Format(time.RFC3339), s)
	}
	f, m, err := persist.Wrap(fn, persist.Options{Cache: memURL(t), FuncName: "g", StoreKey: true, Spec: spec, Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	f(1, argPoint{1, 2}, at, []string{"d"})    // defaults but n
	f(2, argPoint{3, 4}, at.UTC(), []string{}) // none at their defaults
	want := map[string]bool{}
	for _, args := range [][]any{{1, argPoint{1, 2}, at, []string{"d"}}, {2, argPoint{3, 4}, at.UTC(), []string{}}} {
		k, err := persist.ArgTuple("g", spec, args, nil)
		if err != nil {
			t.Fatal(err)
		}
		want[string(mustEncode(t, k))] = true
	}
	n := 0
	for k, err := range m.Cache().Keys() {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if !want[string(mustEncode(t, k))] {
			t.Errorf("stored key %v is no call's key", k)
		}
		if _, err := m.Cache().Get(k); err != nil {
			t.Errorf("Get(%v): %v", k, err)
		}
	}
	if n != 2 {
		t.Fatalf("%d keys stored, want 2", n)
	}
	// Spelt another way, in another order, defaults given.
	k := persist.Key{{"s", []string{"d"}}, {"n", 1}, {"p", map[string]any{"X": 1, "Y": 2}}, {"at", at}}
	if v, err := m.Cache().Get(k); err != nil || v != fn(1, argPoint{1, 2}, at, []string{"d"}) {
		t.Fatalf("Get(%v) = %v, %v", k, v, err)
	}
	if err := m.Cache().Set(persist.Key{{"n", int8(5)}, {"at", at}}, "set"); err != nil {
		t.Fatal(err)
	}
	before := calls.Load()
	if got := f(5, argPoint{1, 2}, at, []string{"d"}); got != "set" || calls.Load() != before {
		t.Fatalf("the call did not find what Set stored: %q", got)
	}
	if err := m.Cache().Delete(persist.Key{{"n", 5}, {"at", at}}); err != nil {
		t.Fatal(err)
	}
	if f(5, argPoint{1, 2}, at, []string{"d"}) == "set" {
		t.Fatal("Delete did not remove what the call finds")
	}
	// A time in a named zone would read back with its offset only: such a
	// key is not stored, and neither is its result.
	cest := at.In(time.FixedZone("CEST", 2*3600))
	if err := m.Cache().Set(persist.Key{{"n", 6}, {"at", cest}}, "x"); !errors.Is(err, persist.ErrUnhashable) {
		t.Fatalf("Set with a key that reads back as another: %v", err)
	}
	before = calls.Load()
	f(6, argPoint{}, cest, nil)
	f(6, argPoint{}, cest, nil)
	if calls.Load() != before+2 {
		t.Fatal("a result was stored under a key that reads back as another")
	}
}

// TestUnhashedKeyIsNormalised: a key Unhash spells another way (an int for
// an int64 parameter) is the call's key, not a collision.
func TestUnhashedKeyIsNormalised(t *testing.T) {
	f, m, err := persist.Wrap(func(x int64) (int64, error) { return 2 * x, nil }, persist.Options{Cache: memURL(t), FuncName: "double",
		Hash: func(k persist.Key) string { return fmt.Sprint("x", k[0].Value) },
		Unhash: func(h string) (persist.Key, error) {
			n, err := strconv.Atoi(strings.TrimPrefix(h, "x"))
			return persist.Key{{"arg0", n}}, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	f(3)
	if v, err := f(3); v != 6 || err != nil {
		t.Fatalf("hit: %v, %v", v, err)
	}
	for k, err := range m.Cache().Keys() {
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(mustEncode(t, k), mustEncode(t, persist.Key{{"arg0", int64(3)}})) {
			t.Fatalf("Unhash's key %#v is not the call's", k)
		}
	}
}

// TestDeepKeyMessageIsShort: a key nested a thousand deep is refused, with
// a message that keeps the head and tail of its path, not kilobytes.
func TestDeepKeyMessageIsShort(t *testing.T) {
	var l *listNode
	for i := range 1100 {
		l = &listNode{i, l}
	}
	f, _, err := persist.Wrap(func(l *listNode) (int, error) { return l.Val, nil }, persist.Options{Cache: memURL(t), FuncName: "deep"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f(l)
	var ue *persist.UnhashableError
	if !errors.As(err, &ue) || !errors.Is(err, persist.ErrUnhashable) {
		t.Fatalf("got %v", err)
	}
	if len(ue.Path) < 1000 {
		t.Fatalf("Path is %d bytes: the whole path is kept in the error", len(ue.Path))
	}
	msg := err.Error()
	if len(msg) > 300 || !strings.HasPrefix(msg, "persist: unhashable persist_test.listNode at arg0.Next.Next") || !strings.Contains(msg, " … ") ||
		!strings.HasSuffix(msg, ".Next.Next: it is nested too deeply") {
		t.Fatalf("message of %d bytes: %s", len(msg), msg)
	}
}
