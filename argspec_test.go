package persist_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gopersist/persist"
	_ "github.com/gopersist/persist/stores/memstore"
)

// bazSpec is baz(a, b, c=3, d=4, *, e, f=6, g=7).
type bazSpec struct {
	A, B int
	C    int `persist:",default"`
	D    int `persist:",default"`
	E    int `persist:",kwonly"`
	F    int `persist:",kwonly,default"`
	G    int `persist:",kwonly,default"`
}

var baz = bazSpec{C: 3, D: 4, F: 6, G: 7}

// fooVarSpec is foo(*someargs).
type fooVarSpec struct {
	Someargs []int `persist:",variadic"`
}

// barSpec is bar(x, y, *someargs).
type barSpec struct {
	X, Y     int
	Someargs []int `persist:",variadic"`
}

// fooSpec is the seed's foo(x, y, z=1, *, a=3).
type fooSpec struct {
	X, Y int
	Z    int `persist:",default"`
	A    int `persist:",kwonly,default"`
}

var foo = fooSpec{Z: 1, A: 3}

// oneSpec is one(a, *, k=0): one positional parameter, for the singular
// forms of the messages.
type oneSpec struct {
	A int
	K int `persist:",kwonly,default"`
}

// kwOnlySpec is kwo(*, k).
type kwOnlySpec struct {
	K int `persist:",kwonly"`
}

// abcSpec is abc(a, b, c), for the three-name form of "missing".
type abcSpec struct{ A, B, C int }

// smallSpec is small(n int8, u uint8).
type smallSpec struct {
	N int8
	U uint8
}

type xyPoint struct{ X, Y int }

type tiny struct{ N int8 }

// tinySpec is tiny(t tiny).
type tinySpec struct{ T tiny }

func ptrTo[T any](v T) *T { return &v }

// shapeSpec is shape(p, tags=["a", "b"], origin=xyPoint{1, 2}, scale=NaN):
// defaults of slice, struct and float types.
type shapeSpec struct {
	P      xyPoint
	Tags   []string `persist:",default"`
	Origin xyPoint  `persist:",default"`
	Scale  float64  `persist:",default"`
}

var shape = shapeSpec{Tags: []string{"a", "b"}, Origin: xyPoint{1, 2}, Scale: math.NaN()}

// namedSpec renames its parameters and leaves one out of the key.
type namedSpec struct {
	First  int    `persist:"x"`
	Second int    `persist:"y_value,default"`
	Log    string `persist:"log,ignore"`
}

