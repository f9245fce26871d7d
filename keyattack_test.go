package persist_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/gopersist/persist"
)

// A custom Hash that collides (it ignores the zone) with StoreKey: the
// stored key must decide, and a key the function can tell apart from the
// stored one must not be a hit.
func TestStoreKeyCollisionTimeZone(t *testing.T) {
	zone := func(tm time.Time) string { return tm.Location().String() }
	memo, err := persist.Decorate(zone, persist.Options{
		Cache:    memURL(t),
		FuncName: "zone",
		StoreKey: true,
		Hash:     func(k persist.Key) string { return k[0].Value.(time.Time).UTC().Format("20060102T150405") },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	if got, err := memo.Call(at); err != nil || got != "UTC" {
		t.Fatalf("zone(UTC) = %v, %v", got, err)
	}
	got, err := memo.Call(at.In(time.FixedZone("GMT", 0)))
	if err == nil && got != "GMT" {
		t.Fatalf("zone(GMT) = %v: the stored entry of the UTC time was returned as a hit", got)
	}
	var hce *persist.HashCollisionError
	if err != nil && !errors.As(err, &hce) {
		t.Fatalf("zone(GMT) error %v", err)
	}
}

// A call with an argument that cannot be converted must be an
// ArgumentError, whatever the argument holds: here one that refers to
// itself.
func TestCyclicArgumentMessage(t *testing.T) {
	double := func(x int) int { return 2 * x }
	memo, err := persist.Decorate(double, persist.Options{Cache: memURL(t), FuncName: "double"})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	cyclic := []any{nil}
	cyclic[0] = cyclic
	_, err = memo.Call(cyclic)
	if !errors.Is(err, persist.ErrBadCall) {
		t.Fatalf("double(cyclic) error %v, want an ArgumentError", err)
	}
}

type probeNode struct {
	Name string
	Next *probeNode
}

func TestCyclicMapIntoStruct(t *testing.T) {
	name := func(n probeNode) string { return n.Name }
	memo, err := persist.Decorate(name, persist.Options{Cache: memURL(t), FuncName: "name"})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	m := map[string]any{"Name": "a"}
	m["Next"] = m
	_, err = memo.Call(m)
	if err == nil {
		t.Fatalf("name(cyclic map) gave no error")
	}
	if !errors.Is(err, persist.ErrBadCall) && !errors.Is(err, persist.ErrUnhashable) {
		t.Fatalf("name(cyclic map) error %v, want a typed error", err)
	}
}

// A Spec may name a parameter "*rest", the name the variadic parameter
// rest has in keys: two calls the function tells apart then share a key.
type probeStarSpec struct {
	Head []int `persist:"*rest,default"`
	Rest []int
}

func TestSpecNameShadowsVariadicKey(t *testing.T) {
	describe := func(head []int, rest ...int) string { return fmt.Sprint("head=", head, " rest=", rest) }
	memo, err := persist.Decorate(describe, persist.Options{Cache: memURL(t), FuncName: "describe", Spec: probeStarSpec{}})
	if err == nil {
		defer memo.Close()
		a, _ := memo.Call([]int{1})
		b, _ := memo.Call(nil, 1)
		t.Fatalf("Decorate took a Spec that names a parameter *rest: describe([1]) = %q and describe(nil, 1) = %q", a, b)
	}
	var optErr *persist.OptionsError
	if !errors.As(err, &optErr) {
		t.Fatalf("Decorate: %v, want an *OptionsError", err)
	}
}

// After Clear the name may change hands (TestNameClaimedByAnotherFunction):
// the old Memo's calls are refused, and so must its Cache's methods be,
// or it reads and writes another function's results.
func TestCacheMethodsAfterNameChangedHands(t *testing.T) {
	url := memURL(t)
	ours, err := decorate(t, area, persist.Options{Cache: url})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ours.Call(4); err != nil || got != 12 {
		t.Fatalf("area(4) = %v, %v", got, err)
	}
	if err := ours.Clear(); err != nil {
		t.Fatal(err)
	}
	theirs, err := decorate(t, persist.AreaOfSquare, persist.Options{Cache: url})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := theirs.Call(4); err != nil || got != 16 {
		t.Fatalf("their area(4) = %v, %v", got, err)
	}
	// Our Cache writes a result of ours for 5 ...
	setErr := ours.Cache().Set(persist.KeyOf("arg0", 5), 18)
	// ... and reads theirs for 4.
	got, getErr := ours.Cache().Get(persist.KeyOf("arg0", 4))
	theirs5, err := theirs.Call(5)
	if err != nil {
		t.Fatal(err)
	}
	if theirs5 != 25 {
		t.Errorf("their area(5) = %v, want 25: our Cache.Set (err %v) wrote into their results", theirs5, setErr)
	}
	if getErr == nil {
		t.Errorf("our Cache.Get(4) = %v: their result, read under a name they own now", got)
	}
	if !errors.Is(setErr, persist.ErrNameClaimed) || !errors.Is(getErr, persist.ErrNameClaimed) {
		t.Errorf("Set error %v, Get error %v; want ErrNameClaimed", setErr, getErr)
	}
	// Delete removes their result.
	delErr := ours.Cache().Delete(persist.KeyOf("arg0", 4))
	if n, _ := theirs.Cache().Len(); n != 2 {
		t.Errorf("their cache holds %d entries after our Delete (err %v), want 2", n, delErr)
	}
}

func TestMapResultAfterNameChangedHands(t *testing.T) {
	url := "file://" + t.TempDir()
	ours, err := decorate(t, attackSeries, persist.Options{Cache: url})
	if err != nil {
		t.Fatal(err)
	}
	if err := ours.Clear(); err != nil {
		t.Fatal(err)
	}
	theirs, err := decorate(t, persist.AttackSeries, persist.Options{Cache: url})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := theirs.Call(1024); err != nil {
		t.Fatal(err)
	}
	r, err := persist.MapResult[float64](ours, 1024)
	if err == nil {
		defer r.Close()
		if v := r.Values(); len(v) > 1 && v[1] != math.Sin(1.7) {
			t.Fatalf("MapResult of our series(1024) = [%v %v ...] (in place %v): their result", v[0], v[1], r.InPlace())
		}
	}
	if !errors.Is(err, persist.ErrNameClaimed) {
		t.Fatalf("MapResult error %v, want ErrNameClaimed", err)
	}
}

// attackSeries has the short name of persist.AttackSeries.
func attackSeries(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.Sin(float64(i) * 1.7)
	}
	return s
}

type probeBox[T any] struct{ V T }

func probeLocal[T any](v T) any {
	type local struct{ V T }
	return local{v}
}

func TestGenericTypeIdentity(t *testing.T) {
	pairs := [][2]any{
		{probeBox[int]{1}, probeBox[int64]{1}},
		{probeBox[time.Duration]{1}, probeBox[int64]{1}},
		{probeLocal(int(1)), probeLocal(int64(1))},
		{probeLocal(time.Duration(1)), probeLocal(int64(1))},
	}
	for _, p := range pairs {
		a, _ := persist.Hash(p[0])
		b, _ := persist.Hash(p[1])
		t.Logf("%T / %T", p[0], p[1])
		if a == b {
			t.Errorf("%T{%v} and %T{%v} share hash %s", p[0], p[0], p[1], p[1], a)
		}
	}
}

func TestVariadicNilVersusEmpty(t *testing.T) {
	isNil := func(xs ...int) bool { return xs == nil }
	f, memo, err := persist.Wrap(isNil, persist.Options{Cache: memURL(t), FuncName: "isNil"})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	if !f() {
		t.Fatal("f() = false")
	}
	if f([]int{}...) {
		t.Fatal("f([]int{}...) = true: the result of f() (nil) was returned for an empty non-nil slice")
	}
}

func TestUnsafeCustomHashEveryOperation(t *testing.T) {
	long := strings.Repeat("h", 201)
	bad := []string{"", ".", "..", "../x", "a/b", "/abs", `a\b`, "a\x00b", long, "../../../../tmp/persist-escape-probe"}
	odd := []string{"\xff\xfe", ".owner", "x.out", "x.key", "h.lock", "a.out.tmp-0123456789abcdef", " ", "-", "..."}
	root := t.TempDir()
	dir := filepath.Join(root, "cache")
	for _, h := range append(bad, odd...) {
		hash := h
		f := func(x int) (int, error) { return x + 1, nil }
		memo, err := persist.Decorate(f, persist.Options{Cache: "file://" + dir, FuncName: "f", StoreKey: true,
			Hash: func(persist.Key) string { return hash }})
		if err != nil {
			t.Fatal(err)
		}
		got, err := memo.Call(1)
		isBad := slices.Contains(bad, h)
		switch {
		case isBad && !errors.Is(err, persist.ErrInvalidHash):
			t.Errorf("hash %q: Call = %v, %v; want ErrInvalidHash", h, got, err)
		case !isBad && (err != nil || got != 2):
			t.Errorf("hash %q: Call = %v, %v", h, got, err)
		}
		for _, op := range []func() error{
			func() error { _, err := memo.Cache().Get(persist.KeyOf("arg0", 1)); return err },
			func() error { return memo.Cache().Set(persist.KeyOf("arg0", 1), 5) },
			func() error { _, err := memo.Cache().Contains(persist.KeyOf("arg0", 1)); return err },
			func() error { return memo.Cache().Delete(persist.KeyOf("arg0", 1)) },
		} {
			if err := op(); isBad && !errors.Is(err, persist.ErrInvalidHash) {
				t.Errorf("hash %q: Cache op error %v, want ErrInvalidHash", h, err)
			}
		}
		memo.Close()
	}
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if e.Name() != "cache" {
			t.Errorf("outside the cache directory: %s", e.Name())
		}
	}
	if _, err := os.Stat("/tmp/persist-escape-probe.out"); err == nil {
		t.Errorf("/tmp/persist-escape-probe.out written")
	}
}

