package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	persist "github.com/gopersist/persist"
)

// agedFixture is a fixture whose entries were written 1 to 7 days ago, in
// this order, oldest first.
func agedFixture(t *testing.T) (*fixture, []gcEntry) {
	f := newFixture(t)
	entries := []gcEntry{
		{Function: "triple", Hash: hash(t, 1)},
		{Function: "square", Hash: hash(t, 5)},
		{Function: "triple", Hash: hash(t, 2)},
		{Function: "describe", Hash: hash(t, "ada", 61.5)},
		{Function: "noise", Hash: hash(t, 40)},
		{Function: "square", Hash: hash(t, 7)},
		{Function: "triple", Hash: hash(t, 3)},
	}
	for i := range entries {
		e := &entries[i]
		e.Created = f.age(t, e.Function, e.Hash, time.Duration(7-i)*24*time.Hour).UTC()
		e.Bytes = f.size(t, e.Function, e.Hash)
	}
	return f, entries
}

func total(entries []gcEntry) (n int64) {
	for _, e := range entries {
		n += e.Bytes
	}
	return n
}

// checkGC checks that persist gc removed (or listed, dry) exactly the
// first len(want) entries, for reason, and kept the rest.
func checkGC(t *testing.T, f *fixture, r result, all []gcEntry, nRemoved int, reason string, dry bool) {
	t.Helper()
	var doc gcDoc
	decodeJSON(t, r, &doc)
	if doc.Store != "./cache" || doc.DryRun != dry || len(doc.Removed) != nRemoved ||
		doc.RemovedBytes != total(all[:nRemoved]) || doc.Kept != len(all)-nRemoved || doc.KeptBytes != total(all[nRemoved:]) {
		t.Fatalf("got %+v, want the %d oldest of %+v removed", doc, nRemoved, all)
	}
	for i, got := range doc.Removed {
		want := all[i]
		want.Reason = reason
		if !got.Created.Equal(want.Created) || got.Function != want.Function || got.Hash != want.Hash || got.Bytes != want.Bytes || got.Reason != want.Reason {
			t.Errorf("removed[%d]: got %+v, want %+v", i, got, want)
		}
	}
	if dry {
		nRemoved = 0
	}
	checkGCFiles(t, f, all, nRemoved)
}

func TestGCByAge(t *testing.T) {
	f, all := agedFixture(t)
	r := run(t, f.root, "", "gc", "cache", "--older-than", "4d12h", "--dry-run", "--json")
	wantCode(t, r, 0)
	checkGC(t, f, r, all, 3, "age", true)

	r = run(t, f.root, "", "gc", "cache", "--older-than", "4.5d")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "removed 3 entries ("+humanSize(total(all[:3]))+"); kept 4 entries") {
		t.Errorf("summary:\n%s", r)
	}
	for _, e := range all[:3] {
		if !strings.Contains(r.stdout, e.Hash) {
			t.Errorf("%s not listed:\n%s", e.Hash, r)
		}
	}
	checkGCFiles(t, f, all, 3)

	// One function only.
	r = run(t, f.root, "", "gc", "--json", "cache", "square", "--older-than", "3d")
	wantCode(t, r, 0)
	var doc gcDoc
	decodeJSON(t, r, &doc)
	if len(doc.Removed) != 0 || doc.Kept != 1 {
		t.Errorf("square, younger than 3d: got %+v", doc)
	}
	r = run(t, f.root, "", "gc", "--json", "cache", "square", "--older-than", "36h")
	wantCode(t, r, 0)
	decodeJSON(t, r, &doc)
	if len(doc.Removed) != 1 || doc.Removed[0].Hash != hash(t, 7) || doc.Kept != 0 || !f.exists(t, "triple", hash(t, 3)) {
		t.Errorf("square, older than 36h: got %+v", doc)
	}
}

func checkGCFiles(t *testing.T, f *fixture, all []gcEntry, nRemoved int) {
	t.Helper()
	for i, e := range all {
		if gone := !f.exists(t, e.Function, e.Hash); gone != (i < nRemoved) {
			t.Errorf("entry %d (%s/%s): removed %v", i, e.Function, e.Hash, gone)
		}
	}
}

