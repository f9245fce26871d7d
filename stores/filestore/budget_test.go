//go:build unix

package filestore_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
)

// TestBudgetPassesPlantedFiles plants a link as the key of the least
// recently used entry: trims leave that entry, and the file it points to,
// and keep the store within its budget with the others.
func TestBudgetPassesPlantedFiles(t *testing.T) {
	dir, ctx := t.TempDir(), t.Context()
	st, err := stores.Open(ctx, "file://"+dir+"?max_entries=10")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Put(ctx, "f", "aaaa", stores.Record{Result: []byte("old")}); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "f", "aaaa.out"), old, old); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(outside, []byte("x"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "f", "aaaa.key")); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := st.Put(ctx, "f", fmt.Sprintf("h%03d", i), stores.Record{Result: []byte("r")}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, err := range st.ListAll(ctx, "f") {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n > 11 { // the budget, and the entry that cannot be removed
		t.Errorf("%d entries after 100 writes under max_entries=10", n)
	}
	if b, err := os.ReadFile(outside); err != nil || string(b) != "x" {
		t.Errorf("the file the link points to: %q, %v", b, err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "f", "aaaa.key")); err != nil {
		t.Errorf("the planted link: %v, want it left", err)
	}
}
