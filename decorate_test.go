package persist_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist"
	_ "github.com/gopersist/persist/stores/memstore"
)

// memURL gives each test its own in-memory store.
// memURL names a memory space of the test's own: the same for every call
// in one test, another for each run of it (go test -count=2), whose
// records would otherwise be there already.
func memURL(t testing.TB) string {
	u, loaded := memURLs.LoadOrStore(t, fmt.Sprintf("mem://%s-%d", t.Name(), memSeq.Add(1)))
	if !loaded {
		t.Cleanup(func() { memURLs.Delete(t) })
	}
	return u.(string)
}

var (
	memURLs sync.Map // testing.TB → its space's URL
	memSeq  atomic.Int64
)

func triple(x int) int { return 3 * x }

type A struct{ n int }

func (a *A) ThisPlusNumber(x int) int { return a.n + x }

func generic[T any](x T) T { return x }

func TestDecorateOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		fn   any
		opts persist.Options
		want string
	}{
		{"key wrong params", triple, persist.Options{Key: func(s string) int { return 0 }},
			"persist: Key for triple must take (int), got func(string) int"},
		{"key not a func", triple, persist.Options{Key: 3},
			"persist: Key for triple must take (int), got int"},
		{"key variadic mismatch", func(xs ...int) int { return 0 }, persist.Options{FuncName: "sum", Key: func(xs []int) []int { return xs }},
			"persist: Key for sum must take (...int), got func([]int) []int"},
		{"hash wrong key type", triple, persist.Options{Hash: func(k int) string { return "" }},
			"persist: Hash for triple must be func(persist.Key) string or func(persist.Key) (string, error), got func(int) string"},
		{"hash wrong result", triple, persist.Options{Hash: func(k persist.Key) int { return 0 }},
			"persist: Hash for triple must be func(persist.Key) string or func(persist.Key) (string, error), got func(persist.Key) int"},
		{"hash of custom key", triple, persist.Options{Key: func(x int) float64 { return float64(x) }, Hash: func(k persist.Key) string { return "" }},
			"persist: Hash for triple must be func(float64) string or func(float64) (string, error), got func(persist.Key) string"},
		{"unhash wrong type", triple, persist.Options{Key: func(x int) float64 { return 0 }, Unhash: func(s string) string { return s }},
			"persist: Unhash for triple must be func(string) float64 or func(string) (float64, error), got func(string) string"},
		{"pickle wrong type", triple, persist.Options{Pickle: func(s string) string { return s }, Unpickle: strconv.Atoi},
			"persist: Pickle for triple must be func(int) string or []byte, optionally with an error, got func(string) string"},
		{"unpickle wrong type", triple, persist.Options{Pickle: strconv.Itoa, Unpickle: strconv.ParseBool},
			"persist: Unpickle for triple must be func(string or []byte) int, optionally with an error, got func(string) (bool, error)"},
		{"pickle alone", triple, persist.Options{Pickle: strconv.Itoa},
			"persist: Pickle and Unpickle for triple must be set together"},
		{"spec not struct", triple, persist.Options{Spec: 3},
			"persist: Spec for triple must be a struct, got int"},
		{"spec field count", triple, persist.Options{Spec: struct{ X, Y int }{}},
			"persist: Spec for triple has 2 fields but func(int) int takes 1 parameter"},
		{"bad funcname", triple, persist.Options{FuncName: "a/b"},
			`persist: FuncName: funcname "a/b" cannot be used: it contains '/', '\' or NUL`},
		{"not a func", 3, persist.Options{}, "persist: Decorate needs a non-nil func, got int"},
		{"nil key hook", triple, persist.Options{Key: (func(int) int)(nil)},
			"persist: Key for triple must take (int), got func(int) int"},
		{"nil hash hook", triple, persist.Options{Hash: (func(persist.Key) string)(nil)},
			"persist: Hash for triple must be func(persist.Key) string or func(persist.Key) (string, error), got func(persist.Key) string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Cache = memURL(t)
			_, err := persist.Decorate(tt.fn, tt.opts)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("got error %v\nwant       %s", err, tt.want)
			}
			var oe *persist.OptionsError
			if !errors.Is(err, persist.ErrBadOptions) || !errors.As(err, &oe) {
				t.Errorf("error %v is not an *OptionsError matching ErrBadOptions", err)
			}
		})
	}
}

