package persist_test

import (
	"runtime/debug"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// reprWithin fails if persist.Repr(v) crashes or takes longer than d.
func reprWithin(t *testing.T, v any, d time.Duration) {
	t.Helper()
	done := make(chan string, 1)
	go func() { done <- persist.Repr(v) }()
	select {
	case r := <-done:
		if len(r) > 200 {
			r = r[:200] + "..."
		}
		t.Log(r)
	case <-time.After(d):
		t.Fatalf("Repr(%T): still printing after %v", v, d)
	}
}

// A Key that holds itself twice: the Key case of formatDepth records no
// path, so only the depth bound stops it, after 2^100 paths.
func TestReprKeyHoldsItselfTwice(t *testing.T) {
	k := persist.Key{{Name: "a"}, {Name: "b"}}
	k[0].Value, k[1].Value = k, k
	reprWithin(t, k, 5*time.Second)
}

type probe2DAG struct{ A, B *probe2DAG }

// A struct with two pointers to the same next node, 60 deep: fmt.Sprint
// prints {0xc... 0xc...}; the pickleWalk before it walks 2^60 paths.
func TestReprStructPointerDAG(t *testing.T) {
	var n *probe2DAG
	for range 60 {
		n = &probe2DAG{n, n}
	}
	reprWithin(t, *n, 5*time.Second)
}

// A Key that holds a pointer to itself: *Key is a fmt.Stringer, whose
// String starts formatting again at depth 0 with an empty path.
func TestReprKeyHoldsPointerToItself(t *testing.T) {
	if inChild(t, "TestReprKeyHoldsPointerToItself") {
		return
	}
	debug.SetMaxStack(64 << 20)
	k := persist.Key{{Name: "a"}}
	k[0].Value = &k
	reprWithin(t, k, 20*time.Second)
}