func TestArgTupleKeys(t *testing.T) {
	tests := []struct {
		name string
		fn   string
		spec any
		args []any
		kw   persist.KW
		want persist.Key
	}{
		{"baz seed call", "baz", baz, []any{10, 2, 3}, persist.KW{"e": 50, "g": 3, "f": 6},
			persist.Key{{"a", 10}, {"b", 2}, {"e", 50}, {"g", 3}}},
		{"baz all by keyword", "baz", baz, nil, persist.KW{"b": 2, "a": 10, "e": 50, "g": 3},
			persist.Key{{"a", 10}, {"b", 2}, {"e", 50}, {"g", 3}}},
		{"baz positional with default kept when different", "baz", baz, []any{1, 2, 30, 40}, persist.KW{"e": 5},
			persist.Key{{"a", 1}, {"b", 2}, {"c", 30}, {"d", 40}, {"e", 5}}},
		{"baz keyword-only defaults dropped", "baz", baz, []any{1, 2}, persist.KW{"e": 5, "f": 6, "g": 7},
			persist.Key{{"a", 1}, {"b", 2}, {"e", 5}}},
		{"foo variadic only", "foo", fooVarSpec{}, []any{1, 2, 3}, nil,
			persist.Key{{"*someargs", []int{1, 2, 3}}}},
		{"foo variadic empty is left out", "foo", fooVarSpec{}, nil, nil, persist.Key{}},
		{"bar variadic sorts first", "bar", barSpec{}, []any{8, 7, 1, 2, 3}, nil,
			persist.Key{{"*someargs", []int{1, 2, 3}}, {"x", 8}, {"y", 7}}},
		{"bar no surplus", "bar", barSpec{}, []any{8, 7}, nil, persist.Key{{"x", 8}, {"y", 7}}},
		{"bar by keyword", "bar", barSpec{}, nil, persist.KW{"y": 7, "x": 8}, persist.Key{{"x", 8}, {"y", 7}}},
		{"float64 3 fills an int, as from JSON", "baz", baz, []any{float64(3), 2}, persist.KW{"e": float64(50)},
			persist.Key{{"a", 3}, {"b", 2}, {"e", 50}}},
		{"float64 equal to a default is dropped", "baz", baz, []any{1, 2, float64(3)}, persist.KW{"e": 5},
			persist.Key{{"a", 1}, {"b", 2}, {"e", 5}}},
		{"int8 in range", "small", smallSpec{}, []any{int64(-128), 255}, nil,
			persist.Key{{"n", int8(-128)}, {"u", uint8(255)}}},
		{"json.Number 1e3 fills an int8", "small", smallSpec{}, []any{json.Number("1e2"), json.Number("200")}, nil,
			persist.Key{{"n", int8(100)}, {"u", uint8(200)}}},
		{"pointer to an int fills an int8", "small", smallSpec{}, []any{ptrTo(5), ptrTo(uint(6))}, nil,
			persist.Key{{"n", int8(5)}, {"u", uint8(6)}}},
		{"map fills a struct", "shape", shape, []any{map[string]any{"X": 1, "Y": float64(2)}}, nil,
			persist.Key{{"p", xyPoint{1, 2}}}},
		{"slice, struct and NaN defaults equal are dropped", "shape", shape,
			[]any{xyPoint{}, []string{"a", "b"}, xyPoint{1, 2}, math.NaN()}, nil,
			persist.Key{{"p", xyPoint{}}}},
		{"slice and struct defaults different are kept", "shape", shape,
			[]any{xyPoint{}}, persist.KW{"tags": []string{"a"}, "origin": map[string]any{"X": 1, "Y": 3}, "scale": 2.0},
			persist.Key{{"origin", xyPoint{1, 3}}, {"p", xyPoint{}}, {"scale", 2.0}, {"tags", []string{"a"}}}},
		{"names from tags, ignored parameter left out", "named", namedSpec{Second: 5}, []any{1, 5, "verbose"}, nil,
			persist.Key{{"x", 1}}},
		{"renamed parameter by keyword", "named", namedSpec{Second: 5}, []any{1}, persist.KW{"y_value": 6, "log": "x"},
			persist.Key{{"x", 1}, {"y_value", 6}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := persist.ArgTuple(tt.fn, tt.spec, tt.args, tt.kw)
			if err != nil {
				t.Fatalf("ArgTuple: %v", err)
			}
			// Exact types matter: a key holding int64(10) hashes apart from int(10).
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ArgTuple = %#v\nwant       %#v", got, tt.want)
			}
		})
	}
}

