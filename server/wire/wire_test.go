package wire_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
)

// FuzzRecordRoundTrip checks that any record survives encoding, JSON and
// decoding with its bytes, and its nil fields, intact.
func FuzzRecordRoundTrip(f *testing.F) {
	f.Add([]byte("8"), []byte("(2, 3)"), []byte(nil), true, false)
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd}, []byte{}, []byte("meta"), true, true)
	f.Add([]byte("\xed\xa0\x80 surrogate"), []byte("\u2028"), []byte("\x00"), false, true)
	f.Fuzz(func(t *testing.T, result, key, meta []byte, hasKey, hasMeta bool) {
		rec := stores.Record{Result: result}
		if hasKey {
			rec.Key = append([]byte{}, key...)
		}
		if hasMeta {
			rec.Meta = append([]byte{}, meta...)
		}
		b, err := json.Marshal(wire.EncodeRecord("f", "h", rec))
		if err != nil {
			t.Fatal(err)
		}
		var it wire.Item
		if err := json.Unmarshal(b, &it); err != nil {
			t.Fatal(err)
		}
		back, err := wire.DecodeRecord(it)
		if err != nil {
			t.Fatalf("DecodeRecord(%s): %v", b, err)
		}
		if !bytes.Equal(back.Result, rec.Result) || !bytes.Equal(back.Key, rec.Key) || !bytes.Equal(back.Meta, rec.Meta) {
			t.Fatalf("%q, %q, %q came back as %q, %q, %q via %s", rec.Result, rec.Key, rec.Meta, back.Result, back.Key, back.Meta, b)
		}
		if (back.Key == nil) != (rec.Key == nil) || (back.Meta == nil) != (rec.Meta == nil) {
			t.Fatalf("nil key/meta %v/%v came back as %v/%v", rec.Key == nil, rec.Meta == nil, back.Key == nil, back.Meta == nil)
		}
	})
}

// FuzzDecodeRecord checks that any item decodes or fails with a
// *FieldError, never panics.
func FuzzDecodeRecord(f *testing.F) {
	f.Add("base64", "AAEC", "", "bWV0YQ==", "Mon, 02 Jan 2006 15:04:05 GMT")
	f.Add("pypersist", "gASVCQAAAAAAAABLCS4=", "k", "m", "yesterday")
	f.Add("base64", "not base64", "%", "=", "")
	f.Fuzz(func(t *testing.T, namespace, result, key, meta, created string) {
		it := wire.Item{Namespace: namespace, Result: result, Key: &key, Metadata: &meta, Created: created}
		rec, err := wire.DecodeRecord(it)
		var fe *wire.FieldError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error %v is not a *FieldError", err)
		}
		if err == nil && namespace != wire.NamespaceBase64 && string(rec.Result) != result {
			t.Fatalf("text result %q decoded to %q", result, rec.Result)
		}
	})
}

func TestValidFuncname(t *testing.T) {
	for _, ok := range []string{"f", "triple", "A_Method_2", "_"} {
		if err := wire.ValidFuncname(ok); err != nil {
			t.Errorf("ValidFuncname(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "A.Method", "a-b", "é", "a b", "a/b", string(make([]byte, 201))} {
		if err := wire.ValidFuncname(bad); !errors.Is(err, stores.ErrInvalidName) {
			t.Errorf("ValidFuncname(%q) = %v, want ErrInvalidName", bad, err)
		}
	}
}

func TestTimeFormat(t *testing.T) {
	ts := time.Date(2013, 4, 2, 10, 15, 5, 999, time.FixedZone("CEST", 2*3600))
	s := wire.FormatTime(ts)
	if s != "Tue, 02 Apr 2013 08:15:05 GMT" {
		t.Errorf("FormatTime = %q, want Eve's RFC 1123 GMT form", s)
	}
	rec, err := wire.DecodeRecord(wire.Item{Created: s})
	if err != nil || !rec.Created.Equal(ts.Truncate(time.Second)) {
		t.Errorf("DecodeRecord of _created %q = %v, %v", s, rec.Created, err)
	}
}

// TestMetaJSON checks _meta's two shapes: Eve's, with page and total (a
// total of zero included), which pypersist reads, and a cursor page's,
// with neither.
func TestMetaJSON(t *testing.T) {
	zero := 0
	for _, tc := range []struct {
		meta wire.Meta
		want string
	}{
		{wire.Meta{Page: 1, MaxResults: 25, Total: &zero}, `{"page":1,"max_results":25,"total":0}`},
		{wire.Meta{Page: 2, MaxResults: 10, Total: &zero, NextCursor: "1.aA"}, `{"page":2,"max_results":10,"total":0,"next_cursor":"1.aA"}`},
		{wire.Meta{MaxResults: 50, NextCursor: "1.aA"}, `{"max_results":50,"next_cursor":"1.aA"}`},
	} {
		b, err := json.Marshal(tc.meta)
		if err != nil || string(b) != tc.want {
			t.Errorf("json.Marshal(%+v) = %s, %v; want %s", tc.meta, b, err, tc.want)
		}
	}
}
