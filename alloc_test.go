//go:build !race

package persist_test

import (
	"testing"

	"github.com/gopersist/persist"
)

// TestHitAllocations: a memory-store hit through Wrap1 allocates only the
// store's copy of the entry, and through Func no more than five values
// (the trampoline's argument and result slices, the result, the store's
// copy). Allocations are counted, not timed, so the test is exact; the
// race detector allocates on its own, hence the build tag.
func TestHitAllocations(t *testing.T) {
	opts := persist.Options{Cache: memURL(t), FuncName: "triple"}
	f, memo, err := persist.Wrap(plainTriple, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	f1, _, err := persist.Wrap1(plainTriple, opts)
	if err != nil {
		t.Fatal(err)
	}
	f(5)
	if n := testing.AllocsPerRun(100, func() { f1(5) }); n > 1 {
		t.Errorf("Wrap1 hit: %v allocations, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() { f(5) }); n > 5 {
		t.Errorf("Func hit: %v allocations, want 5 at most", n)
	}
}