func TestUnsafeCustomHashREST(t *testing.T) {
	url := nameStores(t)["rest"]
	for _, h := range []string{"\xff\xfe", "a b", "a?b", "a#b", "%2e%2e", "a%2fb", "..."} {
		hash := h
		f := func(x int) (int, error) { return x + 1, nil }
		memo, err := persist.Decorate(f, persist.Options{Cache: url, FuncName: "f",
			Hash: func(persist.Key) string { return hash }})
		if err != nil {
			t.Fatal(err)
		}
		got, err := memo.Call(1)
		t.Logf("hash %q: %v, %v (ErrInvalidHash %v)", h, got, err, errors.Is(err, persist.ErrInvalidHash))
		if err != nil && !errors.Is(err, persist.ErrInvalidHash) {
			t.Errorf("hash %q: untyped error %v", h, err)
		}
		memo.Close()
	}
}

type probeWhen struct {
	at time.Time
}

type probeNested struct {
	k persist.Key
}

func TestUnexportedTimeAndKeyFields(t *testing.T) {
	for _, v := range []any{
		probeWhen{time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		[]probeWhen{{time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)}},
		probeNested{persist.KeyOf("a", 1)},
		map[string]probeWhen{"x": {}},
		struct{ v any }{probeWhen{}},
		struct{ m map[probeWhen]probeWhen }{map[probeWhen]probeWhen{{}: {}}},
		struct{ a [1]probeWhen }{},
		struct{ p *probeWhen }{&probeWhen{}},
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("Hash(%T) panics: %v", v, r)
				}
			}()
			if _, err := persist.Hash(v); err != nil {
				t.Errorf("Hash(%T): %v", v, err)
			}
		}()
	}
}

