package redisstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestListBoundedWork checks that one call of the listing script reads at
// most listScan hashes, however many records past their expiry it meets
// (a batch written with one time to live, say), so that no List holds the
// server for long, and that List goes on from where it stopped to a full
// page.
func TestListBoundedWork(t *testing.T) {
	st := openStore(t, needServer(t))
	d := testDriver(t, st)
	fn := "list_bounded_" + newToken()
	ctx := context.Background()
	t.Cleanup(func() { _ = st.Clear(ctx, fn) })
	k := d.keys(fn)
	const expired = 5 * listScan
	_, err := d.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for j := range expired {
			h := fmt.Sprintf("h%07d", j)
			p.ZAdd(ctx, k.index(), redis.Z{Member: h})
			p.ZAdd(ctx, k.expiries(), redis.Z{Score: 1, Member: h}) // long past
			p.HSet(ctx, k.metas(), h, "1 1700000000000000")
		}
		p.ZAdd(ctx, k.index(), redis.Z{Member: "zlive"})
		p.HSet(ctx, k.metas(), "zlive", "1 1700000000000000")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := listScript.Run(ctx, d.c, []string{k.index(), k.metas(), k.expiries()}, "-", 10, k.recordPrefix(), k.chunkPrefix()).Slice()
	if err != nil {
		t.Fatal(err)
	}
	if from, _ := out[0].(string); from == "" || len(out) != 1 {
		t.Fatalf("one call over %d expired records answered %d values, resuming at %q: want none and a place to go on", expired, len(out), from)
	}
	left := d.c.ZCard(ctx, k.index()).Val()
	if removed := expired + 1 - left; removed > listScan+100 {
		t.Errorf("one call removed %d records, more than listScan (%d) and one sweep (100)", removed, listScan)
	}
	page, next, err := st.List(ctx, fn, "", 10)
	if err != nil || len(page) != 1 || page[0].Hash != "zlive" || next != "" {
		t.Errorf("List = %v, %q, %v; want the one live record and no next page", page, next, err)
	}
	if n := d.c.ZCard(ctx, k.index()).Val(); n != 1 {
		t.Errorf("the index holds %d hashes after the listing, want the live one", n)
	}
}