// TestArgTupleSeedFoo is the seed's foo(x, y, z=1, *, a=3): five spellings
// of one call give one key; changing a or z gives others.
func TestArgTupleSeedFoo(t *testing.T) {
	key := func(args []any, kw persist.KW) persist.Key {
		t.Helper()
		k, err := persist.ArgTuple("foo", foo, args, kw)
		if err != nil {
			t.Fatalf("foo(%v, %v): %v", args, kw, err)
		}
		return k
	}
	same := []persist.Key{
		key([]any{1, 4}, persist.KW{"z": 3}),
		key([]any{1}, persist.KW{"y": 4, "z": 3}),
		key([]any{1}, persist.KW{"z": 3, "y": 4}),
		key([]any{1, 4, 3}, persist.KW{"a": 3}),
		key([]any{1, 4}, persist.KW{"a": 3, "z": 3}),
	}
	want := persist.Key{{"x", 1}, {"y", 4}, {"z", 3}}
	for i, k := range same {
		if !reflect.DeepEqual(k, want) {
			t.Errorf("spelling %d: key %v, want %v", i, k, want)
		}
	}
	other := key([]any{1, 4, 3}, persist.KW{"a": 7})
	third := key([]any{1, 4}, persist.KW{"a": 3, "z": 1})
	if want := (persist.Key{{"a", 7}, {"x", 1}, {"y", 4}, {"z", 3}}); !reflect.DeepEqual(other, want) {
		t.Errorf("foo(1,4,3,a=7) = %v, want %v", other, want)
	}
	if want := (persist.Key{{"x", 1}, {"y", 4}}); !reflect.DeepEqual(third, want) {
		t.Errorf("foo(1,4,a=3,z=1) = %v, want %v", third, want)
	}
	hashes := map[string]string{}
	for _, k := range []persist.Key{same[0], other, third} {
		h, err := persist.Hash(k)
		if err != nil {
			t.Fatal(err)
		}
		if prev, dup := hashes[h]; dup {
			t.Errorf("keys %s and %v share hash %s", prev, k, h)
		}
		hashes[h] = k.String()
	}
}

