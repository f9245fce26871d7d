package persist

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestStampRoundTrip: what appendStamp writes SplitStamp reads back, with
// the pickler's bytes after it untouched.
func TestStampRoundTrip(t *testing.T) {
	for _, st := range []Stamp{
		{},
		{Version: "v1"},
		{Version: strings.Repeat("x", maxVersionLen), Compute: time.Hour},
		{Compute: -time.Second}, // written as zero
	} {
		data := append(appendStamp(nil, st), "payload"...)
		got, rest, err := SplitStamp(data)
		want := st
		want.Compute = max(want.Compute, 0)
		if err != nil || got != want || string(rest) != "payload" {
			t.Errorf("SplitStamp(appendStamp(%+v)) = %+v, %q, %v", st, got, rest, err)
		}
	}
}

// TestSplitStampDamage: every change of one byte of a stamp's frame is
// found, or leaves the bytes read as unstamped and whole.
func TestSplitStampDamage(t *testing.T) {
	stamp := appendStamp(nil, Stamp{Version: "v1", Compute: 3 * time.Millisecond})
	for i := range stamp {
		for _, flip := range []byte{0x01, 0x80, 0xFF} {
			data := append(bytes.Clone(stamp), "payload"...)
			data[i] ^= flip
			checkSplit(t, data, "v1")
		}
	}
	for n := range len(stamp) {
		checkSplit(t, stamp[:n], "v1")
	}
}

// checkSplit holds SplitStamp to its promise on data, which may be a stamp
// of version want changed in any way: a damaged stamp is an error
// wrapping ErrDamaged; bytes that are no stamp come back whole; no stamp
// of another version is read from a change of want's.
func checkSplit(t *testing.T, data []byte, want string) {
	t.Helper()
	st, rest, err := SplitStamp(data)
	switch {
	case err != nil:
		if !errors.Is(err, ErrDamaged) {
			t.Fatalf("SplitStamp(%x): %v, not an ErrDamaged", data, err)
		}
		if rest != nil || st != (Stamp{}) {
			t.Fatalf("SplitStamp(%x) returned bytes or a stamp with its error", data)
		}
	case st == (Stamp{}) && bytes.Equal(rest, data):
		// no stamp: the bytes are the pickler's, whole
	case st.Version != want:
		t.Fatalf("SplitStamp(%x) read version %q, want %q or an error", data, st.Version, want)
	case len(rest) > len(data):
		t.Fatalf("SplitStamp(%x) returned more bytes than it was given", data)
	}
}

func FuzzSplitStamp(f *testing.F) {
	f.Add([]byte{}, "v1", int64(0), []byte("payload"))
	f.Add(appendStamp(nil, Stamp{Version: "v", Compute: time.Second}), "v2", int64(5), []byte{})
	f.Add([]byte{frameMagic0, frameMagic1, frameMagic2, frameStamp, 0xFF}, "", int64(-1), []byte("x"))
	f.Fuzz(func(t *testing.T, data []byte, version string, nanos int64, payload []byte) {
		// Any bytes: no panic, and the promise of checkSplit for what a
		// stamp of unknown version may become.
		st, rest, err := SplitStamp(data)
		if err != nil && !errors.Is(err, ErrDamaged) {
			t.Fatalf("SplitStamp: %v, not an ErrDamaged", err)
		}
		if err == nil && st == (Stamp{}) && !bytes.Equal(rest, data) {
			t.Fatal("no stamp, yet the bytes did not come back whole")
		}
		if len(version) > maxVersionLen {
			version = version[:maxVersionLen]
		}
		want := Stamp{Version: version, Compute: max(time.Duration(nanos), 0)}
		if nanos%2 != 0 { // an owner tag too, chosen by the data
			want.owner = ownerOf(version, nanos%4 == 1).tag(nanos%8 == 1)
		}
		if nanos%3 == 0 && len(payload) >= defaultsDigestLen { // and defaults
			want.defaults = string(payload[:defaultsDigestLen])
		}
		stamped := append(appendStamp(nil, want), payload...)
		got, rest, err := readStamp(stamped)
		if err != nil || got != want || !bytes.Equal(rest, payload) {
			t.Fatalf("round trip of %+v: %+v, %q, %v", want, got, rest, err)
		}
		aligned := append(appendStampAligned(nil, want), payload...)
		got, rest, err = readStamp(aligned)
		if err != nil || got != want || !bytes.Equal(rest, payload) || (len(aligned)-len(payload))%stampAlign != 0 {
			t.Fatalf("round trip of %+v, aligned: %+v, %q, %v (%d bytes)", want, got, rest, err, len(aligned)-len(payload))
		}
		// A change of one byte of the stamp, chosen by the data.
		if len(data) >= 2 && data[1] != 0 {
			changed := bytes.Clone(stamped)
			changed[int(data[0])%(len(stamped)-len(payload))] ^= data[1]
			checkSplit(t, changed, version)
		}
	})
}

