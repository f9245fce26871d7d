package mongostore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gopersist/persist/stores"
)

// replyBytes counts the bytes of the server's replies to the commands that
// read documents (find, getMore), as the MongoDB driver's command monitor
// reports them: what a store operation carried over the network.
type replyBytes struct {
	mu sync.Mutex
	n  int64
}

func (r *replyBytes) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) {
		if e.CommandName == "find" || e.CommandName == "getMore" {
			r.mu.Lock()
			r.n += int64(len(e.Reply))
			r.mu.Unlock()
		}
	}}
}

// take returns the bytes counted since the last take.
func (r *replyBytes) take() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.n
	r.n = 0
	return n
}

// openMonitored opens a store on the shared server whose replies are
// counted, and closes it when t ends.
func openMonitored(t testing.TB, opts url.Values) (*stores.Store, *replyBytes) {
	t.Helper()
	needServer(t)
	u, err := url.Parse(storeURL(t, serverURI, opts))
	if err != nil {
		t.Fatal(err)
	}
	counted := &replyBytes{}
	d, err := openDriver(t.Context(), u, options.Client().SetMonitor(counted.monitor()))
	if err != nil {
		t.Fatal(err)
	}
	st := stores.NewStore(d, d.url)
	t.Cleanup(func() { _ = st.Close() })
	return st, counted
}

// TestListReadsNoResult stores a 4 MiB result beside small ones and checks,
// by the bytes the server sent, that List and a Read of the metadata carry
// none of it, while a Read of the result does.
func TestListReadsNoResult(t *testing.T) {
	t.Parallel()
	st, counted := openMonitored(t, nil)
	ctx := t.Context()
	fn := "list_bytes_" + runSuffix()
	t.Cleanup(func() { _ = st.Clear(context.WithoutCancel(ctx), fn) })
	big := bytes.Repeat([]byte("r"), 4<<20)
	if err := st.Put(ctx, fn, "big", stores.Record{Result: big, Key: []byte("key"), Meta: []byte("meta")}); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"a", "c", "d"} {
		if err := st.Put(ctx, fn, h, stores.Record{Result: []byte("small " + h)}); err != nil {
			t.Fatal(err)
		}
	}

	counted.take()
	page, next, err := st.List(ctx, fn, "", 10)
	if err != nil || next != "" {
		t.Fatalf("List = %v, next %q, %v; want one page", page, next, err)
	}
	listed := counted.take()
	t.Logf("List of 4 records, one of 4 MiB: the server sent %d bytes", listed)
	if listed > 4<<10 {
		t.Errorf("List received %d bytes from the server, want under 4 KiB: it fetched the result", listed)
	}
	var hashes []string
	for _, m := range page {
		hashes = append(hashes, m.Hash)
		want := int64(len("small ") + 1)
		if m.Hash == "big" {
			want = int64(len(big) + len("key") + len("meta"))
		}
		if m.Size != want || m.Created.IsZero() {
			t.Errorf("List: %s has size %d, created %v; want size %d and a time", m.Hash, m.Size, m.Created, want)
		}
	}
	if got := strings.Join(hashes, ","); got != "a,big,c,d" {
		t.Errorf("List hashes %s, want a,big,c,d", got)
	}

	rec, err := st.Read(ctx, fn, "big", stores.PartKey|stores.PartMeta)
	if err != nil || string(rec.Key) != "key" || string(rec.Meta) != "meta" || rec.Result != nil {
		t.Fatalf("Read(key, meta) = {%.10q, %q, %q}, %v", rec.Result, rec.Key, rec.Meta, err)
	}
	if n := counted.take(); n > 4<<10 {
		t.Errorf("Read of the key and metadata received %d bytes, want under 4 KiB", n)
	}
	// The measure sees a result when one is read.
	if rec, err := st.Read(ctx, fn, "big", stores.PartResult); err != nil || !bytes.Equal(rec.Result, big) {
		t.Fatalf("Read(result): %d bytes, %v", len(rec.Result), err)
	}
	if n := counted.take(); n < int64(len(big)) {
		t.Errorf("Read of the 4 MiB result received %d bytes: the measure misses documents", n)
	}
}

