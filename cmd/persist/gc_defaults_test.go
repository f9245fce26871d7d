package main

import (
	"path/filepath"
	"testing"

	"github.com/gopersist/persist"
)

func probeScaled(x, factor int) int { return x * factor }

// gc --other-versions VERSION, with the Options.Version the code runs with,
// must keep the entries that code wrote: a Spec with a default is enough
// to make it remove them all.
func TestGCOtherVersionsWithDefaults(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "cache")
	type spec struct {
		X      int
		Factor int `persist:",default"`
	}
	f, memo, err := persist.Wrap2(probeScaled, persist.Options{Cache: dir, FuncName: "scaled", Version: "v2", Spec: spec{Factor: 3}})
	if err != nil {
		t.Fatal(err)
	}
	f(1, 3)
	f(2, 3)
	memo.Close()
	r := run(t, root, "", "gc", "--json", "--other-versions", "v2", "cache", "scaled")
	wantCode(t, r, 0)
	var doc gcDoc
	decodeJSON(t, r, &doc)
	if len(doc.Removed) != 0 {
		t.Fatalf("gc --other-versions v2 removed %d entries of version v2 code: %+v", len(doc.Removed), doc)
	}
}
