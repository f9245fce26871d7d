//go:build unix

package filestore

import (
	"errors"
	"net/url"
	"testing"
	"time"
)

// The opaque form cannot reach the store through stores.Open, which treats
// a string without "://" as a bare path; it is parsed here directly.
func TestParseURL(t *testing.T) {
	tests := []struct {
		url  string
		dir  string
		opts Options
	}{
		{"file:results", "results", Options{}},
		{"file:my%20results", "my results", Options{}},
		{"file:results?lockstale=1m30s&sync=true", "results", Options{Sync: true, LockStale: 90 * time.Second}},
		{"file://persist/", "persist/", Options{}},
		{"file://./persist", "./persist", Options{}},
		{"file://../up/persist", "../up/persist", Options{}},
		{"file:///abs/dir", "/abs/dir", Options{}},
		{"file:/abs/dir", "/abs/dir", Options{}},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		dir, opts, err := parseURL(u)
		if err != nil || dir != tt.dir || opts != tt.opts {
			t.Errorf("parseURL(%q) = %q, %+v, %v; want %q, %+v", tt.url, dir, opts, err, tt.dir, tt.opts)
		}
	}
	for _, bad := range []string{"http://x/", "file:", "file:%zz", "file:x?lockstale=1"} {
		u, err := url.Parse(bad)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := parseURL(u); !errors.Is(err, ErrInvalidURL) {
			t.Errorf("parseURL(%q): %v, want ErrInvalidURL", bad, err)
		}
	}
}

// FuzzParseURL checks that any URL either parses to a directory and
// sensible options or fails with ErrInvalidURL, never panicking, and that
// the result opens a store.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"file://persist/", "file:///a/b?sync=1", "file:r?lockstale=2s", "file://p/?x=1", "file:%41"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		dir, opts, err := parseURL(u)
		if err != nil {
			if !errors.Is(err, ErrInvalidURL) {
				t.Fatalf("parseURL(%q): %v does not wrap ErrInvalidURL", raw, err)
			}
			return
		}
		if dir == "" || opts.LockStale < 0 {
			t.Fatalf("parseURL(%q) = %q, %+v", raw, dir, opts)
		}
		if u.Opaque == "" && dir != u.Host+u.Path {
			t.Fatalf("parseURL(%q) = %q, want host+path %q", raw, dir, u.Host+u.Path)
		}
		s, err := openDriver(dir, opts)
		if err != nil {
			if !errors.Is(err, errNotDir) {
				t.Fatalf("Open(%q) after parseURL(%q): %v", dir, raw, err)
			}
			return
		}
		if s.Options().LockStale <= 0 || s.Dir() != dir {
			t.Fatalf("Open(%q) = dir %q, options %+v", dir, s.Dir(), s.Options())
		}
	})
}