// TestChunkedParts checks that a record kept in chunks lists with its size
// without a chunk read, and that Read fetches only the chunks holding the
// parts it returns.
func TestChunkedParts(t *testing.T) {
	t.Parallel()
	st, counted := openMonitored(t, nil)
	d := driverOf(t, st)
	ctx := t.Context()
	fn := "chunked_parts_" + runSuffix()
	t.Cleanup(func() { _ = st.Clear(context.WithoutCancel(ctx), fn) })
	// The result fills chunk 0 and starts chunk 1, which holds the key and
	// the metadata too.
	result := bytes.Repeat([]byte{1, 2, 3, 4}, (chunkSize+1<<20)/4)
	want := stores.Record{Result: result, Key: []byte("the key"), Meta: []byte("the meta")}
	if err := st.Put(ctx, fn, "h", want); err != nil {
		t.Fatal(err)
	}
	counted.take()
	page, _, err := st.List(ctx, fn, "", 10)
	if err != nil || len(page) != 1 || page[0].Size != int64(len(result)+len("the key")+len("the meta")) {
		t.Fatalf("List = %v, %v; want h with its size", page, err)
	}
	if n := counted.take(); n > 4<<10 {
		t.Errorf("List of a chunked record received %d bytes, want under 4 KiB", n)
	}
	rec, err := st.Read(ctx, fn, "h", stores.PartMeta|stores.PartKey)
	if err != nil || !bytes.Equal(rec.Meta, want.Meta) || !bytes.Equal(rec.Key, want.Key) || rec.Result != nil {
		t.Fatalf("Read(key, meta) = {%d bytes, %q, %q}, %v", len(rec.Result), rec.Key, rec.Meta, err)
	}
	if n := counted.take(); n > 2<<20 {
		t.Errorf("Read of the key and metadata received %d bytes, want only chunk 1 (about 1 MiB)", n)
	}
	// A second record's key straddles the chunks, and its metadata is
	// empty.
	straddling := stores.Record{Result: result[:chunkSize-10], Key: bytes.Repeat([]byte("k"), 1<<10), Meta: []byte{}}
	if err := st.Put(ctx, fn, "straddling", straddling); err != nil {
		t.Fatal(err)
	}
	checkParts(t, st, fn, "h", want)
	checkParts(t, st, fn, "straddling", straddling)

	// Without chunk 0 the result is gone, and Read says so rather than
	// return part of it; the key and metadata are still whole.
	if _, err := d.chunks.DeleteOne(ctx, bson.D{{Key: "funcname", Value: fn}, {Key: "hash", Value: "h"}, {Key: "_id", Value: bson.D{{Key: "$regex", Value: `\.000000$`}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Read(ctx, fn, "h", stores.PartResult); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Read of a result whose first chunk is gone: %v, want ErrNotFound", err)
	}
	if rec, err := st.Read(ctx, fn, "h", stores.PartMeta); err != nil || !bytes.Equal(rec.Meta, want.Meta) {
		t.Errorf("Read of the metadata, whose chunk is whole: %q, %v", rec.Meta, err)
	}
}

// checkParts checks that every combination of parts reads from (fn, hash)
// exactly the parts of want it names.
func checkParts(t *testing.T, st *stores.Store, fn, hash string, want stores.Record) {
	t.Helper()
	for parts := stores.Parts(0); parts <= stores.AllParts; parts++ {
		rec, err := st.Read(t.Context(), fn, hash, parts)
		if err != nil {
			t.Fatalf("Read(%s, parts=%03b): %v", hash, parts, err)
		}
		for _, p := range []struct {
			part      stores.Parts
			name      string
			got, want []byte
		}{
			{stores.PartResult, "result", rec.Result, want.Result},
			{stores.PartKey, "key", rec.Key, want.Key},
			{stores.PartMeta, "meta", rec.Meta, want.Meta},
		} {
			if parts.Has(p.part) && !bytes.Equal(p.got, p.want) || !parts.Has(p.part) && p.got != nil {
				t.Errorf("Read(%s, parts=%03b): %s has %d bytes, want %d (asked: %v)", hash, parts, p.name, len(p.got), len(p.want), parts.Has(p.part))
			}
		}
	}
}

// TestListOldDocuments checks List on documents written before Write kept
// a size: it reads their lengths, and lists them in order with new ones.
func TestListOldDocuments(t *testing.T) {
	t.Parallel()
	st, _ := openMonitored(t, nil)
	d := driverOf(t, st)
	ctx := t.Context()
	fn := "list_old_" + runSuffix()
	t.Cleanup(func() { _ = st.Clear(context.WithoutCancel(ctx), fn) })
	if err := st.Put(ctx, fn, "b", stores.Record{Result: []byte("new")}); err != nil {
		t.Fatal(err)
	}
	created := time.Now().Truncate(time.Millisecond)
	old := []any{
		bson.D{{Key: "_id", Value: fn + "/a"}, {Key: "funcname", Value: fn}, {Key: "hash", Value: "a"},
			{Key: "created", Value: created}, {Key: "result", Value: bson.Binary{Data: []byte("12345")}},
			{Key: "key", Value: bson.Binary{Data: []byte("kk")}}, {Key: "metadata", Value: "meta"}},
		bson.D{{Key: "_id", Value: fn + "/c"}, {Key: "funcname", Value: fn}, {Key: "hash", Value: "c"},
			{Key: "created", Value: created}, {Key: "result", Value: bson.Binary{Data: []byte{}}},
			{Key: "metadata", Value: bson.Binary{Data: []byte{0xff, 0xfe}}}},
		bson.D{{Key: "_id", Value: fn + "/d"}, {Key: "funcname", Value: fn}, {Key: "hash", Value: "d"},
			{Key: "created", Value: created}, {Key: "chunks", Value: &chunkRef{Version: "v", Count: 3, Result: 20 << 20, Key: -1, Meta: 4}}},
	}
	if _, err := d.results.InsertMany(ctx, old); err != nil {
		t.Fatal(err)
	}
	page, _, err := st.List(ctx, fn, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, m := range page {
		got += fmt.Sprintf("{%s %d %v} ", m.Hash, m.Size, m.Created)
	}
	want := fmt.Sprintf("{a 11 %v} {b 3 %v} {c 2 %v} {d %d %v} ", created.UTC(), page[1].Created, created.UTC(), 20<<20+4, created.UTC())
	if len(page) != 4 || got != want {
		t.Errorf("List of old documents and a new one =\n%s\nwant\n%s", got, want)
	}
}

// BenchmarkList lists the records of 1 KiB of one function, 1,000 and
// 3,000 of them in a collection of their own, a page of 500 at a time, and
// reports the time and the bytes received per entry beside those of a plain
// find of the same documents in the same run (x_find): the floor of any
// listing that reads whole documents. On FerretDB's SQLite backend, which
// pushes down no range on _id, each page scans the collection; on MongoDB
// the _id index serves it.
func BenchmarkList(b *testing.B) {
	for _, records := range []int{1000, 3000} {
		b.Run(fmt.Sprintf("records=%d", records), func(b *testing.B) { benchList(b, records) })
	}
}

func benchList(b *testing.B, records int) {
	const page = 500
	coll := "bench_list_" + runSuffix()
	st, counted := openMonitored(b, url.Values{"collection": {coll}})
	d := driverOf(b, st)
	ctx := b.Context()
	fn := "bench_list_" + runSuffix()
	b.Cleanup(func() {
		_ = d.results.Drop(context.WithoutCancel(ctx))
		_ = d.chunks.Drop(context.WithoutCancel(ctx))
	})
	result := bytes.Repeat([]byte("x"), 1<<10)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < records; i += 4 {
				if err := st.Put(ctx, fn, fmt.Sprintf("%08d", i), stores.Record{Result: result}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	var listTime, findTime time.Duration
	var listBytes, findBytes int64
	for b.Loop() {
		counted.take()
		start := time.Now()
		n := 0
		for _, err := range st.ListAll(ctx, fn) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		listTime += time.Since(start)
		listBytes += counted.take()
		if n != records {
			b.Fatalf("listed %d records, want %d", n, records)
		}

		start = time.Now()
		cur, err := d.results.Find(ctx, bson.D{{Key: "funcname", Value: fn}}, options.Find().SetBatchSize(page))
		if err != nil {
			b.Fatal(err)
		}
		var docs []bson.Raw
		if err := cur.All(ctx, &docs); err != nil || len(docs) != records {
			b.Fatalf("find: %d documents, %v", len(docs), err)
		}
		findTime += time.Since(start)
		findBytes += counted.take()
	}
	per := float64(b.N) * float64(records)
	b.ReportMetric(float64(listTime.Nanoseconds())/per, "list-ns/entry")
	b.ReportMetric(float64(findTime.Nanoseconds())/per, "find-ns/entry")
	b.ReportMetric(float64(listTime)/float64(findTime), "x_find")
	b.ReportMetric(float64(listBytes)/per, "list-B/entry")
	b.ReportMetric(float64(findBytes)/per, "find-B/entry")
}
