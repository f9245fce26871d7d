package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLsFunctions(t *testing.T) {
	f := newFixture(t)
	wantFuncs := map[string][]string{
		"describe": {hash(t, "ada", 61.5)},
		"noise":    {hash(t, 40)},
		"square":   {hash(t, 5), hash(t, 7)},
		"triple":   {hash(t, 1), hash(t, 2), hash(t, 3)},
	}
	wantBytes := map[string]int64{}
	for name, hashes := range wantFuncs {
		for _, h := range hashes {
			wantBytes[name] += f.size(t, name, h)
		}
	}

	// square(5) was written two days ago and read an hour ago.
	twoDays := f.age(t, "square", hash(t, 5), 48*time.Hour)
	used := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(f.path("square", hash(t, 5), ".out"), used, twoDays); err != nil {
		t.Fatal(err)
	}
	r := run(t, f.root, "", "ls", "cache")
	wantCode(t, r, 0)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 5 || strings.Join(strings.Fields(lines[0]), " ") != "FUNCTION ENTRIES SIZE OLDEST NEWEST LAST USED" {
		t.Fatalf("want a header and 4 functions:\n%s", r)
	}
	for i, name := range []string{"describe", "noise", "square", "triple"} {
		fields := strings.Fields(lines[i+1])
		want := []string{name, strconv.Itoa(len(wantFuncs[name])), humanSize(wantBytes[name])}
		if strings.Join(fields[:4], " ") != strings.Join(want, " ") || len(fields) != 10 {
			t.Errorf("line %d: got %q, want %q and three times", i+1, fields, want)
		}
	}
	if square := strings.Fields(lines[3]); strings.Join(square[4:6], " ") != timeText(twoDays) {
		t.Errorf("square's oldest entry: %q, want %s", square[4:6], timeText(twoDays))
	}

	r = run(t, f.root, "", "ls", "--json", "cache")
	wantCode(t, r, 0)
	var doc struct {
		Store     string
		Functions []funcSummary
	}
	decodeJSON(t, r, &doc)
	if doc.Store != "./cache" || len(doc.Functions) != 4 {
		t.Fatalf("got %+v", doc)
	}
	for i, fs := range doc.Functions {
		if i > 0 && doc.Functions[i-1].Name >= fs.Name {
			t.Errorf("functions not sorted by name: %+v", doc.Functions)
		}
		if fs.Entries != len(wantFuncs[fs.Name]) || fs.Bytes != wantBytes[fs.Name] || fs.Error != "" {
			t.Errorf("%s: got %+v, want %d entries of %d bytes", fs.Name, fs, len(wantFuncs[fs.Name]), wantBytes[fs.Name])
		}
		if fs.Oldest == nil || fs.Newest == nil || fs.LastUsed == nil || fs.Oldest.After(*fs.Newest) {
			t.Errorf("%s: oldest %v, newest %v, last used %v", fs.Name, fs.Oldest, fs.Newest, fs.LastUsed)
		}
		if fs.Name == "square" && (!fs.Oldest.Equal(twoDays) || fs.LastUsed.Before(used)) {
			t.Errorf("square: oldest %v, last used %v; want %v and at least %v", fs.Oldest, fs.LastUsed, twoDays, used)
		}
	}
}