func TestGCBySize(t *testing.T) {
	f, all := agedFixture(t)
	// Exactly the two oldest must go to fit.
	limit := strconv.FormatInt(total(all[2:]), 10)
	r := run(t, f.root, "", "gc", "cache", "--max-size", limit, "--json")
	wantCode(t, r, 0)
	checkGC(t, f, r, all, 2, "size", false)

	// Age first, then size: 6d12h removes one by age, a limit one byte
	// under what is left removes the next by size.
	f, all = agedFixture(t)
	limit = strconv.FormatInt(total(all[1:])-1, 10) + "B"
	r = run(t, f.root, "", "gc", "cache", "--older-than", "6d12h", "--max-size", limit, "--json")
	wantCode(t, r, 0)
	var doc gcDoc
	decodeJSON(t, r, &doc)
	if len(doc.Removed) != 2 || doc.Removed[0].Reason != "age" || doc.Removed[1].Reason != "size" ||
		doc.Removed[1].Hash != all[1].Hash || doc.KeptBytes != total(all[2:]) {
		t.Errorf("got %+v", doc)
	}

	// A limit above the total removes nothing.
	r = run(t, f.root, "", "gc", "cache", "--max-size", "1MiB")
	wantCode(t, r, 0)
	if !strings.HasPrefix(r.stdout, "removed 0 entries (0 B); kept 5 entries") {
		t.Errorf("1MiB:\n%s", r)
	}
}

func TestGCUsage(t *testing.T) {
	f := newFixture(t)
	for _, args := range [][]string{
		{"gc", "cache"},
		{"gc", "cache", "--older-than", "soon"},
		{"gc", "cache", "--older-than", "-3d"},
		{"gc", "cache", "--max-size", "lots"},
		{"gc", "cache", "triple", "extra", "--max-size", "1KiB"},
	} {
		r := run(t, f.root, "", args...)
		wantCode(t, r, 2)
		if !strings.Contains(r.stderr, "persist help gc") {
			t.Errorf("persist %s: want a pointer to the help:\n%s", strings.Join(args, " "), r)
		}
	}
	// A size that is not one says what a size looks like.
	r := run(t, f.root, "", "gc", "cache", "--max-size", "lots")
	if !strings.Contains(r.stderr, `invalid argument "lots" for "--max-size" flag: not a size: `+
		"want a number of bytes with an optional unit, such as 500MiB, 2GB or 1048576") || strings.Contains(r.stderr, "strconv") {
		t.Errorf("persist gc --max-size lots:\n%s", r)
	}
	if !f.exists(t, "triple", hash(t, 1)) {
		t.Error("a refused gc removed entries")
	}
}

func versionedTriple(x int) int { return 3 * x }

// TestGCOtherVersions stores triple(1) and triple(2) under version v1 and
// triple(2) again, with triple(3), under v2: gc --other-versions v2 removes
// the one entry left of v1, and --max-entries then trims what remains.
func TestGCOtherVersions(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "cache")
	for _, v := range []struct {
		version string
		args    []int
	}{{"v1", []int{1, 2}}, {"v2", []int{2, 3}}} {
		f, memo, err := persist.Wrap1(versionedTriple, persist.Options{Cache: dir, FuncName: "triple", Version: v.version})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range v.args {
			f(a)
		}
		memo.Close()
	}
	r := run(t, root, "", "ls", "--json", "--versions", "cache", "triple")
	wantCode(t, r, 0)
	var listed lsEntriesDoc
	decodeJSON(t, r, &listed)
	versions := map[string]string{}
	for _, e := range listed.Entries {
		versions[e.Hash] = deref(e.Version)
	}
	if len(versions) != 3 || versions[hash(t, 1)] != "v1" || versions[hash(t, 2)] != "v2" || versions[hash(t, 3)] != "v2" {
		t.Fatalf("ls --versions: %+v, want triple(1) of v1, triple(2) and triple(3) of v2", listed)
	}
	r = run(t, root, "", "gc", "--json", "--other-versions", "v2", "cache", "triple")
	wantCode(t, r, 0)
	var doc gcDoc
	decodeJSON(t, r, &doc)
	h1 := hash(t, 1)
	if len(doc.Removed) != 1 || doc.Removed[0].Hash != h1 || doc.Removed[0].Reason != "version" || doc.Kept != 2 {
		t.Fatalf("gc --other-versions v2: %+v, want triple(1) of v1 removed and two kept", doc)
	}
	if _, err := os.Stat(filepath.Join(dir, "triple", h1+".out")); !os.IsNotExist(err) {
		t.Errorf("triple(1)'s entry after gc: %v, want it gone", err)
	}
	r = run(t, root, "", "gc", "--json", "--max-entries", "1", "cache", "triple")
	wantCode(t, r, 0)
	decodeJSON(t, r, &doc)
	if len(doc.Removed) != 1 || doc.Removed[0].Reason != "size" || doc.Kept != 1 {
		t.Errorf("gc --max-entries 1: %+v, want one removed, one kept", doc)
	}
	r = run(t, root, "", "gc", "--other-versions", "v2", "cache")
	wantCode(t, r, 2)
}
