//go:build linux

package filestore_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// watchOpens watches dir with inotify and returns a function that stops
// and reports the names of the files in dir that were opened since; the
// opens of dir itself are left out. Unlike permissions, inotify sees the
// opens of a test that runs as root.
func watchOpens(t *testing.T, dir string) func() []string {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		t.Skipf("no inotify: %v", err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_OPEN); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	return func() []string {
		defer unix.Close(fd)
		var opened []string
		buf := make([]byte, 64<<10)
		for {
			n, err := unix.Read(fd, buf)
			if err == unix.EAGAIN {
				return opened
			}
			if err != nil {
				t.Fatal(err)
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				if name = bytes.TrimRight(name, "\x00"); len(name) > 0 {
					opened = append(opened, string(name))
				}
				off += unix.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}
}

// List reads the directory and opens none of the records' files, whatever
// they hold: the sizes come from fstatat.
func TestListOpensNoRecordFile(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	put(t, s, "f", "a", stores.Record{Result: []byte("12345")})
	put(t, s, "f", "b", stores.Record{Result: []byte("1"), Key: []byte("kk"), Meta: []byte("mmm")})
	put(t, s, "f", "c", stores.Record{Result: nil, Key: []byte("key")})
	stop := watchOpens(t, filepath.Join(s.Dir(), "f"))
	page, _, err := s.List(ctx, "f", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.Len(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	if opened := stop(); len(opened) != 0 {
		t.Errorf("List and Len opened %q", opened)
	}
	var got []string
	for _, m := range page {
		got = append(got, m.Hash)
		if want := map[string]int64{"a": 5, "b": 6, "c": 3}[m.Hash]; m.Size != want {
			t.Errorf("List: %s has size %d, want %d", m.Hash, m.Size, want)
		}
	}
	if !slices.Equal(got, []string{"a", "b", "c"}) || n != 3 {
		t.Errorf("List = %q, Len = %d; want a, b, c", got, n)
	}
	// The watch sees opens: a Get opens the files it reads.
	stop = watchOpens(t, filepath.Join(s.Dir(), "f"))
	if _, err := s.Get(ctx, "f", "b"); err != nil {
		t.Fatal(err)
	}
	if opened := stop(); !slices.Contains(opened, "b.out") || !slices.Contains(opened, "b.key") {
		t.Errorf("Get opened %q; the watch does not see opens", opened)
	}
}

// A hit that reads the result alone opens the .out alone; the key and the
// metadata are opened when they are asked for.
func TestReadOpensOnlyTheParts(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	put(t, s, "f", "h", stores.Record{Result: []byte("r"), Key: []byte("k"), Meta: []byte("m")})
	for _, tt := range []struct {
		parts stores.Parts
		want  []string
	}{
		{stores.PartResult, []string{"h.out"}},
		{stores.PartResult | stores.PartKey, []string{"h.key", "h.out"}},
		{stores.PartMeta, []string{"h.meta", "h.out"}},
		{stores.AllParts, []string{"h.key", "h.meta", "h.out"}},
	} {
		stop := watchOpens(t, filepath.Join(s.Dir(), "f"))
		rec, err := s.Read(ctx, "f", "h", tt.parts)
		opened := stop()
		slices.Sort(opened)
		if err != nil || rec.Created.IsZero() {
			t.Fatalf("Read(%b): %+v, %v", tt.parts, rec, err)
		}
		if !slices.Equal(slices.Compact(opened), tt.want) {
			t.Errorf("Read(%b) opened %q, want %q", tt.parts, opened, tt.want)
		}
		if (rec.Key != nil) != tt.parts.Has(stores.PartKey) || (rec.Meta != nil) != tt.parts.Has(stores.PartMeta) ||
			(rec.Result != nil) != tt.parts.Has(stores.PartResult) {
			t.Errorf("Read(%b) = %+v, want exactly the parts asked for", tt.parts, rec)
		}
	}
}