func TestUnexportedTimeFieldCall(t *testing.T) {
	year := func(w probeWhen) (int, error) { return w.at.Year(), nil }
	f, memo, err := persist.Wrap(year, persist.Options{Cache: memURL(t), FuncName: "year"})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("year(probeWhen{...}) panics, though year has an error result: %v", r)
		}
	}()
	got, err := f(probeWhen{time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil || got != 2024 {
		t.Fatalf("year = %v, %v", got, err)
	}
}

// A default is left out of the key. When the Spec's default changes (the
// next run of a program whose code now says 2), an entry stored for the
// old default answers a call with the new one.
type probeScaleSpec struct {
	X      int
	Factor int `persist:",default"`
}

func probeScale(x, factor int) int { return x * factor }

func TestChangedDefaultServesOldResult(t *testing.T) {
	url := "file://" + t.TempDir()
	run1, err := decorate(t, probeScale, persist.Options{Cache: url, Spec: probeScaleSpec{Factor: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := run1.Call(5); err != nil || got != 10 {
		t.Fatalf("run 1: scale(5) = %v, %v", got, err)
	}
	run1.Close()
	run2, err := decorate(t, probeScale, persist.Options{Cache: url, Spec: probeScaleSpec{Factor: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := run2.Call(5, 2); err != nil || got != 10 {
		t.Fatalf("run 2: scale(5, 2) = %v, %v", got, err)
	}
	if got, err := run2.Call(5); err != nil || got != 15 {
		t.Fatalf("run 2: scale(5) with default factor 3 = %v, %v; want 15", got, err)
	}
}

// A default that the caller's own slice backs: changed after Decorate, the
// default's key stays the elided one.
type probeJoinSpec struct {
	Sep   string
	Parts []string `persist:",default"`
}

func TestMutatedDefaultServesOldResult(t *testing.T) {
	join := func(sep string, parts []string) string { return strings.Join(parts, sep) }
	parts := []string{"a", "b"}
	memo, err := persist.Decorate(join, persist.Options{Cache: memURL(t), FuncName: "join", Spec: probeJoinSpec{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	if got, err := memo.Call("-"); err != nil || got != "a-b" {
		t.Fatalf("join(-) = %v, %v", got, err)
	}
	parts[0] = "z" // the caller reuses its slice
	if got, err := memo.Call("-", []string{"z", "b"}); err != nil || got != "z-b" {
		t.Fatalf("join(-, [z b]) = %v, %v; want z-b", got, err)
	}
}

// The Spec names the parameters. A later run whose Spec names them the
// other way round (a fix of a mislabelled spec) reads the old entries with
// the arguments swapped.
func probeKind(x any) string { return fmt.Sprintf("%T", x) }

func probeCtxLen(_ context.Context, s string) (int, error) { return len(s), nil }

func TestWrap1SharesWithFunc(t *testing.T) {
	url := memURL(t)
	var computed int
	kind := func(x any) string { computed++; return probeKind(x) }
	f1, m1, err := persist.Wrap1(kind, persist.Options{Cache: url, FuncName: "kind"})
	if err != nil {
		t.Fatal(err)
	}
	defer m1.Close()
	f, m, err := persist.Wrap(kind, persist.Options{Cache: url, FuncName: "kind"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, v := range []any{nil, 1, int64(1), (*int)(nil), []int(nil), []int{}, "1"} {
		a, b := f1(v), f(v)
		if a != b || a != probeKind(v) {
			t.Errorf("Wrap1(%#v) = %s, Wrap(%#v) = %s, want %s", v, a, v, b, probeKind(v))
		}
	}
	if computed != 7 {
		t.Errorf("computed %d times, want 7: Wrap1 and Wrap of one function must share", computed)
	}
	g2, m2, err := persist.Wrap2E(probeCtxLen, persist.Options{Cache: url})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	g, mg, err := persist.Wrap(probeCtxLen, persist.Options{Cache: url})
	if err != nil {
		t.Fatal(err)
	}
	defer mg.Close()
	if _, err := g2(nil, "abc"); err != nil { //nolint:staticcheck // a nil context, as a caller may pass
		t.Fatal(err)
	}
	if n, err := g(context.Background(), "abc"); err != nil || n != 3 {
		t.Fatal(n, err)
	}
	if s := mg.Stats(); s.Hits != 1 {
		t.Errorf("Wrap's call after Wrap2E's: %+v, want a hit", s)
	}
}

type probeCyc struct {
	Next *probeCyc
	M    map[string]any
}

func TestOddArgumentsTypedErrors(t *testing.T) {
	id := func(x any) (string, error) { return "ok", nil }
	f, memo, err := persist.Wrap1E(id, persist.Options{Cache: memURL(t), FuncName: "id"})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	c := &probeCyc{}
	c.Next = c
	m := map[string]any{}
	m["m"] = m
	deep := any(nil)
	for range 5000 {
		deep = []any{deep}
	}
	var deepPtr *probeCyc
	for range 5000 {
		deepPtr = &probeCyc{Next: deepPtr}
	}
	k := persist.Key{{Name: "a"}}
	k[0].Value = k
	for name, v := range map[string]any{
		"chan": make(chan int), "func": func() {}, "unsafe": unsafe.Pointer(&m),
		"cyclic pointer": c, "cyclic map": m, "deep slice": deep, "deep pointer": deepPtr,
		"cyclic key": k, "map of funcs": map[string]func(){"a": nil},
		"struct with chan": struct{ C chan int }{}, "nil func": (func())(nil),
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: panic %v", name, r)
				}
			}()
			_, err := f(v)
			if !errors.Is(err, persist.ErrUnhashable) {
				t.Errorf("%s: error %v, want ErrUnhashable", name, err)
			}
			_, err = memo.Cache().Get(persist.KeyOf("arg0", v))
			if !errors.Is(err, persist.ErrUnhashable) {
				t.Errorf("%s: Cache.Get error %v, want ErrUnhashable", name, err)
			}
		}()
	}
}

// Two processes on one directory: ours (process 1) has claimed "area";
// another process of ours clears it, and a third program's area claims it.
// Process 1 still believes the name is its own.
func TestReprCyclic(t *testing.T) {
	s := []any{nil}
	s[0] = s
	k := persist.Key{{Name: "a"}}
	k[0].Value = k
	t.Log(persist.Repr(s), k.String())
}

// Two processes on one directory: ours has claimed "area"; another process
// of ours clears it, and another program's area claims it and stores a
// result. Ours read the owner record before all that, and must still not
// take the other function's entry as its own: the entry's stamp names its
// writer. Its call fails as the other function's name, and so does its
// Cache view.
func TestClaimCachedAcrossProcesses(t *testing.T) {
	url := "file://" + t.TempDir()
	ours, err := decorate(t, area, persist.Options{Cache: url})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ours.Call(3); err != nil || got != 6 {
		t.Fatalf("area(3) = %v, %v", got, err)
	}
	theirs := handOverName(t, persist.Options{Cache: url})
	if got, err := theirs.Call(4); err != nil || got != 16 {
		t.Fatalf("their area(4) = %v, %v", got, err)
	}
	if got, err := ours.Call(4); !errors.Is(err, persist.ErrNameClaimed) {
		t.Errorf("our area(4) = %v, %v; want ErrNameClaimed (their entry holds 16)", got, err)
	}
	if got, err := ours.Cache().Get(persist.KeyOf("arg0", 4)); !errors.Is(err, persist.ErrNameClaimed) {
		t.Errorf("our Cache().Get(4) = %v, %v; want ErrNameClaimed", got, err)
	}
	// Their own entries are still theirs.
	if got, err := theirs.Call(4); err != nil || got != 16 {
		t.Errorf("their area(4) afterwards = %v, %v", got, err)
	}
}

// After Clear the name passed to another function: our Len must not count
// their results as ours.
func TestLenAfterNameChangedHands(t *testing.T) {
	url := memURL(t)
	ours, err := decorate(t, area, persist.Options{Cache: url})
	if err != nil {
		t.Fatal(err)
	}
	if err := ours.Clear(); err != nil {
		t.Fatal(err)
	}
	theirs, err := decorate(t, persist.AreaOfSquare, persist.Options{Cache: url})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := theirs.Call(4); err != nil {
		t.Fatal(err)
	}
	if n, err := ours.Cache().Len(); err == nil {
		t.Errorf("our Len = %d, nil error: it counts their results", n)
	}
}