// TestPickleStamped holds the one-buffer write of a stamped result
// (fillRecord) to the stamp followed by Pickle's bytes, for CBOR small
// and large (zstd), for the raw slices (after a stamp padded to align
// them), and for an error.
func TestPickleStamped(t *testing.T) {
	st := Stamp{Version: "v2.1", Compute: 1234567 * time.Nanosecond}
	big := make([]int, 5000)
	for i := range big {
		big[i] = i * i
	}
	for _, v := range []any{
		7, "seven", []any{1, "x", map[string]any{"k": 2.5}},
		strings.Repeat("large enough for zstd ", 400), big, []byte("raw bytes"), []float64{1.5, 2.5},
	} {
		want, err := Pickle(v)
		if err != nil {
			t.Fatal(err)
		}
		stamp := appendStamp(nil, st)
		if isFrame(want) && want[3] == frameSlice {
			stamp = appendStampAligned(nil, st) // the values aligned in a mapped file
		}
		want = append(stamp, want...)
		got, err := pickleStamped(&st, v)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("pickleStamped(%T) = %d bytes, %v; want the stamp and Pickle's %d bytes", v, len(got), err, len(want))
		}
	}
	if _, err := pickleStamped(&st, make(chan int)); err == nil {
		t.Error("pickleStamped of a channel: no error")
	}
}

// An aligned stamp is a multiple of 16 bytes long, for every length of
// version (the length's varint grows past 127), and reads back as the
// stamp it pads.
func TestStampAligned(t *testing.T) {
	for n := range maxVersionLen + 1 {
		st := Stamp{Version: strings.Repeat("v", n), Compute: time.Duration(n) * time.Hour}
		b := appendStampAligned(nil, st)
		if len(b)%stampAlign != 0 {
			t.Errorf("version of %d bytes: an aligned stamp of %d bytes", n, len(b))
		}
		got, rest, err := readStamp(append(b, "payload"...))
		if err != nil || got != st || string(rest) != "payload" {
			t.Errorf("version of %d bytes: read back as %+v, %q, %v", n, got, rest, err)
		}
	}
}

var updateStamps = flag.Bool("update-stamps", false, "add testdata/stamps files missing for the stamps written today, never over an existing one")

// TestGoldenStamps: stored stamps read back, forever, and the stamps
// written today are those bytes: one as written before owner tags (the
// version and compute time alone), with an owner tag, padded before a
// slice frame, and with the digest of a Spec's defaults. A file here is never changed or removed.
func TestGoldenStamps(t *testing.T) {
	square := ownerOf("example.com/geometry.Square", false).tag(false)
	ramp := make([]float64, 600)
	for i := range ramp {
		ramp[i] = float64(i) / 8
	}
	for _, c := range []struct {
		file  string
		st    Stamp
		value any
	}{
		{"untagged-int.bin", Stamp{Version: "2", Compute: 1500 * time.Millisecond}, 7},
		{"owner-int.bin", Stamp{Version: "2", Compute: 1500 * time.Millisecond, owner: square}, 7},
		{"owner-given-string.bin", Stamp{Compute: time.Second, owner: ownerOf("example.com/geometry.Square", true).tag(false)}, "seven"},
		{"aligned-slice.bin", Stamp{Version: "tariffs 2024", Compute: time.Minute, owner: square}, ramp},
		{"defaults-int.bin", Stamp{Version: "2", Compute: time.Millisecond, owner: square, defaults: "\x01\x02\x03\x04\x05\x06\x07\x08"}, 7},
	} {
		path := filepath.Join("testdata", "stamps", c.file)
		written, err := pickleStamped(&c.st, c.value)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); *updateStamps && os.IsNotExist(err) {
			if err := os.WriteFile(path, written, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		stored, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		st, payload, err := readStamp(stored)
		if err != nil || st != c.st {
			t.Errorf("%s: stamp %+v, %v; want %+v", c.file, st, err, c.st)
			continue
		}
		p := reflect.New(reflect.TypeOf(c.value))
		if err := Unpickle(payload, p.Interface()); err != nil || !reflect.DeepEqual(p.Elem().Interface(), c.value) {
			t.Errorf("%s: the result reads as %v, %v", c.file, p.Elem().Interface(), err)
		}
		if !bytes.Equal(written, stored) {
			t.Errorf("%s: a stamp written now is %x, stored %x", c.file, written, stored)
		}
	}
}

// readStamp is SplitStamp with the fields it keeps inside: the writer's
// tag and the defaults' digest.
func readStamp(data []byte) (Stamp, []byte, error) {
	var s splitStamped
	if err := splitStamp(data, &s); err != nil {
		return Stamp{}, nil, err
	}
	return Stamp{Version: string(s.version), Compute: s.compute, owner: string(s.owner), defaults: string(s.defaults)}, s.payload, nil
}
