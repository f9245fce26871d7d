package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
)

// awkwardHashes are valid hashes that escape URLs, queries, shells or file
// layouts if a store handles them carelessly.
var awkwardHashes = []string{
	"with space",
	" leading and trailing ",
	"100%",
	"%2F",
	"q?x=1&y=2",
	"frag#1",
	"a+b",
	"ключ-鍵-🔑",
	".hidden",
	".x",
	"..x",
	"x",
	"x.out",
	"x.key",
	"x.meta",
	"x.tmp",
	"CaseSensitive",
	"casesensitive",
	"$dollar",
	"a.b.c",
	"*",
	"-",
	"~",
	"tab\there",
	"new\nline",
	strings.Repeat("h", stores.MaxNameLen),
	strings.Repeat("é", stores.MaxNameLen/2),
}

// invalidNames must be refused, as funcnames and as hashes.
var invalidNames = []string{
	"",
	".",
	"..",
	"a/b",
	"/",
	`a\b`,
	"a\x00b",
	strings.Repeat("h", stores.MaxNameLen+1),
}

func testAwkwardHashes(t *testing.T, s *suite) {
	st := s.handle(t)
	fn := newFunc(t, st)
	// A driver may keep fewer names than ValidName allows; NameRules tests
	// that it refuses the others.
	awkwardHashes := validHashes(st, awkwardHashes)
	for _, h := range awkwardHashes {
		put(t, st, fn, h, record("result of "+h, ptr("key of "+h), ptr("meta of "+h)))
	}
	for _, h := range awkwardHashes {
		rec, err := st.Get(t.Context(), fn, h)
		if err != nil {
			t.Errorf("Get(%q): %v", h, err)
			continue
		}
		if string(rec.Result) != "result of "+h || string(rec.Key) != "key of "+h || string(rec.Meta) != "meta of "+h {
			t.Errorf("Get(%q) = {%q, %q, %q}, want the record put under it", h, rec.Result, rec.Key, rec.Meta)
		}
	}
	got := collect(t, st, fn)
	for _, h := range awkwardHashes {
		if rec, ok := got[h]; !ok {
			t.Errorf("Entries is missing hash %q", h)
		} else if string(rec.Result) != "result of "+h {
			t.Errorf("Entries, hash %q: Result = %q", h, rec.Result)
		}
	}
	if len(got) != len(awkwardHashes) {
		t.Errorf("Entries yielded %d entries, want %d", len(got), len(awkwardHashes))
	}
	if n := length(t, st, fn); n != len(awkwardHashes) {
		t.Errorf("Len = %d, want %d", n, len(awkwardHashes))
	}
	for _, h := range awkwardHashes {
		if err := st.Delete(t.Context(), fn, h); err != nil {
			t.Errorf("Delete(%q): %v", h, err)
		}
	}
	if n := length(t, st, fn); n != 0 {
		t.Errorf("Len after deleting every awkward hash = %d, want 0", n)
	}
}

func testInvalidNames(t *testing.T, s *suite) {
	st := s.handle(t)
	fn := newFunc(t, st)
	put(t, st, fn, "valid", record("r", nil, nil))
	ctx := t.Context()
	wantInvalid := func(call string, name string, err error) {
		t.Helper()
		if !errors.Is(err, stores.ErrInvalidName) {
			t.Errorf("%s with %q: err = %v, want ErrInvalidName", call, name, err)
		}
	}
	for _, bad := range invalidNames {
		wantInvalid("Put hash", bad, st.Put(ctx, fn, bad, record("r", nil, nil)))
		_, err := st.Get(ctx, fn, bad)
		wantInvalid("Get hash", bad, err)
		wantInvalid("Delete hash", bad, st.Delete(ctx, fn, bad))

		wantInvalid("Put funcname", bad, st.Put(ctx, bad, "h", record("r", nil, nil)))
		_, err = st.Get(ctx, bad, "h")
		wantInvalid("Get funcname", bad, err)
		wantInvalid("Delete funcname", bad, st.Delete(ctx, bad, "h"))
		_, err = st.Len(ctx, bad)
		wantInvalid("Len funcname", bad, err)
		wantInvalid("Clear funcname", bad, st.Clear(ctx, bad))
		n := 0
		for _, err := range st.Entries(ctx, bad, stores.AllParts) {
			n++
			wantInvalid("Entries funcname", bad, err)
		}
		if n != 1 {
			t.Errorf("Entries with funcname %q yielded %d times, want one error", bad, n)
		}
		_, _, err = st.List(ctx, bad, "", 1)
		wantInvalid("List funcname", bad, err)
		_, err = st.Read(ctx, fn, bad, stores.PartResult)
		wantInvalid("Read hash", bad, err)
		_, _, err = st.MapResult(ctx, fn, bad)
		wantInvalid("MapResult hash", bad, err)
		if st.CanLock() {
			unlock, err := st.Lock(ctx, fn, bad)
			wantInvalid("Lock hash", bad, err)
			if err == nil {
				unlock()
			}
		}
	}
	got := collect(t, st, fn)
	if len(got) != 1 {
		hashes := make([]string, 0, len(got))
		for h := range got {
			hashes = append(hashes, h)
		}
		t.Errorf("after refused Puts the funcname holds %q, want only \"valid\"", hashes)
	}
	if rec := get(t, st, fn, "valid"); string(rec.Result) != "r" {
		t.Errorf("the valid record after refused calls: Result = %q", rec.Result)
	}
}

