// Package fpsample is the module the fingerprint tests edit: it memoises
// functions of every kind persist fingerprint handles.
package fpsample

import (
	"strconv"

	"github.com/gopersist/persist"

	"example.com/fpsample/calc"
)

const offset = 10

func helper(x int) int {
	return x + offset
}

// Computed counts Triple's calls: the hits test reads it to tell a hit
// from a miss.
var Computed int

// Triple calls a helper that reads a constant.
func Triple(x int) int {
	Computed++
	y := helper(x)
	return 3 * y
}

// Unrelated is used by no memoised function.
func Unrelated(x int) int { return x - 1 }

// IsEven and IsOdd recurse into each other.
func IsEven(n int) bool {
	if n == 0 {
		return true
	}
	return IsOdd(n - 1)
}

// IsOdd is IsEven's other half.
func IsOdd(n int) bool {
	if n == 0 {
		return false
	}
	return IsEven(n - 1)
}

// Pricer has methods memoised as a method value and a method expression.
type Pricer struct{ Rate int }

// Price calls into the module's other package.
func (p Pricer) Price(n int) int { return p.Rate * calc.Scale(n) }

// Bump has a pointer receiver.
func (p *Pricer) Bump(n int) int {
	p.Rate++
	return n + p.Rate
}

// TotalArea calls through an interface of the module.
func TotalArea(shapes []calc.Shape) int {
	total := 0
	for _, s := range shapes {
		total += s.Area()
	}
	return total
}

// Itoa reads a package-level variable of the other package.
func Itoa(x int) string { return strconv.Itoa(calc.Lookup(x)) }

// Gen is generic.
func Gen[T any](x T) []T { return []T{x, x} }

// Square is memoised through a helper of the package's own.
func Square(x int) int { return x * x }

// Cube is memoised through a method that calls that helper.
func Cube(x int) int { return x * x * x }

// memoise passes its function on to persist, as a program's helper might.
func memoise(fn any, name string) error {
	_, err := persist.Decorate(fn, persist.Options{FuncName: name})
	return err
}

type registry struct{ prefix string }

// add passes its function on to memoise.
func (r *registry) add(name string, fn any) error { return memoise(fn, r.prefix+name) }

// Setup memoises them all, and a few function values that get no
// fingerprint.
func Setup() error {
	var p Pricer
	f := Unrelated
	for _, fn := range []func() error{
		func() error { _, _, err := persist.Wrap1(Triple, persist.Options{}); return err },
		func() error { _, err := persist.Decorate(p.Price, persist.Options{FuncName: "price"}); return err },
		func() error { _, err := persist.Decorate((*Pricer).Bump, persist.Options{}); return err },
		func() error { _, _, err := persist.Wrap1(IsEven, persist.Options{}); return err },
		func() error { _, _, err := persist.Wrap1(IsOdd, persist.Options{}); return err },
		func() error { _, _, err := persist.Wrap(TotalArea, persist.Options{}); return err },
		func() error { _, _, err := persist.Wrap1(Itoa, persist.Options{}); return err },
		func() error {
			_, _, err := persist.Wrap1[int, []int](Gen[int], persist.Options{FuncName: "gen"})
			return err
		},
		func() error { _, _, err := persist.Wrap1(Triple, persist.Options{FuncName: "triple2"}); return err },
		func() error { return memoise(Square, "square") },
		func() error { r := &registry{prefix: "r-"}; return r.add("cube", Cube) },
		// No fingerprint: a literal, a function of another module, a variable.
		func() error {
			_, err := persist.Decorate(func(x int) int { return x }, persist.Options{FuncName: "lit"})
			return err
		},
		func() error { _, err := persist.Decorate(strconv.Itoa, persist.Options{}); return err },
		func() error { _, err := persist.Decorate(f, persist.Options{FuncName: "f"}); return err },
	} {
		if err := fn(); err != nil {
			return err
		}
	}
	return nil
}
