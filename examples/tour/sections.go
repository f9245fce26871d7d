package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/gopersist/persist"
)

type xArg struct{ X int }

func (t *tour) persist() {
	m := t.decorate(func(x int) int { t.work(); return 3 * x },
		persist.Options{FuncName: "triple", Spec: xArg{}})
	if m == nil {
		return
	}
	defer m.Close()
	triple := m.Func().(func(int) int)
	for _, x := range []int{1, 4, 1} {
		t.call(fmt.Sprintf("triple(%d)", x), 3*x, func() (any, error) { return triple(x), nil })
	}
	files := t.listdir("triple")
	t.show("listdir('%s/triple') = %q", t.dir, files)
	if len(files) > 0 {
		data, err := os.ReadFile(filepath.Join(t.dir, "triple", files[0]))
		t.expect(err == nil, "read %s: %v", files[0], err)
		t.show("%s holds %d bytes: the result, pickled (CBOR) in a checksummed frame", files[0], len(data))
	}
	c := m.Cache()
	t.call("triple.cache[(('x', 4),)]", 12, func() (any, error) { return c.Get(persist.Key{{Name: "x", Value: 4}}) })
	t.expect(c.Set(persist.Key{{Name: "x", Value: 10}}, 31) == nil, "cache[(('x', 10),)] = 31 failed")
	t.show("triple.cache[(('x', 10),)] = 31")
	t.call("triple(10)", 31, func() (any, error) { return triple(10), nil })
	_, err := c.Get(persist.Key{{Name: "x", Value: 5}})
	var ke *persist.KeyError
	t.expect(errors.As(err, &ke), "cache[(('x', 5),)] should be a KeyError, got %v", err)
	t.show("triple.cache[(('x', 5),)]: bad key: %v", ke.Key)
	n, err := c.Len()
	t.show("len(triple.cache) = %d", n)
	t.expect(err == nil && n == 3, "len should be 3, got %d (%v)", n, err)
}

func (t *tour) customPickling() {
	double := func(x any) any {
		t.work()
		switch v := x.(type) {
		case float64: // as JSON decodes a number
			return 2 * v
		case int:
			return 2 * v
		case string:
			return v + v
		}
		return nil
	}
	m := t.decorate(double, persist.Options{FuncName: "double", Spec: struct{ X any }{},
		Pickle:   json.Marshal,
		Unpickle: func(b []byte) (v any, err error) { err = json.Unmarshal(b, &v); return v, err }})
	if m == nil {
		return
	}
	defer m.Close()
	t.call("double(2)", 4, func() (any, error) { return m.Call(2) })
	t.call("double(2)", 4, func() (any, error) { return m.Call(2) })
	t.call("double(x=2)", 4, func() (any, error) { return m.CallKW(nil, persist.KW{"x": 2}) })
	t.call("double(0)", 0, func() (any, error) { return m.Call(0) })
	t.call(`double("hello!")`, "hello!hello!", func() (any, error) { return m.Call("hello!") })
	for _, f := range t.listdir("double") {
		data, _ := os.ReadFile(filepath.Join(t.dir, "double", f))
		t.show("%s: %s", f, data)
	}
}

func (t *tour) storageLocation() {
	type fooArgs struct {
		X, Y int
		Z    int `persist:",default"`
		A    int `persist:",kwonly,default"`
	}
	dir := filepath.Join(filepath.Dir(filepath.Clean(t.dir)), "results_for_alice")
	m := t.decorate(func(x, y, z, a int) int { t.work(); return x + y + z + a },
		persist.Options{Cache: "file://" + dir + "/", FuncName: "foofighters", Spec: fooArgs{Z: 1, A: 3}})
	if m == nil {
		return
	}
	defer m.Close()
	for _, c := range []struct {
		label string
		args  []any
		kw    persist.KW
		want  int
	}{
		{"foo(1,4,z=3)", []any{1, 4}, persist.KW{"z": 3}, 11},
		{"foo(1,y=4,z=3)", []any{1}, persist.KW{"y": 4, "z": 3}, 11},
		{"foo(1,z=3,y=4)", []any{1}, persist.KW{"z": 3, "y": 4}, 11},
		{"foo(1,4,3,a=3)", []any{1, 4, 3}, persist.KW{"a": 3}, 11},
		{"foo(1,4,3,a=7)", []any{1, 4, 3}, persist.KW{"a": 7}, 15},
		{"foo(1,4,a=3,z=3)", []any{1, 4}, persist.KW{"a": 3, "z": 3}, 11},
		{"foo(1,4,a=7,z=3)", []any{1, 4}, persist.KW{"a": 7, "z": 3}, 15},
	} {
		t.call(c.label, c.want, func() (any, error) { return m.CallKW(c.args, c.kw) })
	}
	t.show("results in %s/foofighters", dir)
	type bazArgs struct {
		A, B int
		C    int `persist:",default"`
		D    int `persist:",default"`
		E    int `persist:",kwonly"`
		F    int `persist:",kwonly,default"`
		G    int `persist:",kwonly,default"`
	}
	key, err := persist.ArgTuple("baz", bazArgs{C: 3, D: 4, F: 6, G: 7}, []any{10, 2, 3}, persist.KW{"e": 50, "g": 3, "f": 6})
	t.show("arg_tuple(baz, 10, 2, 3, e=50, g=3, f=6) = %v", key)
	t.expect(err == nil && key.String() == "(('a', 10), ('b', 2), ('e', 50), ('g', 3))", "arg_tuple gave %v, %v", key, err)
}