// testNameRules checks that the store honours the NameRules its driver
// states: CheckName accepts exactly the names the rules allow, and Put
// accepts exactly what CheckName does, as funcname and as hash.
func testNameRules(t *testing.T, s *suite) {
	st := s.handle(t)
	var d driver.Store
	if !st.As(&d) {
		t.Fatal("As(*driver.Store) = false: every store hands out its driver")
	}
	rules := d.NameRules()
	maxLen := stores.MaxNameLen
	if rules.MaxLen > 0 && rules.MaxLen < maxLen {
		maxLen = rules.MaxLen
	}
	fn := newFunc(t, st)
	ctx := t.Context()

	// Hashes: every byte, in the middle of a name and alone, every length
	// about the limit, and the awkward and invalid names.
	hashes := slices.Concat(awkwardHashes, invalidNames, orderHashes)
	for c := range 256 {
		hashes = append(hashes, "x"+string([]byte{byte(c)})+"x", string([]byte{byte(c)}))
	}
	for _, n := range []int{maxLen - 1, maxLen, maxLen + 1} {
		hashes = append(hashes, strings.Repeat("h", n))
	}
	for _, h := range hashes {
		want := allowedBy(rules, rules.HashBytes, maxLen, h)
		checkErr := st.CheckName("hash", h)
		if (checkErr == nil) != want {
			t.Errorf("CheckName(hash %q) = %v; the driver's rules (bytes %q, length %d, UTF-8 %v) allow it: %v",
				h, checkErr, rules.HashBytes, maxLen, rules.UTF8, want)
		}
		err := st.Put(ctx, fn, h, record("r", nil, nil))
		switch {
		case checkErr == nil && err != nil:
			t.Errorf("Put of hash %q, which CheckName accepts: %v", h, err)
		case checkErr != nil && !errors.Is(err, stores.ErrInvalidName):
			t.Errorf("Put of hash %q, which CheckName refuses: err = %v, want ErrInvalidName", h, err)
		case err == nil:
			if rec, err := st.Get(ctx, fn, h); err != nil || string(rec.Result) != "r" {
				t.Errorf("Get of hash %q after Put = %q, %v", h, rec.Result, err)
			}
		}
	}

	// Funcnames: the suite's own, unique, with each byte or padding added.
	funcs := slices.Clone(invalidNames)
	for c := range 256 {
		funcs = append(funcs, fn+string([]byte{byte(c)}))
	}
	for _, n := range []int{maxLen, maxLen + 1} {
		if n > len(fn) {
			funcs = append(funcs, fn+strings.Repeat("f", n-len(fn)))
		}
	}
	for _, f := range funcs {
		want := allowedBy(rules, rules.FuncBytes, maxLen, f)
		checkErr := st.CheckName("funcname", f)
		if (checkErr == nil) != want {
			t.Errorf("CheckName(funcname %q) = %v; the driver's rules (bytes %q, length %d, UTF-8 %v) allow it: %v",
				f, checkErr, rules.FuncBytes, maxLen, rules.UTF8, want)
		}
		err := st.Put(ctx, f, "h", record("r", nil, nil))
		switch {
		case checkErr == nil && err != nil:
			t.Errorf("Put with funcname %q, which CheckName accepts: %v", f, err)
		case checkErr != nil && !errors.Is(err, stores.ErrInvalidName):
			t.Errorf("Put with funcname %q, which CheckName refuses: err = %v, want ErrInvalidName", f, err)
		case err == nil:
			if rec, err := st.Get(ctx, f, "h"); err != nil || string(rec.Result) != "r" {
				t.Errorf("Get with funcname %q after Put = %q, %v", f, rec.Result, err)
			}
			if err := st.Clear(ctx, f); err != nil {
				t.Errorf("Clear(%q): %v", f, err)
			}
		}
	}
}

// allowedBy is the suite's own reading of a driver's NameRules for one kind
// of name: what stores.ValidName accepts, within maxLen, of the bytes spec
// lists ("a-z" a range; any byte when spec is empty), valid UTF-8 if
// rules.UTF8.
func allowedBy(rules driver.NameRules, spec string, maxLen int, name string) bool {
	if stores.ValidName("name", name) != nil || len(name) > maxLen {
		return false
	}
	if rules.UTF8 && !utf8.ValidString(name) {
		return false
	}
	if spec == "" {
		return true
	}
	for i := 0; i < len(name); i++ {
		if !inSpec(spec, name[i]) {
			return false
		}
	}
	return true
}

func inSpec(spec string, c byte) bool {
	for i := 0; i < len(spec); i++ {
		if i+2 < len(spec) && spec[i+1] == '-' {
			if spec[i] <= c && c <= spec[i+2] {
				return true
			}
			i += 2
			continue
		}
		if spec[i] == c {
			return true
		}
	}
	return false
}
