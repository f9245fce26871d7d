package persist_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gopersist/persist"
)

// recorder is a slog.Handler that keeps the messages it is given.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Level.String()+" "+rec.Message)
	return nil
}

func (r *recorder) has(prefix string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.ContainsFunc(r.msgs, func(m string) bool { return strings.HasPrefix(m, prefix) })
}

// TestVerbosity checks pypersist's levels: each adds its messages to the
// ones below it, and Silent logs nothing, not even problems.
func TestVerbosity(t *testing.T) {
	levels := []struct {
		name      string
		verbosity int
		want      []string // message prefixes that must appear
		wantNot   []string // and must not
	}{
		{"silent", persist.Silent, nil, []string{"WARN", "INFO", "DEBUG"}},
		{"default is problems", 0, []string{"WARN Result not stored"}, []string{"INFO", "DEBUG"}},
		{"writes", 2, []string{"WARN Result not stored", "INFO Writing to memory.", "INFO Clearing cache."}, []string{"DEBUG"}},
		{"reads", 3, []string{"INFO Writing to memory.", "DEBUG No entry for (('x', 1),) as ", "DEBUG Reading from memory."}, []string{"DEBUG-4"}},
		{"details", 4, []string{"DEBUG Reading from memory.", "DEBUG-4 Entry written."}, nil},
	}
	for _, lv := range levels {
		t.Run(lv.name, func(t *testing.T) {
			rec := &recorder{}
			memo, err := persist.Decorate(func(x int) *node { n := &node{}; n.Next = n; return n }, persist.Options{
				Cache: memURL(t), FuncName: "cyclic", Verbosity: lv.verbosity, Logger: slog.New(rec)})
			if err != nil {
				t.Fatal(err)
			}
			memo.Call(1) // a result that refers to itself cannot be pickled: a problem
			f, m2, err := persist.Wrap(func(x int) int { return x }, persist.Options{
				Cache: memURL(t), FuncName: "identity", Verbosity: lv.verbosity, Logger: slog.New(rec), Spec: struct{ X int }{}})
			if err != nil {
				t.Fatal(err)
			}
			f(1)
			f(1)
			m2.Clear()
			for _, w := range lv.want {
				if !rec.has(w) {
					t.Errorf("no message %q in %q", w, rec.msgs)
				}
			}
			for _, w := range lv.wantNot {
				if rec.has(w) {
					t.Errorf("a message %q at this verbosity: %q", w, rec.msgs)
				}
			}
		})
	}
}
