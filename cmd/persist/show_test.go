package main

import (
	"encoding/hex"
	"strings"
	"testing"
)

// showDoc is the documented JSON of persist show.
type showDoc struct {
	Store, Function, Hash string
	Created               *string
	Bytes                 int64
	Key                   *string
	KeyValue              any `json:"key_value"`
	Meta                  *string
	Encoding              string
	Value                 any
	Text                  *string
	Data                  []byte
	Error                 *string
}

func TestShowDefaultPickling(t *testing.T) {
	f := newFixture(t)
	h := hash(t, 2)
	r := run(t, f.root, "", "show", "cache", "triple", h)
	wantCode(t, r, 0)
	for _, want := range []string{
		"function  triple", "hash      " + h, "key       " + keyOf(2), "metadata  computed by the test",
		"size      " + humanSize(f.size(t, "triple", h)),
		"value (default pickling):\n6\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("want %q in\n%s", want, r)
		}
	}

	r = run(t, f.root, "", "show", "--json", "cache", "triple", h)
	wantCode(t, r, 0)
	var doc showDoc
	decodeJSON(t, r, &doc)
	if doc.Store != "./cache" || doc.Function != "triple" || doc.Hash != h || doc.Created == nil ||
		doc.Bytes != f.size(t, "triple", h) || deref(doc.Key) != keyOf(2) || deref(doc.Meta) != "computed by the test" ||
		doc.Encoding != "default" || doc.Value != 6.0 {
		t.Errorf("got %+v", doc)
	}
	pairs, ok := doc.KeyValue.([]any)
	if !ok || len(pairs) != 1 {
		t.Fatalf("key_value: got %#v, want [[\"arg0\", 2]]", doc.KeyValue)
	}
	if pair, ok := pairs[0].([]any); !ok || len(pair) != 2 || pair[0] != "arg0" || pair[1] != 2.0 {
		t.Errorf("key_value: got %#v, want [[\"arg0\", 2]]", doc.KeyValue)
	}
}

func TestShowStruct(t *testing.T) {
	f := newFixture(t)
	want := describe("ada", 61.5)
	r := run(t, f.root, "", "show", "--json", "cache", "describe", hash(t, "ada", 61.5))
	wantCode(t, r, 0)
	var doc struct {
		showDoc
		Value Profile
	}
	decodeJSON(t, r, &doc)
	if doc.Key != nil || doc.KeyValue != nil || doc.Meta != nil || doc.Encoding != "default" {
		t.Errorf("want no key or metadata and the default encoding, got %+v", doc.showDoc)
	}
	// The value comes back as JSON without its Go type, and decodes into it.
	if doc.Value.Name != want.Name || doc.Value.Weight != want.Weight ||
		strings.Join(doc.Value.Tags, ",") != strings.Join(want.Tags, ",") || string(doc.Value.Raw) != string(want.Raw) {
		t.Errorf("value: got %+v, want %+v", doc.Value, want)
	}
	r = run(t, f.root, "", "show", "cache", "describe", hash(t, "ada", 61.5))
	wantCode(t, r, 0)
	for _, s := range []string{"key       not stored", "metadata  none", `"Name": "ada"`, `"Weight": 61.5`} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("want %q in\n%s", s, r)
		}
	}
}

func TestShowCustomPickling(t *testing.T) {
	f := newFixture(t)
	r := run(t, f.root, "", "show", "cache", "square", hash(t, 7))
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "value (custom pickling, text):\n49\n") || !strings.Contains(r.stdout, "key       "+keyOf(7)) {
		t.Errorf("square(7):\n%s", r)
	}
	r = run(t, f.root, "", "show", "--json", "cache", "square", hash(t, 7))
	wantCode(t, r, 0)
	var doc showDoc
	decodeJSON(t, r, &doc)
	if doc.Encoding != "text" || deref(doc.Text) != "49" || doc.Value != nil || doc.Data != nil {
		t.Errorf("got %+v", doc)
	}

	// Bytes that are not text come as a hex dump, or base64 in JSON.
	raw := noise(40)
	r = run(t, f.root, "", "show", "cache", "noise", hash(t, 40))
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "value (custom pickling, 40 bytes, not text):\n"+hex.Dump(raw)) {
		t.Errorf("want the hex dump of\n%s\nin\n%s", hex.Dump(raw), r)
	}
	r = run(t, f.root, "", "show", "--json", "cache", "noise", hash(t, 40))
	wantCode(t, r, 0)
	decodeJSON(t, r, &doc)
	if doc.Encoding != "binary" || string(doc.Data) != string(raw) {
		t.Errorf("got %+v", doc)
	}
}

func TestShowProblems(t *testing.T) {
	f := newFixture(t)
	r := run(t, f.root, "", "show", "cache", "triple", "nosuchhash")
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "no entry nosuchhash of triple in ./cache") {
		t.Errorf("missing entry:\n%s", r)
	}

	h := hash(t, 3)
	flipLastByte(t, f.path("triple", h, ".out"))
	r = run(t, f.root, "", "show", "--json", "cache", "triple", h)
	wantCode(t, r, 1)
	var doc showDoc
	decodeJSON(t, r, &doc)
	if doc.Encoding != "damaged" || doc.Error == nil || len(doc.Data) == 0 || deref(doc.Key) != keyOf(3) {
		t.Errorf("damaged entry: got %+v", doc)
	}
	if !strings.Contains(r.stderr, "is damaged") {
		t.Errorf("want the damage on stderr:\n%s", r)
	}
}
