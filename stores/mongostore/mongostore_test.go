package mongostore

import (
	"bytes"
	"net/url"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/storetest"
	"github.com/gopersist/persist/stores/storetest/memotest"
)

func TestConformance(t *testing.T) {
	needServer(t)
	open := func(t *testing.T) *stores.Store { return openStore(t, nil) }
	storetest.Run(t, open)
	memotest.Run(t, open)
}

func BenchmarkConformance(b *testing.B) {
	needServer(b)
	storetest.Bench(b, func(b *testing.B) *stores.Store { return openStore(b, nil) })
}

// TestLayout checks the documented document layout, and that ?collection=
// keeps records apart from the default collection's.
func TestLayout(t *testing.T) {
	t.Parallel()
	coll := "layout_" + runSuffix()
	own := openStore(t, url.Values{"collection": {coll}})
	def := openStore(t, nil)
	ctx := t.Context()
	fn := "layout_" + runSuffix()
	before := time.Now().Add(-time.Second)
	if err := own.Put(ctx, fn, "h", stores.Record{Result: []byte{1, 2}, Meta: []byte("text")}); err != nil {
		t.Fatal(err)
	}
	if err := def.Put(ctx, fn, "h", stores.Record{Result: []byte("default"), Key: []byte{0}, Meta: []byte{0xff}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = def.Clear(ctx, fn) })
	if rec, err := own.Get(ctx, fn, "h"); err != nil || !bytes.Equal(rec.Result, []byte{1, 2}) {
		t.Errorf("Get from collection %s = %q, %v; want its own record", coll, rec.Result, err)
	}

	var raw bson.M
	if err := driverOf(t, own).results.FindOne(ctx, bson.D{{Key: "funcname", Value: fn}}).Decode(&raw); err != nil {
		t.Fatalf("reading the document of collection %s: %v", coll, err)
	}
	if raw["hash"] != "h" || raw["metadata"] != "text" || raw["size"] != int64(2+len("text")) {
		t.Errorf("document = %v, want hash \"h\", metadata as the string \"text\" and size 6", raw)
	}
	if b, ok := raw["result"].(bson.Binary); !ok || !bytes.Equal(b.Data, []byte{1, 2}) {
		t.Errorf("document result = %#v, want binary 01 02", raw["result"])
	}
	if _, ok := raw["key"]; ok {
		t.Errorf("document has a key field for a nil Key: %v", raw)
	}
	if d, ok := raw["created"].(bson.DateTime); !ok || d.Time().Before(before) {
		t.Errorf("document created = %#v, want a date after %v", raw["created"], before)
	}

	var other bson.M
	if err := driverOf(t, def).results.FindOne(ctx, bson.D{{Key: "funcname", Value: fn}}).Decode(&other); err != nil {
		t.Fatalf("reading the default collection's document: %v", err)
	}
	if b, ok := other["metadata"].(bson.Binary); !ok || !bytes.Equal(b.Data, []byte{0xff}) {
		t.Errorf("metadata that is not UTF-8 = %#v, want binary ff", other["metadata"])
	}
	if b, ok := other["key"].(bson.Binary); !ok || !bytes.Equal(b.Data, []byte{0}) {
		t.Errorf("key = %#v, want binary 00", other["key"])
	}
	od := driverOf(t, own)
	for _, c := range []*mongo.Collection{od.results, od.chunks, od.leases, od.owners} {
		if err := c.Drop(ctx); err != nil {
			t.Logf("dropping %s: %v", c.Name(), err)
		}
	}
}
