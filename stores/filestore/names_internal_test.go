//go:build unix

package filestore

import (
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		hash string
		kind fileKind
	}{
		{"abc.out", "abc", kindOut},
		{"abc.key", "abc", kindKey},
		{"abc.meta", "abc", kindMeta},
		{"abc.lock", "abc", kindLock},
		{"7 to the 4.out", "7 to the 4", kindOut},
		{"a.key.out", "a.key", kindOut},
		{"abc.out.tmp-0123456789abcdef", "abc", kindTemp},
		{"abc.key.tmp-0123456789abcdef", "abc", kindTemp},
		{"abc.meta.tmp-0123456789abcdef", "abc", kindTemp},
		{"abc.lock.stale-0123456789abcdef", "abc", kindTemp},
		{".owner.tmp-0123456789abcdef", "", kindTemp},
		{"abc.lock.tmp-0123456789abcdef", "", kindOther},  // locks are never staged
		{"abc.out.stale-0123456789abcdef", "", kindOther}, // only locks are set aside
		{"abc.out.tmp-0123456789abcde", "", kindOther},    // 15 digits
		{"abc.out.tmp-0123456789ABCDEF", "", kindOther},   // upper case
		{"abc.txt.tmp-0123456789abcdef", "", kindOther},   // not a layout file
		{".out.tmp-0123456789abcdef", "", kindOther},      // no hash
		{".out", "", kindOther},
		{"..out", "", kindOther},
		{"x.out~", "", kindOther},
		{"README", "", kindOther},
		{strings.Repeat("h", 201) + ".out", "", kindOther}, // hash too long
	}
	for _, tt := range tests {
		hash, kind := classify(tt.name)
		if hash != tt.hash || kind != tt.kind {
			t.Errorf("classify(%q) = %q, %v; want %q, %v", tt.name, hash, kind, tt.hash, tt.kind)
		}
	}
	if tag := randomTag(); !isRandomTag(tag) {
		t.Errorf("randomTag() = %q, which isRandomTag rejects", tag)
	}
}

func TestParseLockInfo(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC)
	tests := []struct {
		in   string
		want lockInfo
		ok   bool
	}{
		{"123 host 2024-05-06T07:08:09.00000001Z\n", lockInfo{123, "host", now}, true},
		{"123 host", lockInfo{PID: 123, Host: "host"}, true},
		{"  123\thost  ", lockInfo{PID: 123, Host: "host"}, true},
		{"", lockInfo{}, false},
		{"123", lockInfo{}, false},
		{"0 host", lockInfo{}, false},
		{"-5 host", lockInfo{}, false},
		{"+5 host", lockInfo{}, false},
		{"0123 host", lockInfo{}, false},
		{"x host", lockInfo{}, false},
		{"123 host yesterday", lockInfo{}, false},
		{"123 host 2024-05-06T07:08:09Z extra", lockInfo{}, false},
		{"99999999999999999999 host", lockInfo{}, false},
		// A lock into which a Put writes the result names its holder on
		// its last line until the end, then holds the result alone.
		{"(\xb5/\xfd\x04\x00\t\x00\n\x00\x15P\n123 host 2024-05-06T07:08:09.00000001Z\n", lockInfo{123, "host", now}, true},
		{"123 host\n\n", lockInfo{PID: 123, Host: "host"}, true},
		{"123 host\ngarbage", lockInfo{}, false},
		{"(\xb5/\xfd\x04\x00\t\x00\x00\x15P", lockInfo{}, false},
		{"21\n", lockInfo{}, false},
		{"\x00\xff\n\x00", lockInfo{}, false},
	}
	for _, tt := range tests {
		got, ok := parseLockInfo([]byte(tt.in))
		if ok != tt.ok || got.PID != tt.want.PID || got.Host != tt.want.Host || !got.Time.Equal(tt.want.Time) {
			t.Errorf("parseLockInfo(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzParseLockInfo checks that parsing never panics and that what parses
// formats back to content that parses to the same holder.
func FuzzParseLockInfo(f *testing.F) {
	f.Add([]byte("123 host 2024-05-06T07:08:09Z\n"))
	f.Add([]byte("1 -"))
	f.Add([]byte("garbage"))
	f.Add([]byte("(\xb5/\xfd\x04\x00\t\x00\x00\x15P"))                              // a result written into the lock
	f.Add([]byte("(\xb5/\xfd\x04\x00\n\x00\x15P\n123 host 2024-05-06T07:08:09Z\n")) // and its holder
	f.Fuzz(func(t *testing.T, b []byte) {
		info, ok := parseLockInfo(b)
		if !ok {
			return
		}
		if info.PID <= 0 || info.Host == "" || strings.ContainsAny(info.Host, " \t\n") {
			t.Fatalf("parseLockInfo(%q) = %+v", b, info)
		}
		again, ok := parseLockInfo([]byte(info.String()))
		if !ok || again.PID != info.PID || again.Host != info.Host || !again.Time.Equal(info.Time) {
			t.Fatalf("%q → %+v → %q → %+v, %v", b, info, info.String(), again, ok)
		}
	})
}
