package main

import (
	"strings"
	"testing"

	persist "github.com/gopersist/persist"
)

// verifyDoc is the documented JSON of persist verify.
type verifyDoc struct {
	Store                          string
	Functions, Checked, OK, Custom int
	Damaged                        []damagedEntry
	Errors                         []funcError
	Foreign                        []foreignFile
}

func TestVerifyClean(t *testing.T) {
	f := newFixture(t)
	r := run(t, f.root, "", "verify", "--json", "cache")
	wantCode(t, r, 0)
	var doc verifyDoc
	decodeJSON(t, r, &doc)
	// triple (3) and describe (1) are default pickles; square (2) and noise
	// (1) custom ones.
	if doc.Store != "./cache" || doc.Functions != 4 || doc.Checked != 7 || doc.OK != 4 || doc.Custom != 3 ||
		len(doc.Damaged) != 0 || len(doc.Errors) != 0 {
		t.Errorf("got %+v", doc)
	}

	// Piped, progress is plain lines on stderr.
	r = run(t, f.root, "", "verify", "cache")
	wantCode(t, r, 0)
	if r.stdout != "checked 7 entries of 4 functions: 4 ok, 3 custom pickling (not checked), 0 damaged\n" {
		t.Errorf("summary:\n%s", r)
	}
	for _, want := range []string{"verify: describe: 1 entry\n", "verify: triple: 3 entries\n"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("want progress line %q:\n%s", want, r)
		}
	}
}

func TestVerifyProgressBar(t *testing.T) {
	f := newFixture(t)
	r := runTTY(t, f.root, "", "verify", "cache")
	wantCode(t, r, 0)
	// The bar is drawn (then cleared) instead of the plain lines.
	if !strings.Contains(r.stdout, "verify") || !strings.Contains(r.stdout, "%") || strings.Contains(r.stdout, "verify: triple") {
		t.Errorf("want a progress bar on a terminal:\n%q", r.stdout)
	}
	if !strings.Contains(r.stdout, "checked 7 entries of 4 functions") {
		t.Errorf("summary missing:\n%q", r.stdout)
	}
}

func TestVerifyDamaged(t *testing.T) {
	f := newFixture(t)
	h3, h1 := hash(t, 3), hash(t, 1)
	flipLastByte(t, f.path("triple", h3, ".out"))
	flipLastByte(t, f.path("triple", h1, ".key"))
	// A custom pickle is not checked, however odd its bytes.
	flipLastByte(t, f.path("square", hash(t, 5), ".out"))

	r := run(t, f.root, "", "verify", "cache")
	wantCode(t, r, 1)
	for _, want := range []struct{ hash, part string }{{h1, "key"}, {h3, "result"}} {
		if !strings.Contains(r.stdout, "triple    "+want.hash+"  "+want.part) {
			t.Errorf("want %s listed as damaged in its %s:\n%s", want.hash, want.part, r)
		}
	}
	if n := strings.Count(r.stdout, "\n"); n != 4 {
		t.Errorf("want a header, 2 damaged entries and a summary:\n%s", r)
	}
	if !strings.Contains(r.stderr, "found 2 damaged entries") {
		t.Errorf("stderr:\n%s", r)
	}

	r = run(t, f.root, "", "verify", "--json", "cache", "triple")
	wantCode(t, r, 1)
	var doc verifyDoc
	decodeJSON(t, r, &doc)
	if doc.Functions != 1 || doc.Checked != 3 || doc.OK != 1 || len(doc.Damaged) != 2 {
		t.Fatalf("got %+v", doc)
	}
	for _, d := range doc.Damaged {
		want := map[string]string{h1: "key", h3: "result"}[d.Hash]
		if d.Function != "triple" || d.Part != want || want == "" || !strings.Contains(d.Error, "damaged") || d.Removed {
			t.Errorf("got %+v, want the damage of %s", d, map[string]string{h1: "h1's key", h3: "h3's result"}[d.Hash])
		}
	}

	// --fix removes them, so that they are computed again.
	r = run(t, f.root, "", "verify", "--fix", "--json", "cache")
	wantCode(t, r, 1)
	decodeJSON(t, r, &doc)
	if len(doc.Damaged) != 2 || !doc.Damaged[0].Removed || !doc.Damaged[1].Removed {
		t.Errorf("--fix: got %+v", doc)
	}
	if f.exists(t, "triple", h1) || f.exists(t, "triple", h3) || !f.exists(t, "triple", hash(t, 2)) {
		t.Error("--fix did not remove exactly the damaged entries")
	}
	r = run(t, f.root, "", "verify", "cache")
	wantCode(t, r, 0)

	before := tripleCalls.Load()
	f.write(t, triple, persist.Options{StoreKey: true}, []any{1}, []any{2}, []any{3})
	if n := tripleCalls.Load() - before; n != 2 {
		t.Errorf("after --fix, %d calls of triple computed, want the 2 removed", n)
	}
	r = run(t, f.root, "", "verify", "cache", "triple")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "3 ok") {
		t.Errorf("after recomputing:\n%s", r)
	}
}
