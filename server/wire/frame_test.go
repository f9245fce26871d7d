package wire_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
)

// frame returns the frame of rec under hash, checking that FrameSize
// announces its length.
func frame(t testing.TB, hash string, rec stores.Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := wire.WriteFrame(&buf, hash, rec); err != nil {
		t.Fatal(err)
	}
	if n := wire.FrameSize(hash, rec); n != buf.Len() {
		t.Fatalf("FrameSize = %d, the frame is %d bytes", n, buf.Len())
	}
	return buf.Bytes()
}

// sameRecord reports whether two records hold the same bytes, the same nil
// parts and the same creation time.
func sameRecord(a, b stores.Record) bool {
	return bytes.Equal(a.Result, b.Result) && bytes.Equal(a.Key, b.Key) && bytes.Equal(a.Meta, b.Meta) &&
		(a.Result == nil) == (b.Result == nil) && (a.Key == nil) == (b.Key == nil) && (a.Meta == nil) == (b.Meta == nil) &&
		a.Created.Equal(b.Created)
}

func TestFrameRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte{0xff, 0}, 40_000) // past the size that is copied into the header
	created := time.Date(2026, 12, 2, 1, 2, 3, 456789, time.UTC)
	for name, rec := range map[string]stores.Record{
		"result only":     {Result: []byte{0x28, 0xb5, 0x2f, 0xfd}},
		"empty parts":     {Result: []byte{}, Key: []byte{}, Meta: []byte{}},
		"no parts":        {},
		"key, no meta":    {Result: []byte("8"), Key: []byte("(2, 3)")},
		"large, created":  {Result: big, Key: big[:700], Meta: []byte("m"), Created: created},
		"created, no key": {Result: []byte("r"), Meta: big[:513], Created: created},
	} {
		t.Run(name, func(t *testing.T) {
			b := frame(t, "h/ é", rec)
			hash, back, err := wire.DecodeFrame(b)
			if err != nil {
				t.Fatalf("DecodeFrame: %v", err)
			}
			if string(hash) != "h/ é" || !sameRecord(back, rec) {
				t.Fatalf("%q came back as hash %q and %+v", name, hash, back)
			}
			if back.Result != nil {
				// A part is capped at its end: appending to it leaves the
				// next part alone.
				keep := bytes.Clone(back.Key)
				_ = append(back.Result, 'x')
				if !bytes.Equal(back.Key, keep) {
					t.Fatal("appending to the result changed the key")
				}
			}
			for i := range len(b) {
				if _, _, err := wire.DecodeFrame(b[:i]); !errors.Is(err, wire.ErrFrame) {
					t.Fatalf("the first %d of %d bytes decoded (err %v)", i, len(b), err)
				}
			}
			if _, _, err := wire.DecodeFrame(append(bytes.Clone(b), 0)); !errors.Is(err, wire.ErrFrame) {
				t.Fatalf("a frame with a byte after it decoded (err %v)", err)
			}
		})
	}
}

// FuzzDecodeFrame checks that any bytes decode or fail with ErrFrame,
// never panic, and that what decodes is written back as the same bytes.
func FuzzDecodeFrame(f *testing.F) {
	var buf bytes.Buffer
	_ = wire.WriteFrame(&buf, "h", stores.Record{Result: []byte("r"), Key: []byte{}, Created: time.Unix(1, 2)})
	f.Add(buf.Bytes())
	f.Add([]byte("PRF1\x00\x00"))
	f.Add([]byte("PRF1\x07\x01h\x01r\x00\xff"))
	f.Add([]byte("PRF1\x10\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		hash, rec, err := wire.DecodeFrame(b)
		if err != nil {
			if !errors.Is(err, wire.ErrFrame) {
				t.Fatalf("error %v is not ErrFrame", err)
			}
			return
		}
		// A uvarint has more than one spelling: compare decoded values.
		again := frame(t, string(hash), rec)
		hash2, rec2, err := wire.DecodeFrame(again)
		if err != nil || !bytes.Equal(hash, hash2) || !sameRecord(rec, rec2) {
			t.Fatalf("%x decoded, was written as %x, which decoded to %q %+v (%v)", b, again, hash2, rec2, err)
		}
	})
}

func TestAcceptsFrame(t *testing.T) {
	for accept, want := range map[string]bool{
		"":                 false,
		"*/*":              false,
		"application/json": false,
		"application/*":    false,
		wire.FrameType:     true,
		wire.FrameType + ", application/json;q=0.9":      true,
		"application/json, " + wire.FrameType + ";q=0.5": true,
		wire.FrameType + ";q=0":                          false,
		wire.FrameType + ";q=0.0, */*":                   false,
		wire.FrameType + "x":                             false,
		wire.FrameType + ";q=bad":                        false,
	} {
		if got := wire.AcceptsFrame(accept); got != want {
			t.Errorf("AcceptsFrame(%q) = %v, want %v", accept, got, want)
		}
	}
}
