package persist_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/memstore"
)

// flakyClaims fails its first ClaimOwner (as an unreachable store would
// at Decorate), then works.
type flakyClaims struct {
	driver.Store
	fails atomic.Int32
}

var errFlaky = errors.New("flaky")

func (f *flakyClaims) ClaimOwner(ctx context.Context, fn string, owner []byte) ([]byte, error) {
	if f.fails.Add(-1) >= 0 {
		return nil, errFlaky
	}
	return f.Store.ClaimOwner(ctx, fn, owner)
}

func (f *flakyClaims) ErrorCode(err error) driver.Code {
	if errors.Is(err, errFlaky) {
		return driver.Unavailable
	}
	return f.Store.ErrorCode(err)
}

func probe2Sq(x int) int { return x * x }

func probe2SqCtx(_ context.Context, x int) int { return x * x }

func probe2Slice(n int) []float64 { return make([]float64, n) }

// Each way in, as the first use of a Memo whose claim at Decorate failed:
// the result is stored.
func TestFirstUseStores(t *testing.T) {
	for _, way := range []string{"Call", "Refresh", "WithRefresh", "Wrap1", "MapResult", "Set", "WithMaxAge"} {
		t.Run(way, func(t *testing.T) {
			var d driver.Store
			url := memURL(t)
			if !memstore.Open(strings.TrimPrefix(url, "mem://")).As(&d) {
				t.Fatal("As")
			}
			fc := &flakyClaims{Store: d}
			fc.fails.Store(1)
			st := stores.NewStore(fc, url)
			opts := persist.Options{Store: st, Verbosity: persist.Silent}
			var m *persist.Memo
			var err error
			arg := 3
			switch way {
			case "Wrap1":
				var f func(int) int
				f, m, err = persist.Wrap1(probe2Sq, opts)
				if err == nil {
					f(arg)
				}
			case "MapResult":
				arg = 1024
				m, err = persist.Decorate(probe2Slice, opts)
				if err == nil {
					_, err = persist.MapResult[float64](m, arg)
				}
			case "WithRefresh", "WithMaxAge":
				m, err = persist.Decorate(probe2SqCtx, opts)
				if err != nil {
					break
				}
				ctx := persist.WithRefresh(context.Background())
				if way == "WithMaxAge" {
					ctx = persist.WithMaxAge(context.Background(), 1)
				}
				_, err = m.Call(ctx, arg)
			default:
				m, err = persist.Decorate(probe2Sq, opts)
				if err != nil {
					break
				}
				switch way {
				case "Call":
					_, err = m.Call(arg)
				case "Refresh":
					_, err = m.Refresh(arg)
				case "WithRefresh":
					_, err = m.Call(persist.WithRefresh(context.Background()), arg)
				case "WithMaxAge":
					_, err = m.Call(persist.WithMaxAge(context.Background(), 1), arg)
				case "Set":
					err = m.Cache().Set(persist.KeyOf("arg0", arg), 9)
				}
			}
			if err != nil {
				t.Logf("%s: %v", way, err)
				return
			}
			m.Close()
			if n, err := st.Len(context.Background(), m.FuncName()); err != nil || n != 1 {
				t.Errorf("%s: %d entries stored, %v; stats %+v", way, n, err, m.Stats())
			}
		})
	}
}
