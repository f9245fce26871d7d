package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	persist "github.com/gopersist/persist"
)

// result is what one run of the persist binary did.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return "exit status " + strconv.Itoa(r.code) + "\nstdout:\n" + r.stdout + "\nstderr:\n" + r.stderr
}

// run runs the persist binary in dir with args, standard input a pipe
// holding stdin (so not a terminal).
func run(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	return collect(t, exec.CommandContext(ctx, binary, args...), dir, stdin, "running persist "+strings.Join(args, " "))
}

// collect runs cmd in dir with stdin as its standard input, and returns
// what it wrote and its exit status; what failed to start fails t.
func collect(t *testing.T, cmd *exec.Cmd, dir, stdin, what string) result {
	t.Helper()
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", what, err)
	}
	return r
}

// runTTY runs the persist binary on a terminal, with script(1) holding the
// pseudo-terminal, and types stdin into it. Everything the command writes
// comes back in stdout, with the terminal's \r\n line ends.
func runTTY(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1) is not installed; terminal behaviour cannot be tested")
	}
	quoted := []string{shellQuote(binary)}
	for _, a := range args {
		quoted = append(quoted, shellQuote(a))
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, script, "-q", "-e", "-c", strings.Join(quoted, " "), "/dev/null")
	return collect(t, cmd, dir, stdin, "running persist "+strings.Join(args, " ")+" under script")
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// decodeJSON decodes a command's --json output into v.
func decodeJSON(t *testing.T, r result, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("stdout is not the documented JSON: %v\n%s", err, r)
	}
}

// wantCode fails the test unless r exited with code.
func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit status %d, got %s", code, r)
	}
}

// The functions of the test caches, each memoised with other options.

// tripleCalls counts the computations of triple, to see that a removed
// entry is computed again.
var tripleCalls atomic.Int32

func triple(x int) int {
	tripleCalls.Add(1)
	return 3 * x
}

// Profile is a struct result, shown by persist show as a JSON object.
type Profile struct {
	Name   string
	Weight float64
	Tags   []string
	Raw    []byte
}

func describe(name string, weight float64) Profile {
	return Profile{Name: name, Weight: weight, Tags: []string{"a", "b"}, Raw: []byte{0, 1, 2}}
}

func square(x int) int { return x * x }

func noise(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*37 + 200)
	}
	return b
}

// fixture is a cache written by the library.
type fixture struct {
	root string // the directory the cache is in, where persist runs
	dir  string // the cache's directory, root/cache
}

// hash is the hash of the default key with the arguments, as
// persist.Decorate computes it for a function without a Spec.
func hash(t *testing.T, args ...any) string {
	t.Helper()
	k := make(persist.Key, len(args))
	for i, a := range args {
		k[i] = persist.Arg{Name: "arg" + strconv.Itoa(i), Value: a}
	}
	h, err := persist.Hash(k)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// keyOf is how persist prints the default key of the arguments.
func keyOf(args ...any) string {
	k := make(persist.Key, len(args))
	for i, a := range args {
		k[i] = persist.Arg{Name: "arg" + strconv.Itoa(i), Value: a}
	}
	return k.String()
}

// newFixture writes a cache in a new directory with the library:
//
//	triple   x=1,2,3  default pickling, StoreKey, Metadata
//	describe ("ada", 61.5)  default pickling of a struct, no key stored
//	square   x=5,7    strconv.Itoa/Atoi (custom, text), StoreKey
//	noise    n=40     identity on []byte (custom, binary)
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{root: t.TempDir()}
	f.dir = filepath.Join(f.root, "cache")
	f.write(t, triple, persist.Options{StoreKey: true, Metadata: func() string { return "computed by the test" }}, []any{1}, []any{2}, []any{3})
	f.write(t, describe, persist.Options{}, []any{"ada", 61.5})
	f.write(t, square, persist.Options{StoreKey: true, Pickle: strconv.Itoa, Unpickle: strconv.Atoi}, []any{5}, []any{7})
	identity := func(b []byte) []byte { return b }
	f.write(t, noise, persist.Options{Pickle: identity, Unpickle: identity}, []any{40})
	return f
}

// write memoises fn into the fixture's cache and calls it with each list
// of arguments.
func (f *fixture) write(t *testing.T, fn any, opts persist.Options, calls ...[]any) {
	t.Helper()
	opts.Cache = f.dir
	opts.Verbosity = persist.Silent
	m, err := persist.Decorate(fn, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, args := range calls {
		if _, err := m.Call(args...); err != nil {
			t.Fatal(err)
		}
	}
}

// path is the file of an entry: f.path("triple", h, ".out").
func (f *fixture) path(funcname, hash, ext string) string {
	return filepath.Join(f.dir, funcname, hash+ext)
}

// size is what an entry takes on disk: its .out, .key and .meta.
func (f *fixture) size(t *testing.T, funcname, hash string) int64 {
	t.Helper()
	var n int64
	for _, ext := range []string{".out", ".key", ".meta"} {
		fi, err := os.Stat(f.path(funcname, hash, ext))
		if errors.Is(err, os.ErrNotExist) && ext != ".out" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

// exists reports whether an entry's .out is on disk.
func (f *fixture) exists(t *testing.T, funcname, hash string) bool {
	t.Helper()
	_, err := os.Stat(f.path(funcname, hash, ".out"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// age sets an entry's creation time (its .out's modification time) to ago
// before now.
func (f *fixture) age(t *testing.T, funcname, hash string, ago time.Duration) time.Time {
	t.Helper()
	when := time.Now().Add(-ago).Truncate(time.Second)
	if err := os.Chtimes(f.path(funcname, hash, ".out"), when, when); err != nil {
		t.Fatal(err)
	}
	return when
}

// flipLastByte damages a file: the last byte of a default pickle is part of
// its zstd checksum.
func flipLastByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
