package persist_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"slices"
	"testing"

	"github.com/gopersist/persist"
)

// ArgTuple is pypersist's arg_tuple: the key of a call, with the arguments
// named, those equal to their defaults left out, sorted by name. The spec
// describes the parameters as Options.Spec does.
func ExampleArgTuple() {
	// def baz(a, b, c=3, d=4, *, e, f=6, g=7)
	type bazArgs struct {
		A, B int
		C    int `persist:",default"`
		D    int `persist:",default"`
		E    int `persist:",kwonly"`
		F    int `persist:",kwonly,default"`
		G    int `persist:",kwonly,default"`
	}
	spec := bazArgs{C: 3, D: 4, F: 6, G: 7}

	fmt.Println(persist.ArgTuple("baz", spec, []any{10, 2}, persist.KW{"e": 50}))            // baz(10, 2, e=50)
	fmt.Println(persist.ArgTuple("baz", spec, []any{10, 2, 3}, persist.KW{"e": 50, "g": 8})) // c=3 is the default
	_, err := persist.ArgTuple("baz", spec, []any{10, 2}, nil)
	fmt.Println(err, errors.Is(err, persist.ErrBadCall))
	// Output:
	// (('a', 10), ('b', 2), ('e', 50)) <nil>
	// (('a', 10), ('b', 2), ('e', 50), ('g', 8)) <nil>
	// baz() missing 1 required keyword-only argument: 'e' true
}

// A Spec names the parameters and says what kind each is, by a struct with
// one field per parameter. Here scale has a default, verbose does not
// change the result and is left out of the key, and the surplus arguments
// of the variadic parameter are kept under "*values".
func ExampleOptions_spec() {
	dir, err := os.MkdirTemp("", "persist-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	total := func(scale float64, verbose bool, values ...float64) float64 {
		sum := 0.0
		for _, v := range values {
			sum += v
		}
		if verbose {
			fmt.Println("summing", len(values), "values")
		}
		return scale * sum
	}
	type totalArgs struct {
		Scale   float64   `persist:",default"`
		Verbose bool      `persist:",ignore"`
		Values  []float64 `persist:"values"`
	}
	memo, err := persist.Decorate(total, persist.Options{
		Cache: dir, FuncName: "total", Spec: totalArgs{Scale: 1}, StoreKey: true})
	if err != nil {
		log.Fatal(err)
	}
	defer memo.Close()

	fmt.Println(memo.Call(1.0, true, 2, 3))  // computed
	fmt.Println(memo.Call(1.0, false, 2, 3)) // the same key: verbose is ignored
	fmt.Println(memo.Call(10.0, true, 2, 3))
	var keys []string
	for key, err := range memo.Cache().Keys() {
		if err != nil {
			log.Fatal(err)
		}
		keys = append(keys, fmt.Sprint(key))
	}
	slices.Sort(keys)
	fmt.Println(keys)
	// Output:
	// summing 2 values
	// 5 <nil>
	// 5 <nil>
	// summing 2 values
	// 50 <nil>
	// [(('*values', [2.0, 3.0]), ('scale', 10.0)) (('*values', [2.0, 3.0]),)]
}

// KeyOf writes a Key as pypersist writes its tuple, names and values in
// turn; it is the Key literal with its fields spelt out.
func ExampleKeyOf() {
	k := persist.KeyOf("a", 10, "b", 2)
	fmt.Println(k)
	fmt.Println(slices.Equal(k, persist.Key{{Name: "a", Value: 10}, {Name: "b", Value: 2}}))
	// Output:
	// (('a', 10), ('b', 2))
	// true
}

// TestKeyOfPanics checks that KeyOf refuses what no literal could say: a
// name without its value, a name that is not a string.
func TestKeyOfPanics(t *testing.T) {
	for _, args := range [][]any{{"x"}, {"x", 1, "y"}, {4, "x"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("KeyOf(%v) did not panic", args)
				}
			}()
			persist.KeyOf(args...)
		}()
	}
	if k := persist.KeyOf(); len(k) != 0 {
		t.Errorf("KeyOf() = %v, want an empty key", k)
	}
}
