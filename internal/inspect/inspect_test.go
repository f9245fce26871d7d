package inspect_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	persist "github.com/gopersist/persist"
	"github.com/gopersist/persist/internal/inspect"
)

// TestKeyText checks that a stored default key prints as persist.Key does.
func TestKeyText(t *testing.T) {
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
		got, ok := inspect.KeyText(b)
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
		if got, _ := inspect.KeyText(b); got != c.want {
			t.Errorf("%#v prints as %q, want %q", c.v, got, c.want)
		}
	}
}

func TestJSONable(t *testing.T) {
	v := map[any]any{
		"nan": math.NaN(), "inf": math.Inf(-1), 7: []any{1.5, math.Inf(1)},
		"nested": map[string]any{"b": []byte("hi")},
	}
	out, err := json.Marshal(inspect.JSONable(v))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"7":[1.5,"+Inf"],"inf":"-Inf","nan":"NaN","nested":{"b":"aGk="}}`
	if string(out) != want {
		t.Errorf("got %s, want %s", out, want)
	}
}

func TestDecode(t *testing.T) {
	good, err := persist.Pickle([]string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	damaged := append([]byte(nil), good...)
	damaged[len(damaged)-1] ^= 1
	for _, c := range []struct {
		name string
		b    []byte
		want inspect.Kind
	}{
		{"default", good, inspect.Default},
		{"damaged", damaged, inspect.Damaged},
		{"truncated", good[:len(good)-3], inspect.Damaged},
		{"magic only", []byte{0x28, 0xb5, 0x2f, 0xfd}, inspect.Damaged},
		{"text", []byte("81\n"), inspect.Text},
		{"empty", nil, inspect.Text},
		{"binary", []byte{0, 1, 2, 0xff}, inspect.Binary},
		{"bad utf-8", []byte("caf\xe9"), inspect.Binary},
	} {
		if got := inspect.Decode(c.b); got.Kind != c.want {
			t.Errorf("%s: got %s (%v), want %s", c.name, got.Kind, got.Err, c.want)
		}
	}
}

// FuzzDecode feeds arbitrary stored bytes to what show, ls and verify
// do with them: decode, print as a key, convert to JSON. None may panic,
// and a decoded value must always be writable as JSON.
func FuzzDecode(f *testing.F) {
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
		bl := inspect.Decode(b)
		_, _ = inspect.KeyText(b)
		switch bl.Kind {
		case inspect.Default:
			if _, err := json.Marshal(inspect.JSONable(bl.Value)); err != nil {
				t.Errorf("decoded %x to %#v, which does not marshal: %v", b, bl.Value, err)
			}
		case inspect.Damaged:
			if bl.Err == nil {
				t.Error("damaged without an error")
			}
		}
	})
}
