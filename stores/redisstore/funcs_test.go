package redisstore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/gopersist/persist/stores"
)

// dieAfterCommit is a client hook that fails every command once a record
// has been committed, as a writer that dies right after its commit would
// leave things.
type dieAfterCommit struct{ committed atomic.Bool }

func (h *dieAfterCommit) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *dieAfterCommit) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.committed.Load() {
			return errors.New("the writer died")
		}
		err := next(ctx, cmd)
		if name := strings.ToLower(cmd.Name()); err == nil && (name == "evalsha" || name == "eval") && strings.Contains(cmd.String(), ":r:") {
			h.committed.Store(true)
		}
		return err
	}
}

func (h *dieAfterCommit) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestFuncsAfterWriterDies checks that a function whose first record was
// committed by a writer that died before anything else is still listed by
// Funcs, through which budgets and gc find functions.
func TestFuncsAfterWriterDies(t *testing.T) {
	base := needServer(t)
	st := openStore(t, base)
	d := testDriver(t, st)
	fn := "dies_after_commit_" + newToken()
	t.Cleanup(func() { _ = openStore(t, base).Clear(context.Background(), fn) })
	hook := &dieAfterCommit{}
	d.c.AddHook(hook)
	err := st.Put(t.Context(), fn, "h", stores.Record{Result: []byte("r")})
	if !hook.committed.Load() {
		t.Fatalf("the record was not committed: %v", err)
	}
	other := openStore(t, base)
	var funcs []string
	for name, err := range other.Funcs(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		funcs = append(funcs, name)
	}
	if !slices.Contains(funcs, fn) {
		t.Errorf("Funcs after a writer died right after committing %s's first record = %v: the function is missing", fn, funcs)
	}
}
