package percpu_test

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/gopersist/persist/internal/percpu"
)

// TestSetCounts: adds from many goroutines, across collections that make
// the pool drop its values, all reach the total, and the total reads while
// they are made.
func TestSetCounts(t *testing.T) {
	var s percpu.Set[atomic.Int64]
	total := func() (n int64) {
		s.All(func(v *atomic.Int64) { n += v.Load() })
		return n
	}
	const goroutines, adds = 16, 2000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range adds {
				s.Use(func(v *atomic.Int64) { v.Add(1) })
				if i%500 == 0 && g == 0 {
					runtime.GC() // the pool drops what it holds
					runtime.GC()
					_ = total()
				}
			}
		})
	}
	wg.Wait()
	if got := total(); got != goroutines*adds {
		t.Fatalf("total %d, want %d", got, goroutines*adds)
	}
}

// TestSetValuesApart: two values of a Set are never on one cache line, so
// that two Ps' adds do not contend.
func TestSetValuesApart(t *testing.T) {
	var s percpu.Set[atomic.Int64]
	var addrs []uintptr
	s.All(func(v *atomic.Int64) { addrs = append(addrs, uintptr(unsafe.Pointer(v))) })
	if want := min(2*runtime.GOMAXPROCS(0), 64); len(addrs) != want {
		t.Fatalf("%d values, want %d: two for each P, 64 at most", len(addrs), want)
	}
	for i := 1; i < len(addrs); i++ {
		if d := addrs[i] - addrs[i-1]; d < 128+8 {
			t.Fatalf("values %d and %d are %d bytes apart, want a cache line between them", i-1, i, d)
		}
	}
}