func TestLsEntries(t *testing.T) {
	f := newFixture(t)
	// Distinct ages, so that the order (oldest first) is known.
	h1, h2, h3 := hash(t, 1), hash(t, 2), hash(t, 3)
	t2 := f.age(t, "triple", h2, 3*time.Hour)
	t3 := f.age(t, "triple", h3, 2*time.Hour)
	t1 := f.age(t, "triple", h1, time.Hour)

	r := run(t, f.root, "", "ls", "cache", "triple")
	wantCode(t, r, 0)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a header and 3 entries:\n%s", r)
	}
	for i, e := range []struct {
		hash string
		arg  int
		when time.Time
	}{{h2, 2, t2}, {h3, 3, t3}, {h1, 1, t1}} {
		line := lines[i+1]
		for _, want := range []string{e.hash, humanSize(f.size(t, "triple", e.hash)), e.when.Format(timeLayout), keyOf(e.arg), "computed by the test"} {
			if !strings.Contains(line, want) {
				t.Errorf("line %d %q lacks %q", i+1, line, want)
			}
		}
	}

	r = run(t, f.root, "", "ls", "--json", "cache", "triple")
	wantCode(t, r, 0)
	var doc struct {
		Store, Function string
		Entries         []entryLine
	}
	decodeJSON(t, r, &doc)
	if doc.Store != "./cache" || doc.Function != "triple" || len(doc.Entries) != 3 {
		t.Fatalf("got %+v", doc)
	}
	for i, want := range []struct {
		hash string
		arg  int
		when time.Time
	}{{h2, 2, t2}, {h3, 3, t3}, {h1, 1, t1}} {
		e := doc.Entries[i]
		if e.Hash != want.hash || e.Bytes != f.size(t, "triple", want.hash) ||
			e.Created == nil || !e.Created.Equal(want.when) ||
			e.Key == nil || *e.Key != keyOf(want.arg) || e.Meta == nil || *e.Meta != "computed by the test" {
			t.Errorf("entry %d: got %+v (key %v, meta %v), want hash %s key %s created %v", i, e, deref(e.Key), deref(e.Meta), want.hash, keyOf(want.arg), want.when)
		}
	}

	// Without StoreKey there is no key; custom pickling keeps its key.
	r = run(t, f.root, "", "ls", "--json", "cache", "describe")
	wantCode(t, r, 0)
	decodeJSON(t, r, &doc)
	if len(doc.Entries) != 1 || doc.Entries[0].Key != nil || doc.Entries[0].Meta != nil {
		t.Errorf("describe: want one entry without key or metadata, got %+v", doc.Entries)
	}
	r = run(t, f.root, "", "ls", "cache", "square")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, keyOf(5)) || !strings.Contains(r.stdout, keyOf(7)) {
		t.Errorf("square's keys missing:\n%s", r)
	}

}

// TestLsNoSuchFunction: a function the cache does not have is a problem
// (exit status 1), not an empty listing.
func TestLsNoSuchFunction(t *testing.T) {
	f := newFixture(t)
	for _, args := range [][]string{{"ls", "cache", "typo"}, {"ls", "--json", "cache", "typo"}} {
		r := run(t, f.root, "", args...)
		wantCode(t, r, 1)
		if r.stdout != "" || !strings.Contains(r.stderr, "no function typo in ./cache (it has describe, noise, square, triple)") {
			t.Errorf("persist %s:\n%s", strings.Join(args, " "), r)
		}
	}
	// A server cannot list its functions: one without entries is unknown.
	p := startServer(t, "--store", f.dir, "--access-log=false")
	r := run(t, f.root, "", "ls", p.url, "typo")
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "no function typo in "+p.url+" (no entries under that name)") {
		t.Errorf("persist ls URL typo:\n%s", r)
	}
	p.stop(t)
}

// TestFunctionDirectory: a function's own directory given as the cache is
// recognised, and persist says what to pass instead of finding nothing.
func TestFunctionDirectory(t *testing.T) {
	f := newFixture(t)
	for _, args := range [][]string{
		{"ls", "cache/triple"},
		{"ls", "--json", "cache/triple"},
		{"verify", "cache/triple"},
		{"gc", "cache/triple", "--max-size", "0"},
	} {
		r := run(t, f.root, "", args...)
		wantCode(t, r, 2)
		if r.stdout != "" || !strings.Contains(r.stderr, "./cache/triple holds the entries of function triple, not functions: "+
			"name the cache and the function apart, as in ./cache triple") {
			t.Errorf("persist %s:\n%s", strings.Join(args, " "), r)
		}
	}
	if !f.exists(t, "triple", hash(t, 1)) {
		t.Error("a refused gc removed entries")
	}
	// From inside the function's directory.
	r := run(t, filepath.Join(f.dir, "triple"), "", "ls", ".")
	wantCode(t, r, 2)
	if !strings.Contains(r.stderr, "holds the entries of function triple, not functions: name the cache and the function apart, as in "+f.dir+" triple") {
		t.Errorf("persist ls . in cache/triple:\n%s", r)
	}
	// An empty cache is still just empty.
	if err := os.Mkdir(filepath.Join(f.root, "fresh"), 0o755); err != nil {
		t.Fatal(err)
	}
	r = run(t, f.root, "", "ls", "fresh")
	wantCode(t, r, 0)
	if !strings.Contains(r.stderr, "no functions in ./fresh") {
		t.Errorf("persist ls fresh:\n%s", r)
	}
}

