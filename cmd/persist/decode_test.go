package main

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	persist "github.com/gopersist/persist"
)

// TestKeyRepr checks that a stored default key prints as persist.Key does.
func TestKeyRepr(t *testing.T) {
	for _, k := range []persist.Key{
		key(),
		key("x", 4),
		key("a", 10, "b", 2),
		key("name", "ada", "quote", "it's", "w", 61.5, "whole", 2.0, "neg", -3),
		key("flag", true, "off", false, "none", nil),
		key("xs", []int{1, 2}, "fs", []float64{0.5, 1}, "raw", []byte{0, 'a'}),
		key("inf", math.Inf(1), "nan", math.NaN()),
	} {
		b, err := persist.Pickle(k)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := keyText(b)
		if !ok || got != k.String() {
			t.Errorf("stored %#v prints as %q (ok %v), want %q", k, got, ok, k.String())
		}
	}
}

// key builds a persist.Key from names and values in turn.
func key(namesAndValues ...any) persist.Key {
	k := persist.Key{}
	for i := 0; i < len(namesAndValues); i += 2 {
		k = append(k, persist.Arg{Name: namesAndValues[i].(string), Value: namesAndValues[i+1]})
	}
	return k
}

func TestValueRepr(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{[]int{3, 1, 2}, "[3, 1, 2]"},
		{map[string]int{"b": 2, "a": 1}, "{'a': 1, 'b': 2}"},
		{map[int]string{2: "two", 1: "one"}, "{1: 'one', 2: 'two'}"},
		{"plain", "'plain'"},
		{time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), "2025-01-02 03:04:05 +0000 UTC"},
	} {
		b, err := persist.Pickle(c.v)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := keyText(b); got != c.want {
			t.Errorf("%#v prints as %q, want %q", c.v, got, c.want)
		}
	}
}

func TestJSONable(t *testing.T) {
	v := map[any]any{
		"nan": math.NaN(), "inf": math.Inf(-1), 7: []any{1.5, math.Inf(1)},
		"nested": map[string]any{"b": []byte("hi")},
	}
	out, err := json.Marshal(jsonable(v))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"7":[1.5,"+Inf"],"inf":"-Inf","nan":"NaN","nested":{"b":"aGk="}}`
	if string(out) != want {
		t.Errorf("got %s, want %s", out, want)
	}
}

func TestDecodeBlob(t *testing.T) {
	good, err := persist.Pickle([]string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	damaged := append([]byte(nil), good...)
	damaged[len(damaged)-1] ^= 1
	for _, c := range []struct {
		name string
		b    []byte
		want blobKind
	}{
		{"default", good, blobDefault},
		{"damaged", damaged, blobDamaged},
		{"truncated", good[:len(good)-3], blobDamaged},
		{"magic only", zstdMagic, blobDamaged},
		{"text", []byte("81\n"), blobText},
		{"empty", nil, blobText},
		{"binary", []byte{0, 1, 2, 0xff}, blobBinary},
		{"bad utf-8", []byte("caf\xe9"), blobBinary},
	} {
		if got := decodeBlob(c.b); got.kind != c.want {
			t.Errorf("%s: got %s (%v), want %s", c.name, got.kind, got.err, c.want)
		}
	}
}

func TestParseAge(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * 24 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"0d", 0, true},
		{"36h", 36 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"4d12h", 108 * time.Hour, true},
		{"1d30m", 24*time.Hour + 30*time.Minute, true},
		{"1d-1h", 0, false},
		{"1dd", 0, false},
		{"", 0, false},
		{"d", 0, false},
		{"-1d", 0, false},
		{"-5m", 0, false},
		{"infd", 0, false},
		{"NaNd", 0, false},
		{"1e300d", 0, false},
		{"3 days", 0, false},
	} {
		got, err := parseAge(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseAge(%q) = %v, %v; want %v, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

func FuzzParseAge(f *testing.F) {
	for _, s := range []string{"30d", "1.5d", "36h", "1h30m", "-1d", "1e300d", "0x10d", ".5d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseAge(s)
		if err == nil && d < 0 {
			t.Errorf("parseAge(%q) = %v, a negative age", s, d)
		}
		if err != nil && d != 0 {
			t.Errorf("parseAge(%q) failed but returned %v", s, d)
		}
	})
}

// FuzzDecodeBlob feeds arbitrary stored bytes to what show, ls and verify
// do with them: decode, print as a key, convert to JSON. None may panic,
// and a decoded value must always be writable as JSON.
func FuzzDecodeBlob(f *testing.F) {
	for _, v := range []any{key("x", 4), map[int]any{1: math.NaN()}, []byte{1}, "text", nil} {
		b, err := persist.Pickle(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("81"))
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		bl := decodeBlob(b)
		_, _ = keyText(b)
		switch bl.kind {
		case blobDefault:
			if _, err := json.Marshal(jsonable(bl.value)); err != nil {
				t.Errorf("decoded %x to %#v, which does not marshal: %v", b, bl.value, err)
			}
		case blobDamaged:
			if bl.err == nil {
				t.Error("damaged without an error")
			}
		}
	})
}
