// Package percpu keeps a value per P (each processor running Go code) for
// counters that every goroutine adds to: a counter shared by all of them
// puts its cache line in every core's way, and a core waits for the line
// on each add, while a value per P stays in its core's cache.
package percpu

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Set is a set of values of T, one for each P in the usual case. The zero
// Set is ready for use, and a Set must not be copied once used. T's
// fields must be safe for concurrent use (atomics): a goroutine that
// moves to another P during Use may share a value with that P's
// goroutines, and All reads the values while they change.
type Set[T any] struct {
	// pool hands each P the value it last used from the P's own slot of a
	// sync.Pool, which costs no write to memory another P uses. A value
	// the pool drops (it keeps nothing idle across two collections) stays
	// in cells; the P is then given the next cell in turn.
	pool  sync.Pool
	once  sync.Once
	cells []cell[T] // made by the first Use or All
	next  atomic.Uint32
}

// pad is what keeps two cells' values off one cache line: 128 bytes also
// covers the adjacent-line prefetch of x86 and the lines of Apple's M
// series.
const pad = 128

type cell[T any] struct {
	v T
	_ [pad]byte
}

// maxCells bounds a Set's cells, and so its memory; with more Ps than
// half of it, Ps share cells in turn.
const maxCells = 64

// Use calls f with the calling P's value.
func (s *Set[T]) Use(f func(*T)) {
	v, _ := s.pool.Get().(*T)
	if v == nil {
		v = s.newValue()
	}
	f(v)
	s.pool.Put(v)
}

// newValue is the value for a P that has none in the pool: the next cell
// in turn, of twice as many as there are Ps, so that two Ps share one only
// when the pool has dropped many.
func (s *Set[T]) newValue() *T {
	s.make()
	return &s.cells[int(s.next.Add(1)-1)%len(s.cells)].v
}

func (s *Set[T]) make() {
	s.once.Do(func() { s.cells = make([]cell[T], min(2*runtime.GOMAXPROCS(0), maxCells)) })
}

// All calls f with every value of the set, for a total.
func (s *Set[T]) All(f func(*T)) {
	s.make()
	for i := range s.cells {
		f(&s.cells[i].v)
	}
}
