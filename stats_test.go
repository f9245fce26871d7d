package persist_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
)

func TestStatsCounts(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		f, memo, err := persist.Wrap1(counted(&n), persist.Options{Cache: s.url, FuncName: "counts"})
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		if st := memo.Stats(); st != (persist.Stats{}) {
			t.Fatalf("Stats before any call: %+v", st)
		}
		f(1)
		f(1)
		f(2)
		f(1)
		st := memo.Stats()
		if st.Hits != 2 || st.Misses != 2 || st.Computes != 2 || st.Waits != 0 || st.Stale != 0 {
			t.Errorf("Stats %+v, want 2 hits, 2 misses, 2 computes", st)
		}
		size := uint64(len(stored(t, s.url, "counts", hashOf(t, 1))))
		size2 := uint64(len(stored(t, s.url, "counts", hashOf(t, 2))))
		if st.BytesWritten != size+size2 {
			t.Errorf("BytesWritten %d, want the two entries' %d", st.BytesWritten, size+size2)
		}
		if st.BytesRead != 2*size {
			t.Errorf("BytesRead %d, want two hits of %d", st.BytesRead, size)
		}
		if st.ComputeTime <= 0 {
			t.Errorf("ComputeTime %v, want some", st.ComputeTime)
		}
	})
}

func TestStatsWaits(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		started, release := make(chan struct{}), make(chan struct{})
		memo, err := persist.Decorate(func(x int) int {
			n.Add(1)
			close(started)
			<-release
			return x
		}, persist.Options{Cache: s.url, FuncName: "waits"})
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		var wg sync.WaitGroup
		wg.Go(func() { memo.Call(1) })
		<-started
		wg.Go(func() { memo.Call(1) })
		for memo.Stats().Misses < 2 { // the second caller has missed too
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond) // and joined the flight
		close(release)
		wg.Wait()
		if st := memo.Stats(); st.Computes != 1 || st.Waits != 1 || n.Load() != 1 {
			t.Errorf("Stats %+v after %d computations, want 1 compute and 1 wait", st, n.Load())
		}
	})
}

func TestStatsDamaged(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		f, memo, err := persist.Wrap1(counted(&n), persist.Options{Cache: s.url, FuncName: "damaged", Verbosity: persist.Silent})
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		f(1)
		hash := hashOf(t, 1)
		data := bytes.Clone(stored(t, s.url, "damaged", hash))
		data[len(data)-1] ^= 0xFF
		if err := openStore(t, s.url).Put(context.Background(), "damaged", hash, stores.Record{Result: data}); err != nil {
			t.Fatal(err)
		}
		if got := f(1); got != 1002 {
			t.Fatalf("damaged entry: %d, want a new computation 1002", got)
		}
		if st := memo.Stats(); st.Damaged != 1 || st.Hits != 0 || st.Misses != 2 {
			t.Errorf("Stats %+v, want 1 damaged, no hit, 2 misses", st)
		}
	})
}

func TestStatsCollisions(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		f, memo, err := persist.Wrap1E(func(x int) (int, error) { return x, nil }, persist.Options{
			Cache: s.url, FuncName: "collide", StoreKey: true,
			Hash: func(persist.Key) string { return "same" },
		})
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		f(1)
		_, err = f(2)
		if hce := new(persist.HashCollisionError); !errors.As(err, &hce) {
			t.Fatalf("f(2) on f(1)'s hash: %v, want a HashCollisionError", err)
		}
		if st := memo.Stats(); st.Collisions != 1 || st.Hits != 0 {
			t.Errorf("Stats %+v, want 1 collision and no hit", st)
		}
	})
}

func TestStatsTimeSaved(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		fn := func(x int) int { time.Sleep(10 * time.Millisecond); return x }
		opts := persist.Options{Cache: s.url, FuncName: "saved"}
		f, memo, err := persist.Wrap1(fn, opts)
		if err != nil {
			t.Fatal(err)
		}
		f(1)
		if st := memo.Stats(); st.ComputeTime < 10*time.Millisecond || st.TimeSaved != 0 {
			t.Errorf("after the computation: %+v, want ComputeTime ≥ 10ms and nothing saved", st)
		}
		closeMemo(t, memo)
		if st := stampOf(t, s.url, "saved", hashOf(t, 1)); st.Compute < 10*time.Millisecond {
			t.Errorf("stamped compute time %v, want ≥ 10ms", st.Compute)
		}
		// Another Memo, which computed nothing, saves the stored time.
		f, memo, err = persist.Wrap1(fn, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		f(1)
		f(1)
		if st := memo.Stats(); st.TimeSaved < 20*time.Millisecond || st.ComputeTime != 0 || st.Hits != 2 {
			t.Errorf("two hits: %+v, want TimeSaved ≥ 20ms and no computing", st)
		}
	})
}

func TestStatsForms(t *testing.T) {
	s := persist.Stats{Hits: 3, Misses: 1, Computes: 1, BytesRead: 30, ComputeTime: 5 * time.Millisecond, TimeSaved: time.Second}
	var back persist.Stats
	if err := json.Unmarshal([]byte(s.String()), &back); err != nil {
		t.Fatalf("String() %q is not JSON: %v", s.String(), err)
	}
	if back != s {
		t.Errorf("String() round trip: %+v, want %+v", back, s)
	}
	v := s.LogValue()
	if v.Kind() != slog.KindGroup {
		t.Fatalf("LogValue is a %v, want a group", v.Kind())
	}
	got := map[string]slog.Value{}
	for _, a := range v.Group() {
		got[a.Key] = a.Value
	}
	if got["hits"].Uint64() != 3 || got["misses"].Uint64() != 1 || got["time_saved"].Duration() != time.Second {
		t.Errorf("LogValue attributes %v", got)
	}
	var buf strings.Builder
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cache", "stats", s)
	if !strings.Contains(buf.String(), "stats.hits=3") || !strings.Contains(buf.String(), "stats.time_saved=1s") {
		t.Errorf("logged %q, want the group's attributes", buf.String())
	}
}
