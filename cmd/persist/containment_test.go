package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// snapshotTree maps the names under dir to their contents, without
// following links.
func snapshotTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		m[strings.TrimPrefix(path, dir)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameTree(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	got := snapshotTree(t, dir)
	if len(got) != len(want) {
		t.Errorf("%s: %d files, was %d", dir, len(got), len(want))
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s%s changed or removed", dir, name)
		}
	}
}

// A function directory that is a link to elsewhere: clear, gc and rm
// remove nothing there, and verify reports the link.
func TestCommandsDoNotFollowAFunctionDirectoryLink(t *testing.T) {
	f := newFixture(t)
	elsewhere := filepath.Join(f.root, "elsewhere")
	if err := os.CopyFS(elsewhere, os.DirFS(filepath.Join(f.dir, "triple"))); err != nil {
		t.Fatal(err)
	}
	before := snapshotTree(t, elsewhere)
	link := filepath.Join(f.dir, "evil")
	if err := os.Symlink(elsewhere, link); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	for name := range before {
		if err := os.Chtimes(filepath.Join(elsewhere, name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	h := hash(t, 1)
	for _, args := range [][]string{
		{"clear", "-y", "cache", "evil"},
		{"gc", "cache", "evil", "--older-than", "1h"},
		{"rm", "-y", "cache", "evil", h},
		{"show", "cache", "evil", h},
		{"ls", "cache", "evil"},
	} {
		r := run(t, f.root, "", args...)
		if r.code == 0 || !strings.Contains(r.stderr, "symbolic link") {
			t.Errorf("persist %s: want an error naming the link:\n%s", strings.Join(args, " "), r)
		}
	}
	// Over every function, gc does not enter the link.
	r := run(t, f.root, "", "gc", "cache", "--older-than", "1h")
	wantCode(t, r, 0)
	sameTree(t, elsewhere, before)
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link: %v, %v; want it left", fi, err)
	}

	r = run(t, f.root, "", "verify", "--json", "cache")
	wantCode(t, r, 1)
	var doc verifyDoc
	decodeJSON(t, r, &doc)
	if len(doc.Foreign) != 1 || doc.Foreign[0].Path != "cache/evil" || doc.Foreign[0].Function != "evil" ||
		doc.Foreign[0].Type != "symbolic link" || doc.Foreign[0].Remove != "rm -- 'cache/evil'" {
		t.Errorf("verify --json: foreign %+v, want cache/evil as a link", doc.Foreign)
	}
}

// An entry's .out or .key that is a link to a file elsewhere is not shown,
// not removed, and verify reports it; --fix says how to remove it and
// leaves it.
func TestCommandsDoNotFollowAnEntryLink(t *testing.T) {
	f := newFixture(t)
	secret := filepath.Join(f.root, "secret")
	if err := os.WriteFile(secret, []byte("the secret"), 0o666); err != nil {
		t.Fatal(err)
	}
	h := hash(t, 2)
	out := f.path("triple", h, ".out")
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, out); err != nil {
		t.Fatal(err)
	}
	r := run(t, f.root, "", "show", "cache", "triple", h)
	if r.code == 0 || strings.Contains(r.stdout, "secret") {
		t.Errorf("show of a linked .out:\n%s", r)
	}
	r = run(t, f.root, "", "rm", "-y", "cache", "triple", h)
	if r.code == 0 {
		t.Errorf("rm of a linked .out:\n%s", r)
	}
	r = run(t, f.root, "", "verify", "cache")
	wantCode(t, r, 1)
	if !strings.Contains(r.stdout, "cache/triple/"+h+".out  symbolic link") || !strings.Contains(r.stderr, "found 1 foreign file") {
		t.Errorf("verify: want the link listed:\n%s", r)
	}
	r = run(t, f.root, "", "verify", "--fix", "cache", "triple")
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "rm -- 'cache/triple/"+h+".out'") {
		t.Errorf("verify --fix: want the command that removes the link:\n%s", r)
	}
	r = run(t, f.root, "", "clear", "-y", "cache", "triple")
	wantCode(t, r, 0)
	if fi, err := os.Lstat(out); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link after clear: %v, %v; want it left", fi, err)
	}
	if b, err := os.ReadFile(secret); err != nil || string(b) != "the secret" {
		t.Errorf("the file linked to: %q, %v", b, err)
	}
}

// A FIFO as an entry's file makes no command wait: ls and verify report
// it, and finish.
func TestCommandsDoNotBlockOnAFIFO(t *testing.T) {
	f := newFixture(t)
	// A record whose .key is a FIFO, and a FIFO as a .out.
	for _, p := range []string{f.path("triple", hash(t, 3), ".key"), f.path("triple", hash(t, 2), ".out")} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(p, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	r := run(t, f.root, "", "ls", "cache", "triple")
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, hash(t, 3)+".key is a FIFO") {
		t.Errorf("ls: want the FIFO named:\n%s", r)
	}
	// gc leaves the record with a FIFO as its key, and collects the rest.
	f.age(t, "triple", hash(t, 1), 48*time.Hour)
	f.age(t, "triple", hash(t, 3), 48*time.Hour)
	r = run(t, f.root, "", "gc", "cache", "--older-than", "24h")
	wantCode(t, r, 0)
	if f.exists(t, "triple", hash(t, 1)) || !f.exists(t, "triple", hash(t, 3)) || !strings.Contains(r.stderr, "left 1 entry with a foreign file") {
		t.Errorf("gc: want triple(1) removed, triple(3) left and said so:\n%s", r)
	}
	r = run(t, f.root, "", "verify", "--json", "cache")
	wantCode(t, r, 1)
	var doc verifyDoc
	decodeJSON(t, r, &doc)
	if len(doc.Foreign) != 2 || doc.Foreign[0].Type != "FIFO" {
		t.Errorf("verify: foreign %+v, want the two FIFOs", doc.Foreign)
	}
}
