package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	persist "github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/storetest"
)

// counted:// is a memory space behind a counting driver, so that a command
// run in this process can be held to what it reads. (persist refuses mem://
// itself: another process would see an empty space.)
var (
	countedMu sync.Mutex
	counted   = map[string]*storetest.Counting{}
)

func init() {
	stores.Register("counted", func(_ context.Context, u *url.URL) (driver.Store, error) {
		var d driver.Store
		memstore.Open("counted-" + u.Host).As(&d)
		c := storetest.NewCounting(d)
		countedMu.Lock()
		counted[u.Host] = c
		countedMu.Unlock()
		return c.Driver(), nil
	})
}

// fillCounted stores n records of 64 KiB results under funcname in the
// space behind counted://space.
func fillCounted(t *testing.T, space, funcname string, n int) (resultBytes int64) {
	t.Helper()
	st := memstore.Open("counted-" + space)
	for i := range n {
		// Random bytes: a pickle that zstd cannot shrink, so that the
		// stored result is as large as the value.
		value := make([]byte, 64<<10)
		_, _ = rand.Read(value)
		result, err := persist.Pickle(value)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Put(t.Context(), funcname, fmt.Sprintf("h%04d", i), stores.Record{Result: result}); err != nil {
			t.Fatal(err)
		}
		resultBytes += int64(len(result))
	}
	t.Cleanup(func() { _ = st.Clear(context.Background(), funcname) })
	return resultBytes
}

// runCounted runs the command in this process and returns what it printed
// and what the counting driver saw while it ran.
func runCounted(t *testing.T, space string, args ...string) (string, storetest.Counts) {
	t.Helper()
	var out, errOut strings.Builder
	if code := execute(t.Context(), args, &out, &errOut); code != 0 {
		t.Fatalf("persist %s: exit status %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
	countedMu.Lock()
	c := counted[space]
	countedMu.Unlock()
	if c == nil {
		t.Fatalf("persist %s did not open counted://%s", strings.Join(args, " "), space)
	}
	return out.String(), c.Counts()
}

// TestListingReadsNoResults holds ls and gc to the store's listing: sizes
// and times come from metadata, and not one result byte is read, while
// verify reads each result exactly once.
func TestListingReadsNoResults(t *testing.T) {
	const n = 40
	space := strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	resultBytes := fillCounted(t, space, "f", n)
	u := "counted://" + space

	for _, c := range []struct {
		args []string
		want string // in the output, from the listing
	}{
		{[]string{"ls", u}, "40"},
		{[]string{"ls", u, "f"}, "64 KiB"},
		{[]string{"ls", "--json", u, "f"}, `"bytes": 655`},
		{[]string{"gc", "--dry-run", "--older-than", "1h", u}, "would keep 40 entries"},
		{[]string{"gc", "--max-size", "1MiB", "--dry-run", u}, "would remove 25 entries"},
	} {
		cmd := strings.Join(c.args, " ")
		out, got := runCounted(t, space, c.args...)
		if got.ResultReads != 0 || got.ResultBytes != 0 {
			t.Errorf("persist %s read %d results (%d bytes), want none", cmd, got.ResultReads, got.ResultBytes)
		}
		if !strings.Contains(out, c.want) {
			t.Errorf("persist %s printed no %q:\n%s", cmd, c.want, out)
		}
	}

	_, got := runCounted(t, space, "verify", u)
	if got.ResultReads != n || got.ResultBytes != resultBytes {
		t.Errorf("persist verify read %d results (%d bytes), want each of %d once (%d bytes)", got.ResultReads, got.ResultBytes, n, resultBytes)
	}
}