func TestFuncNames(t *testing.T) {
	a := &A{n: 1}
	tests := []struct {
		name string
		fn   any
		want string // "" means Decorate must refuse without a FuncName
	}{
		{"plain", triple, "triple"},
		{"method expression", (*A).ThisPlusNumber, "A.ThisPlusNumber"},
		{"method value", a.ThisPlusNumber, ""},
		{"anonymous", func(x int) int { return x }, ""},
		{"generic", generic[int], ""},
		{"made by reflect.MakeFunc", reflect.MakeFunc(reflect.TypeOf(triple), func(in []reflect.Value) []reflect.Value { return in }).Interface(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := persist.Decorate(tt.fn, persist.Options{Cache: memURL(t)})
			if tt.want == "" {
				if !errors.Is(err, persist.ErrBadOptions) || !strings.Contains(err.Error(), "give it a FuncName") {
					t.Fatalf("Decorate accepted a function without a stable name: %v", err)
				}
				m, err = persist.Decorate(tt.fn, persist.Options{Cache: memURL(t), FuncName: "named"})
				if err != nil || m.FuncName() != "named" {
					t.Fatalf("with FuncName: %v, %v", m, err)
				}
				return
			}
			if err != nil || m.FuncName() != tt.want {
				t.Fatalf("FuncName = %q, %v; want %q", m.FuncName(), err, tt.want)
			}
		})
	}
}

