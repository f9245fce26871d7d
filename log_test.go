package persist_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gopersist/persist"
)

// logBuffer is a real slog handler (slog's JSON handler at its default
// level, as a user would make one) writing into a buffer, and reads back
// what it wrote as "LEVEL verbosity message" lines.
type logBuffer struct{ bytes.Buffer }

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewJSONHandler(b, nil)) }

// take returns the messages logged since the last take.
func (b *logBuffer) take(t *testing.T) []string {
	t.Helper()
	var msgs []string
	for line := range strings.Lines(b.String()) {
		var rec struct {
			Level     string `json:"level"`
			Msg       string `json:"msg"`
			Verbosity int    `json:"verbosity"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		msgs = append(msgs, fmt.Sprintf("%s %d %s", rec.Level, rec.Verbosity, rec.Msg))
	}
	b.Reset()
	return msgs
}

func checkLog(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s logged\n\t%s\nwant\n\t%s", what, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// TestVerbosity is pypersist's test_verbosity: at each level, the messages
// pypersist prints, word for word and in its order, through a real slog
// handler at its default level.
func TestVerbosity(t *testing.T) {
	dir := t.TempDir()
	var buf logBuffer
	double := func(v int) (func(int) int, *persist.Memo) {
		t.Helper()
		f, memo, err := persist.Wrap(func(x int) int { return 2 * x }, persist.Options{
			Cache: dir, FuncName: "double_" + strconv.Itoa(v), Spec: struct{ X int }{},
			Verbosity: v, Logger: buf.logger()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { memo.Close() })
		return f, memo
	}
	hash, err := persist.Hash(persist.KeyOf("x", 1))
	if err != nil {
		t.Fatal(err)
	}
	file := func(v int) string { return filepath.Join(dir, "double_"+strconv.Itoa(v), hash+".out") }
	x1 := persist.KeyOf("x", 1)

	for _, v := range []int{persist.Silent, 1} {
		f, memo := double(v)
		f(1)
		f(1)
		memo.Clear()
		checkLog(t, fmt.Sprintf("verbosity %d", v), buf.take(t), nil)
	}

	f, memo := double(2)
	f(1)
	f(1)
	memo.Clear()
	checkLog(t, "verbosity 2", buf.take(t), []string{
		"INFO 2 Writing to files.",
		"INFO 2 Clearing cache.",
	})

	f, memo = double(3)
	f(1)
	f(1)
	memo.Clear()
	missThenWrite := []string{
		"INFO 3 Getting cache.",
		"INFO 3 No entry for (('x', 1),) as " + file(3) + " does not exist.",
		"INFO 3 Writing to " + file(3),
		"INFO 3 Done writing " + file(3) + ".",
		"INFO 3 Done writing all files.",
	}
	checkLog(t, "verbosity 3", buf.take(t), append(slices.Clone(missThenWrite),
		"INFO 3 Getting cache.",
		"INFO 3 Done reading cache.",
		"INFO 2 Clearing cache.",
		"INFO 3 Cache cleared.",
	))
	f(1)
	if err := memo.Cache().Delete(x1); err != nil {
		t.Fatal(err)
	}
	checkLog(t, "verbosity 3, del cache[(('x', 1),)]", buf.take(t), append(missThenWrite,
		"INFO 3 Deleting cache item.",
		"INFO 3 Done deleting cache item.",
	))

	f, memo = double(4)
	f(1)
	checkLog(t, "verbosity 4, a miss", buf.take(t), []string{
		"INFO 4 Getting key (('x', 1),) from " + file(4) + ".",
		"INFO 3 No entry for (('x', 1),) as " + file(4) + " does not exist.",
		"INFO 3 Writing to " + file(4),
		"INFO 3 Done writing " + file(4) + ".",
		"INFO 3 Done writing all files.",
	})
	f(1)
	checkLog(t, "verbosity 4, a hit", buf.take(t), []string{
		"INFO 4 Getting key (('x', 1),) from " + file(4) + ".",
		"INFO 3 Done reading cache.",
	})
	if err := memo.Cache().Delete(x1); err != nil {
		t.Fatal(err)
	}
	checkLog(t, "verbosity 4, del cache[(('x', 1),)]", buf.take(t), []string{
		"INFO 4 Deleting cache item (('x', 1),) in file " + file(4) + ".",
		"INFO 4 File " + file(4) + " deleted.",
		"INFO 3 Done deleting cache item.",
	})
	memo.Clear()
	checkLog(t, "verbosity 4, clear", buf.take(t), []string{
		"INFO 2 Clearing cache.",
		"INFO 3 Cache cleared.",
	})
}

// TestVerbosityNamesEveryFile checks that an entry's key and metadata files
// are named as its result is, for writes (by a call and by Set) and
// deletes.
func TestVerbosityNamesEveryFile(t *testing.T) {
	dir := t.TempDir()
	var buf logBuffer
	f, memo, err := persist.Wrap(func(x int) int { return 2 * x }, persist.Options{
		Cache: dir, FuncName: "double", Spec: struct{ X int }{}, StoreKey: true,
		Metadata: func() string { return "noted" }, Verbosity: 4, Logger: buf.logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	hash, err := persist.Hash(persist.KeyOf("x", 1))
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "double", hash)
	f(1)
	buf.take(t)
	writes := []string{
		"INFO 3 Writing to " + base + ".out",
		"INFO 3 Writing to " + base + ".key",
		"INFO 3 Writing to " + base + ".meta",
		"INFO 3 Done writing " + base + ".out.",
		"INFO 3 Done writing " + base + ".key.",
		"INFO 3 Done writing " + base + ".meta.",
		"INFO 3 Done writing all files.",
	}
	if err := memo.Cache().Set(persist.KeyOf("x", 1), 3); err != nil {
		t.Fatal(err)
	}
	checkLog(t, "cache[(('x', 1),)] = 3", buf.take(t), writes)
	if err := memo.Cache().Delete(persist.KeyOf("x", 1)); err != nil {
		t.Fatal(err)
	}
	checkLog(t, "del cache[(('x', 1),)]", buf.take(t), []string{
		"INFO 4 Deleting cache item (('x', 1),) in file " + base + ".out.",
		"INFO 4 Deleting cache item (('x', 1),) in file " + base + ".key.",
		"INFO 4 Deleting cache item (('x', 1),) in file " + base + ".meta.",
		"INFO 4 File " + base + ".out deleted.",
		"INFO 4 File " + base + ".key deleted.",
		"INFO 4 File " + base + ".meta deleted.",
		"INFO 3 Done deleting cache item.",
	})
	err = memo.Cache().Delete(persist.KeyOf("x", 1))
	if !errors.Is(err, persist.ErrNotFound) {
		t.Fatalf("deleting a missing key: %v, want ErrNotFound", err)
	}
	got := buf.take(t)
	if slices.ContainsFunc(got, func(m string) bool { return strings.Contains(m, "deleted") }) {
		t.Errorf("deleting a missing key logged %q", got)
	}
}

// TestVerbosityOtherStores checks that stores without files name an entry
// by the store's URL.
func TestVerbosityOtherStores(t *testing.T) {
	var buf logBuffer
	url := memURL(t)
	f, memo, err := persist.Wrap(func(x int) int { return 2 * x }, persist.Options{
		Cache: url + "?unused=1", FuncName: "double", Spec: struct{ X int }{}, Verbosity: 3, Logger: buf.logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	if err := memo.Clear(); err != nil { // a memory store outlives the test under -count
		t.Fatal(err)
	}
	buf.take(t)
	hash, err := persist.Hash(persist.KeyOf("x", 1))
	if err != nil {
		t.Fatal(err)
	}
	f(1)
	file := url + "/double/" + hash + ".out"
	checkLog(t, "a miss in memory", buf.take(t), []string{
		"INFO 3 Getting cache.",
		"INFO 3 No entry for (('x', 1),) as " + file + " does not exist.",
		"INFO 3 Writing to " + file,
		"INFO 3 Done writing " + file + ".",
		"INFO 3 Done writing all files.",
	})
}

// TestVerbosityCollision is pypersist's test_unhash_collision: the
// colliding call fails with a HashCollisionError and says so at level 1,
// in pypersist's words; with StoreKey too.
func TestVerbosityCollision(t *testing.T) {
	var buf logBuffer
	square, memo, err := persist.Wrap(func(x int) (int, error) { return x * x, nil }, persist.Options{
		Cache: memURL(t), FuncName: "square",
		Key: func(x int) int { return x }, Hash: func(int) string { return "16" }, Unhash: strconv.Atoi,
		Verbosity: 1, Logger: buf.logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	for range 2 {
		if v, err := square(16); v != 256 || err != nil {
			t.Fatalf("square(16) = %v, %v", v, err)
		}
	}
	if _, err := square(12); !errors.Is(err, persist.ErrHashCollision) {
		t.Fatalf("square(12): %v, want a hash collision", err)
	}
	checkLog(t, "a collision with Unhash", buf.take(t), []string{"WARN 1 Key (12) does not match stored key (16)."})

	checked, memo2, err := persist.Wrap(func(x int) (int, error) { return x * x, nil }, persist.Options{
		Cache: memURL(t), FuncName: "square_checked", Spec: struct{ X int }{}, StoreKey: true,
		Hash: func(persist.Key) string { return "hello world" }, Logger: buf.logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer memo2.Close()
	checked(3)
	if _, err := checked(4); !errors.Is(err, persist.ErrHashCollision) {
		t.Fatalf("checked(4): %v, want a hash collision", err)
	}
	checkLog(t, "a collision with StoreKey", buf.take(t), []string{
		"WARN 1 Key ((('x', 4),)) does not match stored key ((('x', 3),)).",
	})
}

// TestVerbosityProblems checks that problems are logged by default, as
// warnings, and not at all when Silent.
func TestVerbosityProblems(t *testing.T) {
	for _, v := range []int{0, persist.Silent} {
		var buf logBuffer
		memo, err := persist.Decorate(func(x int) *node { n := &node{}; n.Next = n; return n }, persist.Options{
			Cache: memURL(t), FuncName: "cyclic", Verbosity: v, Logger: buf.logger()})
		if err != nil {
			t.Fatal(err)
		}
		memo.Call(1) // a result that refers to itself cannot be pickled: a problem
		memo.Close()
		var want []string
		if v == 0 {
			want = []string{"WARN 1 Result not stored: it cannot be pickled."}
		}
		checkLog(t, fmt.Sprintf("verbosity %d", v), buf.take(t), want)
	}
}

// TestVerbosityWithDefaultLogger is the README's example, Verbosity: 3
// with slog.Default(): every message of the level shows, although slog's
// default handler hides debug messages.
func TestVerbosityWithDefaultLogger(t *testing.T) {
	var out bytes.Buffer
	w, flags := log.Writer(), log.Flags()
	log.SetOutput(&out)
	log.SetFlags(0)
	defer func() { log.SetOutput(w); log.SetFlags(flags) }()

	triple, memo, err := persist.Wrap(func(x int) int { return 3 * x }, persist.Options{
		Cache: t.TempDir(), FuncName: "triple", Spec: struct{ X int }{}, Verbosity: 3, Logger: slog.Default()})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	triple(4)
	triple(4)
	for _, want := range []string{"INFO Getting cache.", "INFO Writing to ", "INFO Done reading cache."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in slog.Default()'s output:\n%s", want, out.String())
		}
	}
}
