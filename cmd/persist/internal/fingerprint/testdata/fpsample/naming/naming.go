// Package naming passes function values of every form to fake.Decorate, so
// that the test can compare the names the runtime gives them with those
// persist fingerprint predicts.
package naming

import "example.com/fpsample/fake"

// F is a plain function.
func F(x int) int { return x }

// G is generic.
func G[T any](x T) T { return x }

// T has methods of both receivers.
type T struct{ Inner }

// V has a value receiver.
func (T) V(x int) int { return x }

// P has a pointer receiver.
func (*T) P(x int) int { return x }

// Inner's method is promoted to T.
type Inner struct{}

// M is promoted.
func (Inner) M(x int) int { return x }

// Gen is a generic type.
type Gen[X any] struct{}

// M is a generic type's method.
func (*Gen[X]) M(x X) X { return x }

// I is an interface.
type I interface{ V(int) int }

// Run passes them all.
func Run() {
	var t T
	p := &t
	var g Gen[int]
	var i I = t
	fake.Decorate(F, nil)
	fake.Wrap1(G[int], nil)
	fake.Decorate(t.V, nil)
	fake.Decorate(p.V, nil)
	fake.Decorate(p.P, nil)
	fake.Decorate(T.V, nil)
	fake.Decorate((*T).V, nil)
	fake.Decorate((*T).P, nil)
	fake.Decorate(t.M, nil)
	fake.Decorate(g.M, nil)
	fake.Decorate((*Gen[int]).M, nil)
	fake.Decorate(i.V, nil)
	fake.Decorate(I.V, nil)
}
