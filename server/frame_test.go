package server_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
)

// TestItemFrame checks the negotiation of an item's answer: a client that
// names the record frame in Accept gets the record's bytes in one, with
// the JSON item's ETag and Vary; every other client, pypersist's
// (which sends */*) among them, gets the JSON item as before.
func TestItemFrame(t *testing.T) {
	f := newFixture(t, server.Options{})
	rec := stores.Record{Result: []byte{0, 1, 0xff}, Key: []byte{}, Meta: []byte("m")}
	if err := f.store.Put(context.Background(), "bin", "h", rec); err != nil {
		t.Fatal(err)
	}
	stored, err := f.store.Get(context.Background(), "bin", "h")
	if err != nil {
		t.Fatal(err)
	}

	a := f.do(t, "GET", "/persist/bin/h", map[string]string{"Accept": wire.FrameType + ", application/json;q=0.9"}, "")
	if a.status != http.StatusOK || a.header.Get("Content-Type") != wire.FrameType || a.header.Get("Vary") != "Accept" {
		t.Fatalf("GET with Accept %s answered %d, Content-Type %q, Vary %q", wire.FrameType, a.status, a.header.Get("Content-Type"), a.header.Get("Vary"))
	}
	hash, got, err := wire.DecodeFrame(a.body)
	if err != nil {
		t.Fatalf("DecodeFrame: %v", err)
	}
	if string(hash) != "h" || !bytes.Equal(got.Result, rec.Result) || got.Key == nil || len(got.Key) != 0 ||
		!bytes.Equal(got.Meta, rec.Meta) || !got.Created.Equal(stored.Created.Truncate(time.Second)) {
		t.Errorf("the frame carries %q %+v, want h %+v (to the second of _created)", hash, got, stored)
	}
	json := f.do(t, "GET", "/persist/bin/h", nil, "")
	if a.header.Get("ETag") == "" || a.header.Get("ETag") != json.header.Get("ETag") {
		t.Errorf("the frame's ETag %q differs from the JSON item's %q", a.header.Get("ETag"), json.header.Get("ETag"))
	}

	a = f.do(t, "GET", "/persist/bin/h?projection=%7B%22result%22%3A1%7D", map[string]string{"Accept": wire.FrameType}, "")
	if _, got, err = wire.DecodeFrame(a.body); err != nil || !bytes.Equal(got.Result, rec.Result) || got.Key != nil || got.Meta != nil {
		t.Errorf("a frame of the result only carries %+v (err %v)", got, err)
	}
	if a.header.Get("ETag") != "" {
		t.Errorf("a frame of some parts has ETag %q: it would not be the record's", a.header.Get("ETag"))
	}

	for _, accept := range []string{"", "*/*", "application/json", wire.FrameType + ";q=0, application/json"} {
		a := f.do(t, "GET", "/persist/bin/h", map[string]string{"Accept": accept}, "")
		var it wire.Item
		decodeJSON(t, a, &it)
		if it.Namespace != wire.NamespaceBase64 || it.Result != "AAH/" || a.header.Get("Vary") != "" {
			t.Errorf("Accept %q: item %+v, Vary %q; want the JSON item, without Vary", accept, it, a.header.Get("Vary"))
		}
		if !bytes.Equal(a.body, json.body) {
			t.Errorf("Accept %q: the JSON item differs from the one without Accept:\n%s\n%s", accept, a.body, json.body)
		}
	}
}
