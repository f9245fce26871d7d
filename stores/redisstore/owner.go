package redisstore

import (
	"context"
	"iter"

	"github.com/redis/go-redis/v9"
)

// Owner implements [driver.Store].
func (d *redisDriver) Owner(ctx context.Context, funcname string) ([]byte, error) {
	b, err := d.c.Get(ctx, d.keys(funcname).owner()).Bytes()
	if err == redis.Nil {
		return nil, errNotFound
	}
	return b, err
}

// ClaimOwner implements [driver.Store] with a script: GET, and SET if
// there was nothing.
func (d *redisDriver) ClaimOwner(ctx context.Context, funcname string, owner []byte) ([]byte, error) {
	s, err := claimOwnerScript.Run(ctx, d.c, []string{d.keys(funcname).owner()}, owner).Text()
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// funcsPage is how many funcnames Funcs reads at a time.
const funcsPage = 500

// Funcs implements [driver.FuncLister] from the sorted set of funcnames, a
// page at a time, passing by names whose functions have no records (a
// Delete or Clear that stopped before taking the name out).
func (d *redisDriver) Funcs(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		from := "-"
		for {
			names, err := d.c.ZRangeByLex(ctx, d.funcsKey(), &redis.ZRangeBy{Min: from, Max: "+", Count: funcsPage}).Result()
			if err != nil {
				yield("", err)
				return
			}
			counts := make([]*redis.IntCmd, len(names))
			_, err = d.c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i, name := range names {
					counts[i] = p.ZCard(ctx, d.keys(name).index())
				}
				return nil
			})
			if err != nil {
				yield("", err)
				return
			}
			// A function whose records are all past their expiry but not
			// yet swept is listed still: it costs a listing that finds
			// nothing, where judging expiry by this machine's clock could
			// hide one with live records from budgets and gc.
			for i, name := range names {
				if counts[i].Val() > 0 && !yield(name, nil) {
					return
				}
			}
			if len(names) < funcsPage {
				return
			}
			from = "(" + names[len(names)-1]
		}
	}
}