func TestMethodExpressionKeyHasReceiver(t *testing.T) {
	f, _, err := persist.Wrap((*A).ThisPlusNumber, persist.Options{Cache: memURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	if got := f(&A{n: 1}, 2); got != 3 {
		t.Fatalf("got %d", got)
	}
	if got := f(&A{n: 10}, 2); got != 12 {
		t.Fatalf("the receiver is not part of the key: got %d, want 12", got)
	}
}

func TestErrorResultNotCached(t *testing.T) {
	var calls atomic.Int32
	fail := true
	parse := func(s string) (int, error) {
		calls.Add(1)
		if fail {
			return 0, errors.New("boom")
		}
		return strconv.Atoi(s)
	}
	f, m, err := persist.Wrap(parse, persist.Options{Cache: memURL(t), FuncName: "parse"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f("7"); err == nil || err.Error() != "boom" {
		t.Fatalf("error not returned: %v", err)
	}
	if n, _ := m.Cache().Len(); n != 0 {
		t.Fatalf("an error result was stored: Len = %d", n)
	}
	fail = false
	for range 2 {
		if v, err := f("7"); v != 7 || err != nil {
			t.Fatalf("got %d, %v", v, err)
		}
	}
	if calls.Load() != 2 {
		t.Fatalf("calls = %d, want 2 (one failure, one success, then a hit)", calls.Load())
	}
}

func TestSingleFlight(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	slow := func(x int) int {
		calls.Add(1)
		<-release
		return x * x
	}
	f, _, err := persist.Wrap(slow, persist.Options{Cache: memURL(t), FuncName: "slow"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 32
	var wg sync.WaitGroup
	results := make([]int, n)
	for i := range n {
		wg.Go(func() { results[i] = f(9) })
	}
	// Give the goroutines time to pile up on the one computation; the
	// assertion below holds whatever the timing.
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("computed %d times, want 1", calls.Load())
	}
	for i, r := range results {
		if r != 81 {
			t.Fatalf("caller %d got %d", i, r)
		}
	}
}

func TestPanicReachesEveryCaller(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	boom := func(x int) int {
		once.Do(func() { close(started) })
		<-release
		panic("boom")
	}
	f, m, err := persist.Wrap(boom, persist.Options{Cache: memURL(t), FuncName: "boom", Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	panics := make(chan any, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			defer func() { panics <- recover() }()
			f(1)
		})
	}
	<-started
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	close(panics)
	count := 0
	for p := range panics {
		if p != "boom" {
			t.Errorf("a caller recovered %v, want the original value \"boom\"", p)
		}
		count++
	}
	if count != n {
		t.Fatalf("%d of %d callers panicked", count, n)
	}
	if l, _ := m.Cache().Len(); l != 0 {
		t.Fatalf("a panicking call stored a result")
	}
}

type node struct{ Next *node }

func TestUnhashableArgument(t *testing.T) {
	cyc := &node{}
	cyc.Next = cyc
	t.Run("error result", func(t *testing.T) {
		f, _, err := persist.Wrap(func(n *node) (int, error) { return 1, nil }, persist.Options{Cache: memURL(t), FuncName: "f"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f(cyc)
		var ue *persist.UnhashableError
		if !errors.Is(err, persist.ErrUnhashable) || !errors.As(err, &ue) || ue.Path != "arg0.Next" {
			t.Fatalf("got %v (%#v), want an UnhashableError at arg0.Next", err, ue)
		}
	})
	t.Run("no error result panics with the error", func(t *testing.T) {
		f, _, err := persist.Wrap(func(c chan int) int { return 1 }, persist.Options{Cache: memURL(t), FuncName: "f"})
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			err, _ := recover().(error)
			if !errors.Is(err, persist.ErrUnhashable) {
				t.Fatalf("recovered %v, want an UnhashableError", err)
			}
		}()
		f(make(chan int))
	})
}

func TestUnsafeCustomHash(t *testing.T) {
	for _, h := range []string{"", ".", "..", "a/b", `a\b`, "a\x00b", strings.Repeat("x", 201)} {
		var calls atomic.Int32
		f, m, err := persist.Wrap(func(x int) (int, error) { calls.Add(1); return x, nil },
			persist.Options{Cache: memURL(t), FuncName: "f", Hash: func(persist.Key) string { return h }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f(1); !errors.Is(err, persist.ErrInvalidHash) {
			t.Errorf("hash %q: got %v, want ErrInvalidHash", h, err)
		}
		if calls.Load() != 0 {
			t.Errorf("hash %q: the function ran before the hash was checked", h)
		}
		if n, _ := m.Cache().Len(); n != 0 {
			t.Errorf("hash %q: something was stored", h)
		}
	}
}

func TestCallAndCallKW(t *testing.T) {
	type fooArgs struct {
		X, Y int
		Z    int `persist:",default"`
		A    int `persist:",kwonly,default"`
	}
	var calls atomic.Int32
	foo := func(x, y, z, a int) int { calls.Add(1); return x + y + z + a }
	m, err := persist.Decorate(foo, persist.Options{Cache: memURL(t), FuncName: "foo", Spec: fooArgs{Z: 1, A: 3}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []any
		kw   persist.KW
	}{
		{[]any{1, 4}, persist.KW{"z": 3}},
		{[]any{1}, persist.KW{"y": 4, "z": 3}},
		{[]any{1, 4, 3}, persist.KW{"a": 3}},
		{[]any{1.0, 4.0, 3.0}, nil}, // as decoded from JSON
	} {
		v, err := m.CallKW(c.args, c.kw)
		if err != nil || v != 11 {
			t.Fatalf("CallKW(%v, %v) = %v, %v", c.args, c.kw, v, err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("equivalent calls computed %d times, want 1", calls.Load())
	}
	if v, err := m.Call(1, 4, 3); v != 11 || err != nil {
		t.Fatalf("Call = %v, %v", v, err)
	}
	if _, err := m.Call(1); err == nil || err.Error() != "foo() missing 1 required positional argument: 'y'" {
		t.Fatalf("Call(1): %v", err)
	}
}

func TestContextParameter(t *testing.T) {
	var calls atomic.Int32
	f, m, err := persist.Wrap(func(ctx context.Context, x int) (int, error) { calls.Add(1); return x, nil },
		persist.Options{Cache: memURL(t), FuncName: "withctx", StoreKey: true})
	if err != nil {
		t.Fatal(err)
	}
	type ctxKey struct{}
	f(context.Background(), 5)
	f(context.WithValue(context.Background(), ctxKey{}, 1), 5)
	if calls.Load() != 1 {
		t.Fatalf("the context changed the key: %d computations", calls.Load())
	}
	for k, err := range m.Cache().Keys() {
		if err != nil || fmt.Sprint(k) != "(('arg1', 5),)" {
			t.Fatalf("key %v, %v", k, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f(ctx, 6); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled context reached no store: %v", err)
	}
}

func TestVariadicAndKeyHook(t *testing.T) {
	var calls atomic.Int32
	sum := func(xs ...int) int {
		calls.Add(1)
		s := 0
		for _, x := range xs {
			s += x
		}
		return s
	}
	sorted := func(xs ...int) []int {
		ys := append([]int(nil), xs...)
		for i := range ys {
			for j := i + 1; j < len(ys); j++ {
				if ys[j] < ys[i] {
					ys[i], ys[j] = ys[j], ys[i]
				}
			}
		}
		return ys
	}
	plain, _, err := persist.Wrap(sum, persist.Options{Cache: memURL(t), FuncName: "sum"})
	if err != nil {
		t.Fatal(err)
	}
	plain(1, 4, 3, 7, 3, 12)
	plain(4, 12, 7, 3, 3, 1)
	if calls.Load() != 2 {
		t.Fatalf("different orders computed %d times, want 2", calls.Load())
	}
	calls.Store(0)
	keyed, _, err := persist.Wrap(sum, persist.Options{Cache: memURL(t), FuncName: "sumsorted", Key: sorted})
	if err != nil {
		t.Fatal(err)
	}
	if keyed(1, 4, 3, 7, 3, 12) != 30 || keyed(4, 12, 7, 3, 3, 1) != 30 {
		t.Fatal("wrong sum")
	}
	if calls.Load() != 1 {
		t.Fatalf("with the sorting key, computed %d times, want 1", calls.Load())
	}
}

func TestStoreErrorDoesNotRecompute(t *testing.T) {
	var calls atomic.Int32
	m, err := persist.Decorate(func(x int) (int, error) { calls.Add(1); return x, nil },
		persist.Options{Cache: memURL(t), FuncName: "f", Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	m.Store().Close() // a store that fails every call
	if _, err := m.Call(1); err == nil || calls.Load() != 0 {
		t.Fatalf("a failing store was ignored: %v, %d calls", err, calls.Load())
	}
	m2, err := persist.Decorate(func(x int) (int, error) { calls.Add(1); return x, nil },
		persist.Options{Store: m.Store(), FuncName: "f", ComputeOnStoreError: true, Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := m2.Call(1); v != 1 || err != nil || calls.Load() != 1 {
		t.Fatalf("ComputeOnStoreError: %v, %v, %d calls", v, err, calls.Load())
	}
}

type withStringer struct {
	Name  string
	Value fmt.Stringer
}

// TestUnstorableResults refuses, at Decorate, result types that the default
// pickling cannot bring back with their Go types, and accepts them with a
// custom pickling.
func TestUnstorableResults(t *testing.T) {
	for _, tt := range []struct {
		fn   any
		want string
	}{
		{func(int) chan int { return nil }, "persist: f returns chan int as result 0, which the default pickling cannot bring back with its Go type: give Pickle and Unpickle"},
		{func(int) any { return nil }, "persist: f returns interface {} as result 0, which the default pickling cannot bring back with its Go type: give Pickle and Unpickle"},
		{func(int) (int, []withStringer) { return 0, nil }, "persist: f returns []persist_test.withStringer as result 1, whose part fmt.Stringer (at [].Value) the default pickling cannot bring back with its Go type: give Pickle and Unpickle"},
		{func(int) complex128 { return 0 }, "persist: f returns complex128 as result 0, which the default pickling cannot bring back with its Go type: give Pickle and Unpickle"},
	} {
		_, err := persist.Decorate(tt.fn, persist.Options{Cache: memURL(t), FuncName: "f"})
		if err == nil || err.Error() != tt.want || !errors.Is(err, persist.ErrBadOptions) {
			t.Errorf("got %v\nwant %s", err, tt.want)
		}
	}
	if _, err := persist.Decorate(func(int) any { return nil }, persist.Options{Cache: memURL(t), FuncName: "f",
		Pickle: func(v any) string { return fmt.Sprint(v) }, Unpickle: func(s string) any { return s }}); err != nil {
		t.Errorf("with a custom pickling: %v", err)
	}
}

// TestCyclicResultIsNotStored returns a value that refers to itself: the
// caller gets it, nothing is stored, and nothing crashes.
func TestCyclicResultIsNotStored(t *testing.T) {
	f, m, err := persist.Wrap(func(x int) *node { n := &node{}; n.Next = n; return n },
		persist.Options{Cache: memURL(t), FuncName: "cyclic", Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	if n := f(1); n == nil || n.Next != n {
		t.Fatal("the cyclic result did not reach the caller")
	}
	if l, _ := m.Cache().Len(); l != 0 {
		t.Fatalf("a cyclic result was stored: Len = %d", l)
	}
}
