package persist_test

import (
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// Python's repr prints [[...], [...]] for a list that holds itself twice;
// a depth bound alone walks 2^100 paths.
func TestReprCyclicTwice(t *testing.T) {
	s := []any{nil, nil}
	s[0], s[1] = s, s
	done := make(chan string, 1)
	go func() { done <- persist.Repr(s) }()
	select {
	case r := <-done:
		t.Log(len(r))
	case <-time.After(5 * time.Second):
		t.Fatal("Repr of a list that holds itself twice: still printing after 5 s")
	}
}
