// Package calc is a second package of the sample module: the memoised
// functions call into it, so its code counts in their fingerprints.
package calc

// Rate scales Scale's result.
const Rate = 3

// Unused is read by nothing.
const Unused = 7

var table = []int{1, 2, 3}

// Shape is an interface of the module: a call of Area may reach any of
// the module's shapes.
type Shape interface{ Area() int }

// Square is a Shape with a value receiver.
type Square struct{ Side int }

// Area is the square's.
func (s Square) Area() int { return s.Side * s.Side }

// Rect is a Shape with a pointer receiver.
type Rect struct{ W, H int }

// Area is the rectangle's.
func (r *Rect) Area() int { return r.W * r.H }

// Scale multiplies by Rate.
func Scale(x int) int { return x * Rate }

// Lookup reads the table.
func Lookup(i int) int { return table[i%len(table)] }
