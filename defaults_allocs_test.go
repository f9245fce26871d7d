//go:build !race

// The race detector drops sync.Pool items at random: allocation counts
// hold without it only, as in alloc_test.go.

package persist_test

import (
	"testing"
	"time"

	"github.com/gopersist/persist"
)

func probeWait(x int, d time.Duration) int { return x + int(d) }

// A hit whose argument equals a non-scalar default (a time.Duration) costs
// no allocation for the comparison.
func TestDefaultAllocs(t *testing.T) {
	type spec struct {
		X int
		D time.Duration `persist:",default"`
	}
	f, m, err := persist.Wrap2(probeWait, persist.Options{Cache: memURL(t), Spec: spec{D: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f(1, time.Second)
	n := testing.AllocsPerRun(1000, func() { f(1, time.Second) })
	if n > 2 {
		t.Errorf("a hit that gives a time.Duration default allocates %v times, want 2 (as before defEnc)", n)
	}
}
