package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/reststore"
	"github.com/gopersist/persist/stores/storetest"
)

// TestPypersistClient replays what pypersist's MongoDB cache sends, with
// Python's standard library (testdata/pypersist_client.py), against persist
// serve with a token, and checks that Go and Python read each other's
// text-pickled results.
func TestPypersistClient(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		storetest.Missing(t, "python3 is not installed; the pypersist compatibility check needs it")
	}
	const token = "py-t0ken"
	p := startServer(t, "--store", "mem://e2e-pypersist", "--token", token)
	st := openRest(t, p.url, reststore.Options{Token: token})
	defer st.Close()
	ctx := t.Context()

	// Go writes what pypersist's pow example (pickle=str, unpickle=int)
	// would have written for 3 ** 4.
	if err := st.Put(ctx, "gowritten", "3 to the 4", stores.Record{Result: []byte("81")}); err != nil {
		t.Fatalf("Put: %v", err)
	}

	// pypersist's cache string: mongodb://<token>@host:port/persist.
	cache := "mongodb://" + token + "@" + strings.TrimPrefix(p.url, "http://")
	cmd := exec.CommandContext(ctx, python, "testdata/pypersist_client.py", cache)
	out, err := cmd.CombinedOutput()
	t.Logf("pypersist_client.py:\n%s", out)
	if err != nil {
		t.Fatalf("the pypersist client failed: %v\nserver log:\n%s", err, p.stderr)
	}
	if !strings.Contains(string(out), "all checks passed") {
		t.Fatalf("the pypersist client did not finish its checks")
	}

	// Go reads what Python wrote with text pickling, as the same text.
	for hash, want := range map[string]string{"7 to the 4": "2401", "2 to the 16": "65536", "0 to the 0": "1"} {
		rec, err := st.Get(ctx, "pow", hash)
		if err != nil || string(rec.Result) != want {
			t.Errorf("Get(pow, %q) = %q, %v; want %q", hash, rec.Result, err, want)
		}
	}
	// Python's default pickles arrive as pypersist's base64 text, and the
	// metadata as written.
	n := 0
	for e, err := range st.Entries(ctx, "square", stores.AllParts) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if len(e.Result) == 0 || len(e.Key) == 0 || string(e.Meta) != "computed by the compatibility check" {
			t.Errorf("square entry %q = %q, %q, %q; want pickles and the metadata", e.Hash, e.Result, e.Key, e.Meta)
		}
	}
	if n != 3 {
		t.Errorf("square holds %d entries, want 3", n)
	}
	p.stop(t)
}
