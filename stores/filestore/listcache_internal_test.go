//go:build unix

package filestore

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gopersist/persist/stores/driver"
)

// A reading of a directory that changed within its times' granularity
// before the reading began is not kept; an older one is.
func TestSettled(t *testing.T) {
	now := time.Now()
	at := func(d time.Duration, nsec bool) unix.Timespec {
		ts := unix.NsecToTimespec(now.Add(d).UnixNano())
		if !nsec {
			ts.Nsec = 0
		}
		return ts
	}
	for _, tt := range []struct {
		name    string
		changed time.Duration
		nsec    bool
		want    bool
	}{
		{"fine, just now", -time.Millisecond, true, false},
		{"fine, a second ago", -time.Second, true, true},
		{"coarse, a second ago", -time.Second, false, false},
		{"coarse, three seconds ago", -3 * time.Second, false, true},
		{"in the future", time.Hour, true, false},
	} {
		ts := at(tt.changed, tt.nsec)
		if got := settled(dirKey{mtime: ts, ctime: ts}, now); got != tt.want {
			t.Errorf("%s: settled = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Pages of an unchanged directory come from one kept reading; a change
// makes a new one.
func TestListKeepsAReading(t *testing.T) {
	ctx := context.Background()
	d, err := openDriver(filepath.Join(t.TempDir(), "persist"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"a", "b", "c"} {
		if err := d.Write(ctx, "f", h, driver.Record{Result: []byte(h)}); err != nil {
			t.Fatal(err)
		}
	}
	kept := func() []listed {
		d.names.mu.Lock()
		defer d.names.mu.Unlock()
		if e := d.names.dirs["f"]; e != nil {
			return e.names
		}
		return nil
	}
	if _, err := d.List(ctx, "f", "", 1); err != nil {
		t.Fatal(err)
	}
	if kept() != nil {
		t.Fatal("kept the reading of a directory changed a moment ago")
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := d.List(ctx, "f", "", 1); err != nil {
		t.Fatal(err)
	}
	first := kept()
	if len(first) != 3 {
		t.Fatalf("kept %v, want the three records", first)
	}
	page, err := d.List(ctx, "f", "a", 5)
	if err != nil || len(page) != 2 || page[0].Hash != "b" {
		t.Fatalf("second page = %v, %v", page, err)
	}
	if again := kept(); &again[0] != &first[0] {
		t.Error("the second page read the directory again")
	}
	if err := os.WriteFile(filepath.Join(d.Dir(), "f", "d.out"), []byte("d"), 0o666); err != nil {
		t.Fatal(err)
	}
	page, err = d.List(ctx, "f", "c", 5)
	if err != nil || len(page) != 1 || page[0].Hash != "d" {
		t.Errorf("after a new record: %v, %v", page, err)
	}
}
