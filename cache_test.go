package persist_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
)

type xArgs struct{ X int }

func TestCacheAsMap(t *testing.T) {
	var calls atomic.Int32
	f, m, err := persist.Wrap(func(x int) int { calls.Add(1); return 3 * x },
		persist.Options{Cache: memURL(t), FuncName: "triple", Spec: xArgs{}})
	if err != nil {
		t.Fatal(err)
	}
	c := m.Cache()
	f(1)
	f(4)
	if v, err := c.Get(persist.Key{{"x", 4}}); v != 12 || err != nil {
		t.Fatalf("Get x=4: %v, %v", v, err)
	}
	if v, err := c.Get(persist.Key{{"x", 4.0}}); v != 12 || err != nil {
		t.Fatalf("Get with a float64 4 for the int x: %v, %v", v, err)
	}
	if err := c.Set(persist.Key{{"x", 10}}, 31); err != nil {
		t.Fatal(err)
	}
	if got := f(10); got != 31 {
		t.Fatalf("triple(10) after Set = %d, want 31", got)
	}
	_, err = c.Get(persist.Key{{"x", 5}})
	var ke *persist.KeyError
	if !errors.Is(err, persist.ErrNotFound) || !errors.As(err, &ke) || fmt.Sprint(ke.Key) != "(('x', 5),)" {
		t.Fatalf("Get of a missing key: %v", err)
	}
	if err.Error() != "persist: no entry for key (('x', 5),)" {
		t.Fatalf("message %q", err)
	}
	if _, err := c.Get(persist.Key{{"y", 1}}); err == nil || err.Error() != "triple() got an unexpected keyword argument 'y'" {
		t.Fatalf("unknown name: %v", err)
	}
	if n, err := c.Len(); n != 3 || err != nil {
		t.Fatalf("Len = %d, %v", n, err)
	}
	if ok, err := c.Contains(persist.Key{{"x", 1}}); !ok || err != nil {
		t.Fatalf("Contains x=1: %v, %v", ok, err)
	}
	if err := c.Delete(persist.Key{{"x", 1}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(persist.Key{{"x", 1}}); !errors.As(err, &ke) {
		t.Fatalf("second Delete: %v", err)
	}
	if ok, _ := c.Contains(persist.Key{{"x", 1}}); ok {
		t.Fatal("deleted key still there")
	}
	if err := c.Set(persist.Key{{"x", 2}}, "six"); !errors.Is(err, persist.ErrBadCall) {
		t.Fatalf("Set of a string result for an int function: %v", err)
	}
	for _, err := range c.Keys() {
		if !errors.Is(err, persist.ErrKeysNotStored) {
			t.Fatalf("Keys without StoreKey: %v", err)
		}
	}
	if err := m.Clear(); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Len(); n != 0 {
		t.Fatalf("Len after Clear = %d", n)
	}
	before := calls.Load()
	f(4)
	if calls.Load() != before+1 {
		t.Fatal("a cleared result was not recomputed")
	}
}

func TestStoreKeyIteration(t *testing.T) {
	square, m, err := persist.Wrap(func(x int) int { return x * x },
		persist.Options{Cache: memURL(t), FuncName: "square", StoreKey: true, Spec: xArgs{}})
	if err != nil {
		t.Fatal(err)
	}
	square(12)
	square(0)
	var keys, items []string
	for k, err := range m.Cache().Keys() {
		if err != nil {
			t.Fatal(err)
		}
		v := k.(persist.Key)[0].Value
		if _, isInt := v.(int); !isInt {
			t.Fatalf("key value %v is %T, want int", v, v)
		}
		keys = append(keys, fmt.Sprint(k))
	}
	for it, err := range m.Cache().All() {
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, fmt.Sprint(it.Key, " ", it.Value))
	}
	slices.Sort(keys)
	slices.Sort(items)
	if fmt.Sprint(keys) != "[(('x', 0),) (('x', 12),)]" || fmt.Sprint(items) != "[(('x', 0),) 0 (('x', 12),) 144]" {
		t.Fatalf("keys %v items %v", keys, items)
	}
}

func TestHashCollision(t *testing.T) {
	hello := func(persist.Key) string { return "hello world" }
	t.Run("without stored keys the first result is returned", func(t *testing.T) {
		square, _, err := persist.Wrap(func(x int) int { return x * x },
			persist.Options{Cache: memURL(t), FuncName: "square", Hash: hello})
		if err != nil {
			t.Fatal(err)
		}
		if square(3) != 9 || square(4) != 9 {
			t.Fatal("a constant hash did not return the first result, as pypersist does")
		}
	})
	t.Run("stored keys detect it", func(t *testing.T) {
		square, m, err := persist.Wrap(func(x int) (int, error) { return x * x, nil },
			persist.Options{Cache: memURL(t), FuncName: "square", Hash: hello, StoreKey: true, Spec: xArgs{}})
		if err != nil {
			t.Fatal(err)
		}
		if v, err := square(3); v != 9 || err != nil {
			t.Fatal(v, err)
		}
		_, err = square(4)
		var hce *persist.HashCollisionError
		if !errors.Is(err, persist.ErrHashCollision) || !errors.As(err, &hce) {
			t.Fatalf("got %v, want a HashCollisionError", err)
		}
		if fmt.Sprint(hce.Stored) != "(('x', 3),)" || fmt.Sprint(hce.Call) != "(('x', 4),)" {
			t.Fatalf("collision keys %v and %v", hce.Stored, hce.Call)
		}
		if v, _ := m.Cache().Get(persist.Key{{"x", 3}}); v != 9 {
			t.Fatal("the stored result was lost")
		}
	})
	t.Run("unhash detects it", func(t *testing.T) {
		f, _, err := persist.Wrap(func(x float64) (float64, error) { return math.Exp(x), nil },
			persist.Options{Cache: memURL(t), FuncName: "exp",
				Key:    func(x float64) float64 { return x },
				Hash:   func(k float64) string { return "e to the " + strconv.FormatFloat(math.Trunc(k), 'g', -1, 64) },
				Unhash: func(s string) (float64, error) { return strconv.ParseFloat(strings.TrimPrefix(s, "e to the "), 64) }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f(2); err != nil {
			t.Fatal(err)
		}
		if _, err := f(2.5); !errors.Is(err, persist.ErrHashCollision) {
			t.Fatalf("2.5 truncated to the hash of 2: got %v, want a collision", err)
		}
	})
}

func TestUnhashIteration(t *testing.T) {
	exp, m, err := persist.Wrap(func(x float64) float64 { return math.Pow(2.71828, x) },
		persist.Options{Cache: memURL(t), FuncName: "exp",
			Hash:   func(k float64) string { return fmt.Sprintf("e to the %v", k) },
			Key:    func(x float64) float64 { return x },
			Unhash: func(s string) (float64, error) { return strconv.ParseFloat(s[len("e to the "):], 64) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []float64{2, 2.0, -1, 3.14} {
		exp(x)
	}
	got := map[float64]float64{}
	for it, err := range m.Cache().All() {
		if err != nil {
			t.Fatal(err)
		}
		got[it.Key.(float64)] = it.Value.(float64)
	}
	if len(got) != 3 || got[-1] != math.Pow(2.71828, -1) || got[3.14] != math.Pow(2.71828, 3.14) {
		t.Fatalf("items %v", got)
	}
}

func TestCustomPickling(t *testing.T) {
	pow, m, err := persist.Wrap(func(x, y int) int { return int(math.Pow(float64(x), float64(y))) },
		persist.Options{Cache: memURL(t), FuncName: "pow", Pickle: strconv.Itoa, Unpickle: strconv.Atoi,
			Hash: func(k persist.Key) string { return fmt.Sprintf("%v to the %v", k[0].Value, k[1].Value) }})
	if err != nil {
		t.Fatal(err)
	}
	pow(7, 4)
	rec, err := m.Store().Get(context.Background(), "pow", "7 to the 4")
	if err != nil || string(rec.Result) != "2401" {
		t.Fatalf("stored %q, %v; want the text 2401", rec.Result, err)
	}
	if err := m.Store().Put(context.Background(), "pow", "7 to the 4", stores.Record{Result: []byte("2402")}); err != nil {
		t.Fatal(err)
	}
	if pow(7, 4) != 2402 {
		t.Fatal("the stored text was not read back with Unpickle")
	}
}

// damage writes each kind of damaged result over the entry of triple(2)
// in turn, calling check after each.
func damage(t *testing.T, m *persist.Memo, check func(bad []byte, hash string)) {
	t.Helper()
	ctx := context.Background()
	var good []byte
	var hash string
	for e, err := range m.Store().Entries(ctx, m.FuncName(), stores.AllParts) {
		if err != nil {
			t.Fatal(err)
		}
		hash, good = e.Hash, e.Result
	}
	if good == nil {
		t.Fatal("nothing stored to damage")
	}
	for _, bad := range [][]byte{good[:len(good)-1], append(slices.Clone(good[:len(good)-1]), good[len(good)-1]^1), []byte("6"), nil} {
		if err := m.Store().Put(ctx, m.FuncName(), hash, stores.Record{Result: bad}); err != nil {
			t.Fatal(err)
		}
		check(bad, hash)
	}
}

// TestDamagedResultIsAMiss: by default a damaged entry is recomputed and
// replaced, logged once at the problems level, and a function without an
// error result does not panic.
func TestDamagedResultIsAMiss(t *testing.T) {
	var calls atomic.Int32
	var log strings.Builder
	logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug - 4}))
	f, m, err := persist.Wrap(func(x int) int { calls.Add(1); return 3 * x },
		persist.Options{Cache: memURL(t), FuncName: "triple", Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	f(2)
	damage(t, m, func(bad []byte, hash string) {
		log.Reset()
		before := calls.Load()
		if v := f(2); v != 6 || calls.Load() != before+1 {
			t.Fatalf("damaged %q: got %d after %d computations, want 6 computed once", bad, v, calls.Load()-before)
		}
		if n := strings.Count(log.String(), "Damaged entry"); n != 1 {
			t.Fatalf("damaged %q: logged %d times, want once:\n%s", bad, n, log.String())
		}
		if !strings.Contains(log.String(), "level=WARN") {
			t.Fatalf("damaged %q: not logged at the problems level:\n%s", bad, log.String())
		}
		if v, err := m.Cache().Get(persist.Key{{"arg0", 2}}); v != 6 || err != nil {
			t.Fatalf("damaged %q: not replaced: %v, %v", bad, v, err)
		}
	})
}

// TestFailOnDamaged keeps the strict behaviour: a DecodeError, and the
// entry left as it is. A function with no error result cannot report it,
// so Decorate refuses the option for it.
func TestFailOnDamaged(t *testing.T) {
	var calls atomic.Int32
	opts := persist.Options{Cache: memURL(t), FuncName: "triple", Verbosity: persist.Silent, FailOnDamaged: true}
	f, m, err := persist.Wrap(func(x int) (int, error) { calls.Add(1); return 3 * x, nil }, opts)
	if err != nil {
		t.Fatal(err)
	}
	f(2)
	damage(t, m, func(bad []byte, hash string) {
		_, err := f(2)
		var de *persist.DecodeError
		if !errors.Is(err, persist.ErrDamaged) || !errors.As(err, &de) || de.Hash != hash {
			t.Fatalf("damaged %q: got %v, want a DecodeError", bad, err)
		}
		if rec, _ := m.Store().Get(context.Background(), "triple", hash); string(rec.Result) != string(bad) {
			t.Fatal("the damaged entry was changed with FailOnDamaged")
		}
	})
	if calls.Load() != 1 {
		t.Fatalf("computed %d times with FailOnDamaged, want 1", calls.Load())
	}
	_, err = persist.Decorate(func(x int) int { return x }, opts)
	if want := "persist: FailOnDamaged for triple needs a trailing error result to report a damaged entry through; func(int) int has none"; err == nil || err.Error() != want || !errors.Is(err, persist.ErrBadOptions) {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestSeveralResultsAndMetadata(t *testing.T) {
	divmod, m, err := persist.Wrap(func(a, b int) (int, int, error) { return a / b, a % b, nil },
		persist.Options{Cache: memURL(t), FuncName: "divmod", Metadata: func() string { return "cached by test" }})
	if err != nil {
		t.Fatal(err)
	}
	if q, r, err := divmod(17, 5); q != 3 || r != 2 || err != nil {
		t.Fatal(q, r, err)
	}
	v, err := m.Cache().Get(persist.Key{{"arg0", 17}, {"arg1", 5}})
	if err != nil || fmt.Sprint(v) != "[3 2]" {
		t.Fatalf("Get = %v, %v", v, err)
	}
	if err := m.Cache().Set(persist.Key{{"arg0", 1}, {"arg1", 1}}, []any{7, 8}); err != nil {
		t.Fatal(err)
	}
	if q, r, _ := divmod(1, 1); q != 7 || r != 8 {
		t.Fatalf("after Set: %d %d", q, r)
	}
	for e, err := range m.Store().Entries(context.Background(), "divmod", stores.AllParts) {
		if err != nil || string(e.Meta) != "cached by test" {
			t.Fatalf("metadata %q, %v", e.Meta, err)
		}
	}
}

// TestStoredKeysEqualInAnotherForm checks that StoreKey does not report a
// collision for keys that are equal but written differently: one instant
// in two zones, and -0 beside 0.
func TestStoredKeysEqualInAnotherForm(t *testing.T) {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	f, _, err := persist.Wrap(func(t time.Time, x float64) (string, error) { return t.UTC().String(), nil },
		persist.Options{Cache: memURL(t), FuncName: "f", StoreKey: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f(at, 0); err != nil {
		t.Fatal(err)
	}
	if v, err := f(at.In(time.FixedZone("X", 3600)), math.Copysign(0, -1)); err != nil || v != at.String() {
		t.Fatalf("the same key in another form: %v, %v", v, err)
	}
}

// TestKeyHookReturningKey uses a Key hook that builds a persist.Key of its
// own names: the map view and iteration (through Unhash) work with those
// names. With StoreKey it is refused: a Key's values are interfaces, which
// a stored key cannot bring back with their Go types.
func TestKeyHookReturningKey(t *testing.T) {
	keyHook := func(x, y int) persist.Key { return persist.Key{{"sum", x + y}} }
	_, err := persist.Decorate(func(x, y int) int { return x + y }, persist.Options{Cache: memURL(t), FuncName: "add",
		StoreKey: true, Key: keyHook})
	if want := "persist: StoreKey: the Key hook of add returns persist.Key, whose part interface {} (at [].Value) the default pickling cannot bring back with its Go type, so the stored key would differ from the call's: return another type, or drop StoreKey"; err == nil || err.Error() != want || !errors.Is(err, persist.ErrBadOptions) {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	add, m, err := persist.Wrap(func(x, y int) int { return x + y }, persist.Options{Cache: memURL(t), FuncName: "add",
		Key:  keyHook,
		Hash: func(k persist.Key) string { return fmt.Sprint("sum", k[0].Value) },
		Unhash: func(h string) (persist.Key, error) {
			n, err := strconv.Atoi(strings.TrimPrefix(h, "sum"))
			return persist.Key{{"sum", n}}, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	add(1, 2)
	if v, err := m.Cache().Get(persist.Key{{"sum", 3}}); v != 3 || err != nil {
		t.Fatalf("Get(sum=3) = %v, %v", v, err)
	}
	for k, err := range m.Cache().Keys() {
		if err != nil || fmt.Sprint(k) != "(('sum', 3),)" {
			t.Fatalf("key %v, %v", k, err)
		}
	}
}

// TestOddValuesInMessages prints keys that once made error messages panic.
func TestOddValuesInMessages(t *testing.T) {
	var nilTime *time.Time
	for _, v := range []any{[4]byte{1, 2, 3, 4}, nilTime, map[string]int{"b": 2, "a": 1}} {
		msg := (&persist.KeyError{Key: persist.Key{{"arg0", v}}}).Error()
		if !strings.HasPrefix(msg, "persist: no entry for key (('arg0', ") {
			t.Errorf("message %q", msg)
		}
	}
	if got := persist.Repr(map[string]int{"b": 2, "a": 1}); got != "{'a': 1, 'b': 2}" {
		t.Errorf("Repr of a map = %q", got)
	}
}

// TestSetSeveralResultsConverts checks that Set converts each of several
// results as it does one, and refuses nil for a non-nilable result.
func TestSetSeveralResultsConverts(t *testing.T) {
	two, m, err := persist.Wrap(func(x int) (int, string) { return x, "" }, persist.Options{Cache: memURL(t), FuncName: "two"})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Cache().Set(persist.Key{{"arg0", 1}}, []any{nil, "x"}); !errors.Is(err, persist.ErrBadCall) {
		t.Fatalf("Set with nil for an int result: %v", err)
	}
	if err := m.Cache().Set(persist.Key{{"arg0", 1}}, []any{int64(5), "x"}); err != nil {
		t.Fatal(err)
	}
	if a, b := two(1); a != 5 || b != "x" {
		t.Fatalf("after Set: %d %q", a, b)
	}
}
