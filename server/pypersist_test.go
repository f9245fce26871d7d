package server_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores/storetest"
)

// pypersistClient is the replay of what pypersist's MongoDB cache sends,
// with Python's standard library, that the command line's tests run
// against persist serve; it is run here against the handler itself.
const pypersistClient = "../cmd/persist/testdata/pypersist_client.py"

// TestPypersistClient runs pypersist's client code (its mongodbcache.Cache,
// line for line) against the server with a token: items, hashes,
// namespaces, counts, iteration of the first page, deletes and clears.
func TestPypersistClient(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		storetest.Missing(t, "python3 is not installed; the pypersist compatibility check needs it")
	}
	const token = "py-t0ken"
	f := newFixture(t, server.Options{Token: token})
	cache := "mongodb://" + token + "@" + strings.TrimPrefix(f.url, "http://") + "/persist"
	mustPut(t, f.store, "gowritten", "3 to the 4", "81")
	out, err := exec.CommandContext(t.Context(), python, pypersistClient, cache).CombinedOutput()
	t.Logf("pypersist_client.py:\n%s", out)
	if err != nil {
		t.Fatalf("the pypersist client failed: %v", err)
	}
	if !strings.Contains(string(out), "all checks passed") {
		t.Fatal("the pypersist client did not finish its checks")
	}
}