func (t *tour) customKey() {
	sum := func(args ...int) int {
		t.work()
		acc := 0
		for _, x := range args {
			acc += x
		}
		return acc
	}
	plain := t.decorate(sum, persist.Options{FuncName: "sum"})
	sorted := t.decorate(sum, persist.Options{FuncName: "sum_sorted",
		Key: func(args ...int) []int { return slices.Sorted(slices.Values(args)) }})
	if plain == nil || sorted == nil {
		return
	}
	defer plain.Close()
	defer sorted.Close()
	for _, m := range []*persist.Memo{plain, sorted} {
		f := m.Func().(func(...int) int)
		t.show("%s:", m.FuncName())
		t.call("sum(1,4,3,7,3,12)", 30, func() (any, error) { return f(1, 4, 3, 7, 3, 12), nil })
		before := t.computed
		t.call("sum(4,12,7,3,3,1)", 30, func() (any, error) { return f(4, 12, 7, 3, 3, 1), nil })
		if m == sorted {
			t.expect(t.computed == before, "with the sorting key, the second order should come from the cache")
		}
	}
}

func (t *tour) customHash() {
	m := t.decorate(func(x, y int) int { t.tally(); return int(math.Pow(float64(x), float64(y))) },
		persist.Options{FuncName: "pow",
			Hash:   func(k persist.Key) string { return fmt.Sprintf("%v to the %v", k[0].Value, k[1].Value) },
			Pickle: strconv.Itoa, Unpickle: strconv.Atoi})
	if m == nil {
		return
	}
	defer m.Close()
	pow := m.Func().(func(int, int) int)
	for _, xy := range [][2]int{{2, 3}, {7, 4}, {1, 3}, {10, 5}, {0, 0}, {2, 16}} {
		t.call(fmt.Sprintf("pow(%d,%d)", xy[0], xy[1]), int(math.Pow(float64(xy[0]), float64(xy[1]))),
			func() (any, error) { return pow(xy[0], xy[1]), nil })
	}
	t.show("listdir('%s/pow') = %q", t.dir, t.listdir("pow"))
	data, err := os.ReadFile(filepath.Join(t.dir, "pow", "7 to the 4.out"))
	t.show("open('%s/pow/7 to the 4.out').read() = %q", t.dir, data)
	t.expect(err == nil && string(data) == "2401", "7 to the 4.out should hold 2401")
}

func (t *tour) storingKeys() {
	m := t.decorate(func(x int) int { t.tally(); return x * x }, persist.Options{FuncName: "square", StoreKey: true, Spec: xArg{}})
	if m == nil {
		return
	}
	defer m.Close()
	square := m.Func().(func(int) int)
	t.call("square(12)", 144, func() (any, error) { return square(12), nil })
	t.call("square(0)", 0, func() (any, error) { return square(0), nil })
	for it, err := range m.Cache().All() {
		t.expect(err == nil, "iterating: %v", err)
		t.show("key %v  value %v", it.Key, it.Value)
	}

	hello := func(persist.Key) string { return "hello world" }
	careless := t.decorate(func(x int) int { t.tally(); return x * x }, persist.Options{FuncName: "square_careless", Hash: hello, Spec: xArg{}})
	if careless == nil {
		return
	}
	defer careless.Close()
	sq := careless.Func().(func(int) int)
	t.call("square(3)", 9, func() (any, error) { return sq(3), nil })
	t.call("square(4), every key one hash", 9, func() (any, error) { return sq(4), nil })
	t.show("listdir('%s/square_careless') = %q", t.dir, t.listdir("square_careless"))

	checked := t.decorate(func(x int) (int, error) { t.tally(); return x * x, nil },
		persist.Options{FuncName: "square_checked", Hash: hello, StoreKey: true, Spec: xArg{}})
	if checked == nil {
		return
	}
	defer checked.Close()
	sqc := checked.Func().(func(int) (int, error))
	t.call("square(3) with stored keys", 9, func() (any, error) { return sqc(3) })
	_, err := sqc(4)
	var hce *persist.HashCollisionError
	t.expect(errors.As(err, &hce), "square(4) should be a HashCollisionError, got %v", err)
	if hce != nil {
		t.show("square(4): Hash collision for keys %v and %v", hce.Stored, hce.Call)
	}
}

func (t *tour) unhashing() {
	m := t.decorate(func(x float64) float64 { t.tally(); return math.Pow(2.71828, x) },
		persist.Options{FuncName: "exp",
			Key:    func(x float64) float64 { return x },
			Hash:   func(k float64) string { return fmt.Sprintf("e to the %v", k) },
			Unhash: func(s string) (float64, error) { return strconv.ParseFloat(s[len("e to the "):], 64) }})
	if m == nil {
		return
	}
	defer m.Close()
	exp := m.Func().(func(float64) float64)
	for _, x := range []float64{2, 2.0, -1, 3.14} {
		t.call(fmt.Sprintf("exp(%v)", x), math.Pow(2.71828, x), func() (any, error) { return exp(x), nil })
	}
	n := 0
	for it, err := range m.Cache().All() {
		t.expect(err == nil, "iterating: %v", err)
		t.show("e to the %v equals %v", it.Key, it.Value)
		n++
	}
	t.expect(n == 3, "exp's cache should hold 3 keys, found %d", n)
}