func TestArgTupleErrors(t *testing.T) {
	p300 := ptrTo(300)
	tests := []struct {
		name string
		fn   string
		spec any
		args []any
		kw   persist.KW
		want string
	}{
		{"too many positional", "baz", baz, []any{1, 2, 3, 4, 5}, nil,
			"baz() takes from 2 to 4 positional arguments but 5 were given"},
		{"too many positional with keyword-only given", "baz", baz, []any{1, 2, 3, 4, 5}, persist.KW{"e": 1},
			"baz() takes from 2 to 4 positional arguments but 5 positional arguments (and 1 keyword-only argument) were given"},
		{"too many positional with two keyword-only given", "baz", baz, []any{1, 2, 3, 4, 5}, persist.KW{"e": 1, "g": 2},
			"baz() takes from 2 to 4 positional arguments but 5 positional arguments (and 2 keyword-only arguments) were given"},
		{"keyword-only given by position", "foo", foo, []any{1, 4, 3, 3}, nil,
			"foo() takes from 2 to 3 positional arguments but 4 were given"},
		{"takes exactly", "abc", abcSpec{}, []any{1, 2, 3, 4}, nil,
			"abc() takes 3 positional arguments but 4 were given"},
		{"takes one", "one", oneSpec{}, []any{1, 2}, nil,
			"one() takes 1 positional argument but 2 were given"},
		{"takes none, one was given", "kwo", kwOnlySpec{}, []any{1}, nil,
			"kwo() takes 0 positional arguments but 1 was given"},
		{"takes none, one was given with a keyword-only", "kwo", kwOnlySpec{}, []any{1}, persist.KW{"k": 2},
			"kwo() takes 0 positional arguments but 1 positional argument (and 1 keyword-only argument) were given"},
		{"takes one, with a keyword-only given", "one", oneSpec{}, []any{1, 2}, persist.KW{"k": 1},
			"one() takes 1 positional argument but 2 positional arguments (and 1 keyword-only argument) were given"},
		{"missing one positional", "baz", baz, []any{1}, persist.KW{"e": 5},
			"baz() missing 1 required positional argument: 'b'"},
		{"missing two positional", "baz", baz, nil, persist.KW{"e": 5},
			"baz() missing 2 required positional arguments: 'a' and 'b'"},
		{"missing three positional", "abc", abcSpec{}, nil, nil,
			"abc() missing 3 required positional arguments: 'a', 'b', and 'c'"},
		{"missing positional reported before keyword-only", "baz", baz, nil, nil,
			"baz() missing 2 required positional arguments: 'a' and 'b'"},
		{"missing keyword-only", "baz", baz, []any{1, 2}, nil,
			"baz() missing 1 required keyword-only argument: 'e'"},
		{"unknown keyword", "baz", baz, []any{1, 2}, persist.KW{"e": 1, "zz": 1},
			"baz() got an unexpected keyword argument 'zz'"},
		{"variadic by keyword", "bar", barSpec{}, []any{1, 2}, persist.KW{"someargs": []int{3}},
			"bar() got an unexpected keyword argument 'someargs'"},
		{"both by position and by keyword", "baz", baz, []any{1, 2}, persist.KW{"a": 3, "e": 1},
			"baz() got multiple values for argument 'a'"},
		{"nil for an int", "baz", baz, []any{nil, 2}, persist.KW{"e": 1},
			"baz() argument 'a': cannot use nil as int"},
		{"3.5 for an int", "baz", baz, []any{3.5, 2}, persist.KW{"e": 1},
			"baz() argument 'a': cannot use 3.5 (float64) as int: 3.5 is not a whole number"},
		{"NaN for an int", "baz", baz, []any{math.NaN(), 2}, persist.KW{"e": 1},
			"baz() argument 'a': cannot use nan (float64) as int: NaN is not a whole number"},
		{"2^63 for an int", "baz", baz, []any{float64(1 << 63), 2}, persist.KW{"e": 1},
			"baz() argument 'a': cannot use 9.223372036854776e+18 (float64) as int: 9.223372036854776e+18 does not fit int"},
		{"int overflows int8", "small", smallSpec{}, []any{300, 0}, nil,
			"small() argument 'n': cannot use 300 (int) as int8: 300 does not fit int8"},
		{"uint overflows int8", "small", smallSpec{}, []any{uint(200), 0}, nil,
			"small() argument 'n': cannot use 200 (uint) as int8: 200 does not fit int8"},
		{"negative for a uint8", "small", smallSpec{}, []any{0, -1}, nil,
			"small() argument 'u': cannot use -1 (int) as uint8: -1 does not fit uint8"},
		{"json.Number overflows int8", "small", smallSpec{}, []any{json.Number("1000"), 0}, nil,
			"small() argument 'n': cannot use 1000 (json.Number) as int8: 1000 does not fit int8"},
		{"string for an int", "baz", baz, []any{"1", 2}, persist.KW{"e": 1},
			"baz() argument 'a': cannot use '1' (string) as int: expected type 'int', got unconvertible type 'string'"},
		{"uint64 max for an int", "baz", baz, []any{uint64(math.MaxUint64), 2}, persist.KW{"e": 1},
			"baz() argument 'a': cannot use 18446744073709551615 (uint64) as int: 18446744073709551615 does not fit int"},
		{"pointer to 300 for an int8", "small", smallSpec{}, []any{p300, 0}, nil,
			fmt.Sprintf("small() argument 'n': cannot use %p (*int) as int8: 300 does not fit int8", p300)},
		{"overflow nested in a map", "tiny", tinySpec{}, []any{map[string]any{"N": 1000}}, nil,
			"tiny() argument 't': cannot use {'N': 1000} (map[string]interface {}) as persist_test.tiny: decoding failed due to the following error(s):\n\n'N' 1000 does not fit int8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := persist.ArgTuple(tt.fn, tt.spec, tt.args, tt.kw)
			if err == nil {
				t.Fatalf("ArgTuple = %v, want error %q", k, tt.want)
			}
			if k != nil {
				t.Errorf("ArgTuple returned key %v with its error", k)
			}
			if !errors.Is(err, persist.ErrBadCall) {
				t.Errorf("errors.Is(%v, ErrBadCall) = false", err)
			}
			var ae *persist.ArgumentError
			if !errors.As(err, &ae) {
				t.Fatalf("error %T is not an *ArgumentError", err)
			}
			if ae.Func != tt.fn {
				t.Errorf("ArgumentError.Func = %q, want %q", ae.Func, tt.fn)
			}
			if err.Error() != tt.want {
				t.Errorf("message\n got %q\nwant %q", err.Error(), tt.want)
			}
		})
	}
}

