package persist_test

import (
	"errors"
	"testing"

	"github.com/gopersist/persist"
)

func probe2Other(x int) int { return -x }

// The name changes hands after this Memo's first call (another Memo clears
// it and claims it for another function). Len counts the other function's
// entries: its claim is the one made at the first call, where Keys of
// keys only reads the owner record again.
func TestLenAfterNameChangedHandsInAnotherProcess(t *testing.T) {
	url := "file://" + t.TempDir()
	ours, err := persist.Decorate(probe2Sq, persist.Options{Cache: url, Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer ours.Close()
	if _, err := ours.Call(1); err != nil {
		t.Fatal(err)
	}
	theirs, err := persist.Decorate(probe2Other, persist.Options{Cache: url, FuncName: ours.FuncName(), Verbosity: persist.Silent})
	var nc *persist.NameClaimError
	if !errors.As(err, &nc) {
		t.Fatalf("second Decorate: %v, want a NameClaimError", err)
	}
	_ = theirs
	// Another process's Memo of the same function clears the name.
	again, err := persist.Decorate(probe2Sq, persist.Options{Cache: url, Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Clear(); err != nil {
		t.Fatal(err)
	}
	again.Close()
	theirs, err = persist.Decorate(probe2Other, persist.Options{Cache: url, FuncName: ours.FuncName(), Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer theirs.Close()
	for i := range 3 {
		if _, err := theirs.Call(i); err != nil {
			t.Fatal(err)
		}
	}
	n, err := ours.Cache().Len()
	if err == nil {
		t.Fatalf("ours.Cache().Len() = %d: the other function's entries", n)
	}
}
