package s3store

import (
	"errors"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/gopersist/persist/stores"
)

// TestLayout checks the keys a store writes, which other S3 tools see:
// <prefix>/<funcname>/<hash>.out beginning with the result, .owner and
// .lease beside it, names as they are, and nothing else.
func TestLayout(t *testing.T) {
	st := openStore(t, nil)
	d := driverOf(t, st)
	fn := "Layout_" + randomHex(4)
	t.Cleanup(func() { _ = st.Clear(t.Context(), fn); clearLeases(t, d, fn) })
	ctx := t.Context()
	hashes := []string{"0123abcd", "with space", "tab\there", "q?x=1&y=2", "100%", strings.Repeat("h", stores.MaxNameLen)}
	for _, h := range hashes {
		if err := st.Put(ctx, fn, h, stores.Record{Result: []byte("result of " + h), Key: []byte("k")}); err != nil {
			t.Fatalf("Put(%q): %v", h, err)
		}
	}
	if _, err := st.ClaimOwner(ctx, fn, []byte("owner")); err != nil {
		t.Fatal(err)
	}
	unlock, err := st.Lock(ctx, fn, "0123abcd")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{d.dir(fn) + ".owner": true, d.dir(fn) + "0123abcd.lease": true}
	for _, h := range hashes {
		want[d.dir(fn)+h+".out"] = true
	}
	for obj := range d.client.ListObjectsIter(ctx, d.bucket, minio.ListObjectsOptions{Prefix: d.dir(fn), Recursive: true}) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		if !want[obj.Key] {
			t.Errorf("unexpected object %q", obj.Key)
		}
		delete(want, obj.Key)
	}
	for k := range want {
		t.Errorf("missing object %q", k)
	}
	if !strings.HasPrefix(d.dir(fn), strings.TrimPrefix(strings.SplitN(serverURL, "?", 2)[0], "s3://"+d.bucket+"/")+"/") {
		t.Errorf("the keys %q do not start with the URL's prefix (%s)", d.dir(fn), serverURL)
	}
	data, _, err := d.get(ctx, d.dir(fn)+"with space.out")
	if err != nil || !strings.HasPrefix(string(data), "result of with space") {
		t.Errorf("the .out object holds %q, %v; want it to begin with the result", data, err)
	}
	unlock()
}

// TestNameRules checks what the store states and refuses: ASCII names of
// any byte ValidName allows, up to MaxNameLen; others fail with
// ErrInvalidName before any request.
func TestNameRules(t *testing.T) {
	st := openStore(t, nil)
	fn := "NameRules_" + randomHex(4)
	t.Cleanup(func() { _ = st.Clear(t.Context(), fn) })
	for _, ok := range []string{"\x01", "\x7f", " ", "~", strings.Repeat("x", stores.MaxNameLen)} {
		if err := st.CheckName("hash", ok); err != nil {
			t.Errorf("CheckName(%q): %v", ok, err)
		}
		if err := st.Put(t.Context(), fn, ok, stores.Record{Result: []byte("r")}); err != nil {
			t.Errorf("Put(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"é", "ключ", "\x80", "\xff", "a/b"} {
		if err := st.CheckName("hash", bad); !errors.Is(err, stores.ErrInvalidName) {
			t.Errorf("CheckName(hash %q): %v, want ErrInvalidName", bad, err)
		}
		if err := st.CheckName("funcname", bad); !errors.Is(err, stores.ErrInvalidName) {
			t.Errorf("CheckName(funcname %q): %v, want ErrInvalidName", bad, err)
		}
		if err := st.Put(t.Context(), fn, bad, stores.Record{Result: []byte("r")}); !errors.Is(err, stores.ErrInvalidName) {
			t.Errorf("Put(%q): %v, want ErrInvalidName", bad, err)
		}
	}
}