// Spec types with something wrong, each a distinct type since spec
// metadata is cached per type.
type (
	unknownTagSpec struct {
		A int `persist:",defualt"`
	}
	unexportedSpec struct {
		A int
		b int
	}
	variadicNotLastSpec struct {
		A []int `persist:",variadic"`
		B int
	}
	variadicNotSliceSpec struct {
		A int `persist:",variadic"`
	}
	variadicDefaultSpec struct {
		A []int `persist:",variadic,default"`
	}
	variadicKWOnlySpec struct {
		A []int `persist:",variadic,kwonly"`
	}
	duplicateSpec struct {
		A int
		B int `persist:"a"`
	}
	twoIntSpec    struct{ A, B int }
	threeIntSpec  struct{ A, B, C int }
	typeMismatch  struct{ A, B string }
	variadicOnInt struct {
		A int
		B []int `persist:",variadic"`
	}
)

func TestSpecErrors(t *testing.T) {
	add := func(a, b int) int { return a + b }
	addSlice := func(a int, b []int) int { return a }
	tests := []struct {
		name string
		fn   any // for Decorate; nil means ArgTuple
		spec any
		want string
	}{
		{"not a struct", nil, 5, "persist: spec must be a struct, got int"},
		{"nil spec", nil, nil, "persist: spec must be a struct, got <nil>"},
		{"unknown tag option", nil, unknownTagSpec{},
			`persist: spec field A: unknown tag option "defualt" (want default, kwonly, variadic or ignore)`},
		{"unexported field", nil, unexportedSpec{b: 1}, "persist: spec field b is unexported"},
		{"variadic not last", nil, variadicNotLastSpec{},
			"persist: spec field A: only the last field, a slice, can be variadic"},
		{"variadic not a slice", nil, variadicNotSliceSpec{},
			"persist: spec field A: only the last field, a slice, can be variadic"},
		{"variadic with default", nil, variadicDefaultSpec{},
			"persist: Spec field A for f: a variadic parameter cannot have a default"},
		{"variadic keyword-only", nil, variadicKWOnlySpec{},
			"persist: Spec field A for f: a variadic parameter cannot be keyword-only"},
		{"duplicate names", nil, duplicateSpec{}, `persist: Spec for f names two parameters "a"`},
		{"Decorate: wrong field count", add, threeIntSpec{},
			"persist: Spec for f has 3 fields but func(int, int) int takes 2 parameters"},
		{"Decorate: field type mismatch", add, typeMismatch{},
			"persist: Spec field A for f is string, but parameter 0 is int"},
		{"Decorate: variadic tag on a slice parameter", addSlice, variadicOnInt{},
			"persist: Spec field B for f is variadic, but parameter 1 of func(int, []int) int is not"},
		{"Decorate: spec not a struct", add, "x", "persist: Spec for f must be a struct, got string"},
		{"Decorate: unknown tag option", func(a int) int { return a }, unknownTagSpec{},
			`persist: Spec for f: spec field A: unknown tag option "defualt" (want default, kwonly, variadic or ignore)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.fn == nil {
				var k persist.Key
				k, err = persist.ArgTuple("f", tt.spec, []any{1}, nil)
				if k != nil {
					t.Errorf("key %v returned with error", k)
				}
			} else {
				var m *persist.Memo
				m, err = persist.Decorate(tt.fn, persist.Options{Cache: "mem://spec-errors", FuncName: "f", Spec: tt.spec})
				if m != nil {
					t.Errorf("Memo returned with error")
				}
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !errors.Is(err, persist.ErrBadOptions) {
				t.Errorf("errors.Is(%v, ErrBadOptions) = false", err)
			}
			if errors.Is(err, persist.ErrBadCall) {
				t.Errorf("a spec error matches ErrBadCall: %v", err)
			}
			var oe *persist.OptionsError
			if !errors.As(err, &oe) {
				t.Fatalf("error %T is not an *OptionsError", err)
			}
			if oe.Func != "f" {
				t.Errorf("OptionsError.Func = %q, want f", oe.Func)
			}
			if err.Error() != tt.want {
				t.Errorf("message\n got %q\nwant %q", err.Error(), tt.want)
			}
		})
	}
	// A good spec of the same shape is accepted, so the errors above are
	// about what differs.
	if _, err := persist.ArgTuple("f", twoIntSpec{}, []any{1, 2}, nil); err != nil {
		t.Errorf("twoIntSpec: %v", err)
	}
}

// counted returns a function that counts its calls.
func countCalls[A, R any](calls *atomic.Int64, f func(A) R) func(A) R {
	return func(a A) R { calls.Add(1); return f(a) }
}

// TestDecorateContextLeftOut checks that a context.Context parameter is not
// part of the key: calls with different contexts share one result.
func TestDecorateContextLeftOut(t *testing.T) {
	var calls atomic.Int64
	fn := func(ctx context.Context, x int) int { calls.Add(1); return 3 * x }
	m, err := persist.Decorate(fn, persist.Options{Cache: memURL(t), FuncName: "ctxtriple"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	type ctxKey struct{}
	ctx1 := context.WithValue(context.Background(), ctxKey{}, 1)
	ctx2, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, 2))
	defer cancel()
	for _, call := range []struct {
		args []any
		kw   persist.KW
	}{
		{[]any{ctx1, 4}, nil},
		{[]any{ctx2, 4}, nil},
		{nil, persist.KW{"arg1": 4}}, // the context defaults to Background
		{[]any{context.TODO()}, persist.KW{"arg1": 4}},
	} {
		got, err := m.CallKW(call.args, call.kw)
		if err != nil {
			t.Fatalf("CallKW(%v, %v): %v", call.args, call.kw, err)
		}
		if got != 12 {
			t.Errorf("CallKW(%v, %v) = %v, want 12", call.args, call.kw, got)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("computed %d times, want 1: the context must not be part of the key", n)
	}
	v, err := m.Cache().Get(persist.Key{{"arg1", 4}})
	if err != nil || v != 12 {
		t.Errorf("Cache().Get((('arg1', 4),)) = %v, %v; want 12", v, err)
	}
	if _, err := m.Cache().Get(persist.Key{{"arg0", ctx1}, {"arg1", 4}}); err == nil {
		t.Error("a key naming the context parameter was accepted")
	}
}

// TestDecorateDefaultNames checks that without a Spec parameters are named
// arg0, arg1, … in keys and keywords.
func TestDecorateDefaultNames(t *testing.T) {
	var calls atomic.Int64
	sub := func(a, b int) int { calls.Add(1); return a - b }
	m, err := persist.Decorate(sub, persist.Options{Cache: memURL(t), FuncName: "sub"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got, err := m.Call(10, 3); err != nil || got != 7 {
		t.Fatalf("Call(10, 3) = %v, %v", got, err)
	}
	if got, err := m.CallKW(nil, persist.KW{"arg1": 3, "arg0": 10}); err != nil || got != 7 {
		t.Fatalf("CallKW(arg1=3, arg0=10) = %v, %v", got, err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("computed %d times, want 1", n)
	}
	if v, err := m.Cache().Get(persist.Key{{"arg0", 10}, {"arg1", 3}}); err != nil || v != 7 {
		t.Errorf("Cache().Get((('arg0', 10), ('arg1', 3))) = %v, %v; want 7", v, err)
	}
	_, err = m.CallKW([]any{1}, persist.KW{"a": 2})
	if want := "sub() got an unexpected keyword argument 'a'"; err == nil || err.Error() != want {
		t.Errorf("CallKW(1, a=2) error = %v, want %q", err, want)
	}
}

// TestDecorateSeedFoo checks through a Memo that the seed's five spellings
// of foo(1, 4, z=3) compute once.
func TestDecorateSeedFoo(t *testing.T) {
	var calls atomic.Int64
	fn := func(x, y, z, a int) int { calls.Add(1); return x + y + z + a }
	m, err := persist.Decorate(fn, persist.Options{Cache: memURL(t), FuncName: "foo", Spec: foo})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, c := range []struct {
		args []any
		kw   persist.KW
	}{
		{[]any{1, 4}, persist.KW{"z": 3}},
		{[]any{1}, persist.KW{"y": 4, "z": 3}},
		{[]any{1}, persist.KW{"z": 3, "y": 4}},
		{[]any{1, 4, 3}, persist.KW{"a": 3}},
		{[]any{1, 4}, persist.KW{"a": 3, "z": 3}},
	} {
		if got, err := m.CallKW(c.args, c.kw); err != nil || got != 11 {
			t.Errorf("foo(%v, %v) = %v, %v; want 11", c.args, c.kw, got, err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("computed %d times, want 1", n)
	}
	if got, err := m.CallKW([]any{1, 4, 3}, persist.KW{"a": 7}); err != nil || got != 15 {
		t.Errorf("foo(1,4,3,a=7) = %v, %v; want 15", got, err)
	}
	if got, err := m.CallKW([]any{1, 4}, persist.KW{"a": 3, "z": 1}); err != nil || got != 9 {
		t.Errorf("foo(1,4,a=3,z=1) = %v, %v; want 9", got, err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("computed %d times after three distinct keys, want 3", n)
	}
}

func TestKeyString(t *testing.T) {
	tests := []struct {
		key  persist.Key
		want string
	}{
		{persist.Key{{"x", 4}}, "(('x', 4),)"},
		{persist.Key{{"a", 10}, {"b", 2}}, "(('a', 10), ('b', 2))"},
		{persist.Key{}, "()"},
		{nil, "()"},
		{persist.Key{{"x", 2.0}}, "(('x', 2.0),)"},
		{persist.Key{{"x", -1}, {"y", 3.14}}, "(('x', -1), ('y', 3.14))"},
		{persist.Key{{"x", float32(0.5)}}, "(('x', 0.5),)"},
		{persist.Key{{"x", 1e21}}, "(('x', 1e+21),)"},
		{persist.Key{{"x", math.Inf(1)}, {"y", math.NaN()}}, "(('x', inf), ('y', nan))"},
		{persist.Key{{"name", "alice"}}, "(('name', 'alice'),)"},
		{persist.Key{{"s", "it's"}}, `(('s', "it's"),)`},
		{persist.Key{{"*someargs", []int{1, 2, 3}}}, "(('*someargs', [1, 2, 3]),)"},
		{persist.Key{{"l", []any{"a", 1.5, nil, true}}}, "(('l', ['a', 1.5, None, True]),)"},
		{persist.Key{{"b", []byte("hi")}}, `(('b', b"hi"),)`},
		{persist.Key{{"k", persist.Key{{"x", 1}}}}, "(('k', (('x', 1),)),)"},
	}
	for _, tt := range tests {
		if got := tt.key.String(); got != tt.want {
			t.Errorf("Key%#v.String() = %q, want %q", []persist.Arg(tt.key), got, tt.want)
		}
	}
}

// TestArgTupleKeysAreNormalised checks that an ArgTuple key matches what
// Cache().Get accepts as the same call, whatever order the Key is written in.
func TestArgTupleKeysAreNormalised(t *testing.T) {
	var calls atomic.Int64
	fn := countCalls(&calls, func(p xyPoint) int { return p.X * p.Y })
	type pSpec struct{ P xyPoint }
	m, err := persist.Decorate(fn, persist.Options{Cache: memURL(t), FuncName: "area", Spec: pSpec{}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got, err := m.Call(map[string]any{"X": 3, "Y": 4}); err != nil || got != 12 {
		t.Fatalf("Call(map) = %v, %v", got, err)
	}
	if got, err := m.Call(xyPoint{3, 4}); err != nil || got != 12 {
		t.Fatalf("Call(xyPoint) = %v, %v", got, err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("computed %d times, want 1: a map and the struct it fills are one key", n)
	}
	k, err := persist.ArgTuple("area", pSpec{}, []any{xyPoint{3, 4}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := m.Cache().Get(k); err != nil || v != 12 {
		t.Errorf("Cache().Get(%v) = %v, %v", k, v, err)
	}
	if diff := cmp.Diff(persist.Key{{"p", xyPoint{3, 4}}}, k, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("key (-want +got):\n%s", diff)
	}
}