// TestMemoryStoreRefused: a memory store lives in one process, so the
// command, a process of its own, could only show an empty one.
func TestMemoryStoreRefused(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"ls", "mem://x"}, {"ls", "mem://x", "triple"}, {"verify", "mem://x"}} {
		r := run(t, dir, "", args...)
		wantCode(t, r, 2)
		if !strings.Contains(r.stderr, "mem://x is a memory store, which lives inside the process that opened it") {
			t.Errorf("persist %s:\n%s", strings.Join(args, " "), r)
		}
	}
}

func TestLsDefaultCache(t *testing.T) {
	f := newFixture(t)
	// Without a URL, persist looks at ./persist.
	if err := os.Rename(f.dir, filepath.Join(f.root, "persist")); err != nil {
		t.Fatal(err)
	}
	r := run(t, f.root, "", "ls")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "triple") || !strings.Contains(r.stdout, "square") {
		t.Errorf("persist ls in a directory with ./persist:\n%s", r)
	}
	// A lone function name is taken for a cache, with a hint.
	r = run(t, f.root, "", "ls", "triple")
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "no cache at ./triple") || !strings.Contains(r.stderr, "persist ls persist triple") {
		t.Errorf("persist ls triple:\n%s", r)
	}
}

func TestMissingCache(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		dir  string
	}{
		{[]string{"ls"}, "./persist"},
		{[]string{"ls", "nocache", "triple"}, "./nocache"},
		{[]string{"show", "file://persist/", "triple", "abc"}, "./persist"},
		{[]string{"rm", "-y", "persist", "triple", "abc"}, "./persist"},
		{[]string{"clear", "-y", "persist", "triple"}, "./persist"},
		{[]string{"verify"}, "./persist"},
		{[]string{"gc", "--older-than", "1d"}, "./persist"},
		{[]string{"ls", filepath.Join(dir, "absent")}, filepath.Join(dir, "absent")},
	} {
		r := run(t, dir, "", c.args...)
		wantCode(t, r, 1)
		if want := "no cache at " + c.dir; !strings.Contains(r.stderr, want) {
			t.Errorf("persist %s: want %q on stderr, got\n%s", strings.Join(c.args, " "), want, r)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("looking at a missing cache created %v", ents)
	}
}

func TestUnknownScheme(t *testing.T) {
	r := run(t, t.TempDir(), "", "ls", "gopher://example/persist")
	wantCode(t, r, 2)
	for _, want := range []string{`"gopher"`, "file", "http", "mem"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("want %q in the error, got\n%s", want, r)
		}
	}
}

// TestUnreadable replaces an entry's .meta with a directory: running as
// root, a file cannot be made unreadable with permissions, but no one can
// read a directory as a file.
func TestUnreadable(t *testing.T) {
	f := newFixture(t)
	h := hash(t, 2)
	meta := f.path("triple", h, ".meta")
	if err := os.Remove(meta); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(meta, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"ls", "cache", "triple"},
		{"show", "cache", "triple", h},
		{"verify", "cache"},
	} {
		r := run(t, f.root, "", args...)
		wantCode(t, r, 1)
		if !strings.Contains(r.stderr, "is a directory") || !strings.Contains(r.stderr, h+".meta") {
			t.Errorf("persist %s: want the unreadable file named:\n%s", strings.Join(args, " "), r)
		}
	}
	// The summary comes from the store's listing, which reads no file: it
	// counts the entry, and verify is what finds the damage.
	r := run(t, f.root, "", "ls", "cache")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "square") || !regexp.MustCompile(`triple +3 `).MatchString(r.stdout) {
		t.Errorf("persist ls cache:\n%s", r)
	}
}

// TestServerStore lists a cache through persist serve: a store that
// cannot list its functions.
func TestServerStore(t *testing.T) {
	f := newFixture(t)
	p := startServer(t, "--store", f.dir, "--access-log=false")
	r := run(t, f.root, "", "ls", p.url)
	wantCode(t, r, 2)
	if !strings.Contains(r.stderr, "cannot list its functions: name one") {
		t.Errorf("want a hint to name a function:\n%s", r)
	}
	r = run(t, f.root, "", "ls", p.url, "triple")
	wantCode(t, r, 0)
	for _, arg := range []int{1, 2, 3} {
		if !strings.Contains(r.stdout, hash(t, arg)) || !strings.Contains(r.stdout, keyOf(arg)) {
			t.Errorf("entry of triple(%d) missing:\n%s", arg, r)
		}
	}
	r = run(t, f.root, "", "show", p.url, "square", hash(t, 7))
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "value (custom pickling, text):\n49\n") {
		t.Errorf("show through the server:\n%s", r)
	}
	p.stop(t)
}
