package stores_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
)

// TestNameRules checks how a driver's NameRules become what CheckName and
// every call accept: byte lists with ranges, the length limit, and the
// names no store accepts whatever its rules say.
func TestNameRules(t *testing.T) {
	long := strings.Repeat("a", stores.MaxNameLen)
	cases := []struct {
		name   string
		rules  driver.NameRules
		what   string
		accept []string
		refuse []string
	}{
		{"no rules", driver.NameRules{}, "hash",
			[]string{"a", "with space", "é", "\xff", "..x", long},
			[]string{"", ".", "..", "a/b", `a\b`, "a\x00", long + "a"}},
		{"REST funcnames", driver.NameRules{FuncBytes: "A-Za-z0-9_"}, "funcname",
			[]string{"f", "Fib_2", "_", "0", "zZ9"},
			[]string{"a-b", "a.b", "a b", "é", "-", "[", "`", "{", "@", "/"}},
		{"funcname rules leave hashes alone", driver.NameRules{FuncBytes: "A-Za-z0-9_"}, "hash",
			[]string{"a-b", "a.b", "é"}, []string{"a/b"}},
		{"hex hashes", driver.NameRules{HashBytes: "0-9a-f"}, "hash",
			[]string{"0", "deadbeef", "0123456789abcdef"},
			[]string{"A", "g", "dead beef", "0x1"}},
		{"a literal dash at either end", driver.NameRules{HashBytes: "-a"}, "hash",
			[]string{"-", "a", "a-a"}, []string{"b", "_"}},
		{"a dash after a range", driver.NameRules{HashBytes: "a-c-e"}, "hash",
			[]string{"abc", "-", "e", "c-e"}, []string{"d", "f"}},
		{"a dash last", driver.NameRules{HashBytes: "x-"}, "hash",
			[]string{"x", "-", "x-x"}, []string{"y", "w"}},
		{"the listed bytes cannot allow a slash", driver.NameRules{HashBytes: "\x00-\xff"}, "hash",
			[]string{"a", "\x01", "\xff"}, []string{"a/b", `a\b`, "a\x00b", "..", "."}},
		{"a shorter limit", driver.NameRules{MaxLen: 3}, "funcname",
			[]string{"a", "abc"}, []string{"abcd"}},
		{"a longer limit is ignored", driver.NameRules{MaxLen: stores.MaxNameLen + 50}, "hash",
			[]string{long}, []string{long + "a"}},
		{"UTF-8 hashes", driver.NameRules{UTF8: true}, "hash",
			[]string{"a", "\u00e9", "\U0001f511", "\x7f"}, []string{"\xff", "a\xc3", "\xed\xa0\x80"}},
		{"UTF-8 funcnames within bytes", driver.NameRules{UTF8: true, FuncBytes: "a-z\x80-\xff"}, "funcname",
			[]string{"a\u00e9"}, []string{"a\xe9", "A"}},
		{"a negative limit is none", driver.NameRules{MaxLen: -1}, "hash",
			[]string{long}, []string{long + "a"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := bareStore(t, tc.rules)
			for _, name := range tc.accept {
				if err := st.CheckName(tc.what, name); err != nil {
					t.Errorf("CheckName(%s %q): %v, want nil", tc.what, name, err)
				}
				if err := put(t, st, tc.what, name); err != nil {
					t.Errorf("Put with %s %q: %v", tc.what, name, err)
				}
			}
			for _, name := range tc.refuse {
				err := st.CheckName(tc.what, name)
				if !errors.Is(err, stores.ErrInvalidName) {
					t.Errorf("CheckName(%s %q) = %v, want ErrInvalidName", tc.what, name, err)
				}
				var ne *stores.NameError
				if !errors.As(err, &ne) || ne.What != tc.what || ne.Name != name || ne.Reason == "" {
					t.Errorf("CheckName(%s %q): NameError %+v, want one naming the %s and why", tc.what, name, ne, tc.what)
				}
				if err := put(t, st, tc.what, name); !errors.Is(err, stores.ErrInvalidName) {
					t.Errorf("Put with %s %q = %v, want ErrInvalidName", tc.what, name, err)
				}
			}
		})
	}
}

// put stores a record under name as funcname or as hash.
func put(t *testing.T, st *stores.Store, what, name string) error {
	rec := stores.Record{Result: []byte("r")}
	if what == "funcname" {
		return st.Put(t.Context(), name, "h", rec)
	}
	return st.Put(t.Context(), "f", name, rec)
}

// TestNameErrorReasons checks that a refusal says which part of the rule
// the name breaks.
func TestNameErrorReasons(t *testing.T) {
	st := bareStore(t, driver.NameRules{FuncBytes: "a-z", MaxLen: 5})
	for name, reason := range map[string]string{
		"":       "empty",
		"..":     "directory",
		"abcdef": "6 bytes long, more than 5",
		"a/b":    `'/', '\' or NUL`,
		"aB":     "bytes other than a-z",
	} {
		err := st.CheckName("funcname", name)
		if err == nil || !strings.Contains(err.Error(), reason) {
			t.Errorf("CheckName(funcname %q) = %v, want it to say %q", name, err, reason)
		}
	}
	// The driver's reason for narrower names is given with them.
	st = bareStore(t, driver.NameRules{FuncBytes: "a-z", UTF8: true, Why: "the protocol carries only these"})
	for _, name := range []string{"aB", "\xff"} {
		if err := st.CheckName("funcname", name); err == nil || !strings.Contains(err.Error(), "the protocol carries only these") {
			t.Errorf("CheckName(funcname %q) = %v, want the driver's reason", name, err)
		}
	}
	if err := stores.ValidName("hash", strings.Repeat("x", stores.MaxNameLen+1)); !errors.Is(err, stores.ErrInvalidName) {
		t.Errorf("ValidName of a name too long = %v, want ErrInvalidName", err)
	}
}
