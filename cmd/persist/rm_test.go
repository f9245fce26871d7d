package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bystander is a file in a function's directory that is no entry's: rm and
// clear must leave it.
func bystander(t *testing.T, f *fixture, funcname string) string {
	t.Helper()
	p := filepath.Join(f.dir, funcname, "README")
	if err := os.WriteFile(p, []byte("notes kept beside the results\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRm(t *testing.T) {
	f := newFixture(t)
	readme := bystander(t, f, "triple")
	h1, h2, h3 := hash(t, 1), hash(t, 2), hash(t, 3)

	// No terminal and no -y: refused, nothing removed.
	r := run(t, f.root, "y\n", "rm", "cache", "triple", h1)
	wantCode(t, r, 2)
	if !strings.Contains(r.stderr, "pass -y") || !f.exists(t, "triple", h1) {
		t.Errorf("rm without -y and without a terminal:\n%s", r)
	}

	// -y removes the named entries (all their files), reports the missing
	// one and exits 1.
	r = run(t, f.root, "", "rm", "-y", "--json", "cache", "triple", h1, "nosuchhash", h2)
	wantCode(t, r, 1)
	var doc struct {
		Store, Function  string
		Removed, Missing []string
	}
	decodeJSON(t, r, &doc)
	if strings.Join(doc.Removed, " ") != h1+" "+h2 || strings.Join(doc.Missing, " ") != "nosuchhash" {
		t.Errorf("got %+v", doc)
	}
	if !strings.Contains(r.stderr, "no entry nosuchhash of triple") {
		t.Errorf("missing entry not reported:\n%s", r)
	}
	for _, h := range []string{h1, h2} {
		for _, ext := range []string{".out", ".key", ".meta"} {
			if _, err := os.Stat(f.path("triple", h, ext)); !os.IsNotExist(err) {
				t.Errorf("%s%s still there (%v)", h, ext, err)
			}
		}
	}
	if !f.exists(t, "triple", h3) {
		t.Error("rm removed an entry it was not given")
	}
	if _, err := os.Stat(readme); err != nil {
		t.Errorf("rm touched a file that is no entry's: %v", err)
	}

	r = run(t, f.root, "", "rm", "-y", "cache", "triple", h3)
	wantCode(t, r, 0)
	if r.stdout != "removed triple/"+h3+"\n" || f.exists(t, "triple", h3) {
		t.Errorf("rm -y:\n%s", r)
	}

	r = run(t, f.root, "", "rm", "-y", "cache", "triple", "../square")
	wantCode(t, r, 2)
}

func TestRmOnTerminal(t *testing.T) {
	f := newFixture(t)
	h := hash(t, 5)
	r := runTTY(t, f.root, "n\n", "rm", "cache", "square", h)
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "Remove 1 entry of square from ./cache? [y/N]") || !strings.Contains(r.stdout, "nothing removed") {
		t.Errorf("want the question and no removal:\n%s", r)
	}
	if !f.exists(t, "square", h) {
		t.Fatal("answering n removed the entry")
	}
	r = runTTY(t, f.root, "y\n", "rm", "cache", "square", h)
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "removed square/"+h) || f.exists(t, "square", h) {
		t.Errorf("answering y:\n%s", r)
	}
}

func TestClear(t *testing.T) {
	f := newFixture(t)
	readme := bystander(t, f, "triple")

	r := run(t, f.root, "", "clear", "cache", "triple")
	wantCode(t, r, 2)
	if !f.exists(t, "triple", hash(t, 1)) {
		t.Fatal("clear without -y removed entries")
	}

	r = run(t, f.root, "", "clear", "-y", "--json", "cache", "triple")
	wantCode(t, r, 0)
	var doc struct {
		Store, Function string
		Removed         int
	}
	decodeJSON(t, r, &doc)
	if doc.Store != "./cache" || doc.Function != "triple" || doc.Removed != 3 {
		t.Errorf("got %+v", doc)
	}
	ents, err := os.ReadDir(filepath.Join(f.dir, "triple"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "README" {
		t.Errorf("after clear, triple's directory holds %v, want only the README", ents)
	}
	if _, err := os.Stat(readme); err != nil {
		t.Error(err)
	}
	if !f.exists(t, "square", hash(t, 5)) || !f.exists(t, "describe", hash(t, "ada", 61.5)) {
		t.Error("clear of triple removed another function's entries")
	}

	// Nothing left to clear: a mistyped name should not pass silently.
	r = run(t, f.root, "", "clear", "-y", "cache", "triple")
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "no entries of triple in ./cache") {
		t.Errorf("clear of nothing:\n%s", r)
	}

	r = run(t, f.root, "", "clear", "-y", "cache", "square")
	wantCode(t, r, 0)
	if r.stdout != "removed 2 entries of square\n" || f.exists(t, "square", hash(t, 5)) {
		t.Errorf("clear -y:\n%s", r)
	}
}
