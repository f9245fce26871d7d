package redisstore

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	good := []struct {
		url     string
		addrs   []string
		cluster bool
		db      int
		check   func(config) bool
	}{
		{url: "redis://localhost", addrs: []string{"localhost:6379"}},
		{url: "redis://h:7000/3", addrs: []string{"h:7000"}, db: 3},
		{url: "redis://u:p@h:7000/", addrs: []string{"h:7000"}, check: func(c config) bool { return c.username == "u" && c.password == "p" }},
		{url: "redis://:p@h/", addrs: []string{"h:6379"}, check: func(c config) bool { return c.username == "" && c.password == "p" }},
		{url: "redis://h1:1,h2:2/", addrs: []string{"h1:1", "h2:2"}, cluster: true},
		{url: "redis://h1:1/?addr=h2:2&addr=[::1]:3", addrs: []string{"h1:1", "h2:2", "[::1]:3"}, cluster: true},
		{url: "redis://h1:1/?cluster=true", addrs: []string{"h1:1"}, cluster: true},
		{url: "rediss://h:6380/", addrs: []string{"h:6380"}, check: func(c config) bool { return c.tls != nil && c.tls.ServerName == "h" }},
		{url: "rediss://h:6380/?servername=x&insecure=true", addrs: []string{"h:6380"},
			check: func(c config) bool { return c.tls.ServerName == "x" && c.tls.InsecureSkipVerify }},
		{url: "redis://h/?lease=2s&chunk=1MiB&maxrecord=2GiB&timeout=1s&prefix=app", addrs: []string{"h:6379"},
			check: func(c config) bool {
				return c.lease == 2*time.Second && c.chunk == 1<<20 && c.maxRecord == 2<<30 && c.timeout == time.Second && c.prefix == "app"
			}},
		{url: "redis://h/?chunk=4096", addrs: []string{"h:6379"}, check: func(c config) bool { return c.chunk == 4096 }},
	}
	for _, tc := range good {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		c, err := parseURL(u)
		if err != nil {
			t.Errorf("parseURL(%s): %v", tc.url, err)
			continue
		}
		if !slices.Equal(c.addrs, tc.addrs) || c.cluster != tc.cluster || c.db != tc.db || (tc.check != nil && !tc.check(c)) {
			t.Errorf("parseURL(%s) = %+v", tc.url, c)
		}
	}
	bad := []string{
		"http://h/",
		"redis:opaque",
		"redis:///",
		"redis://h/x",
		"redis://h/-1",
		"redis://h1,h2/2",
		"redis://h1,h2/?cluster=false",
		"redis://h/?cluster=maybe",
		"redis://h/?nosuch=1",
		"redis://h/?lease=1ms",
		"redis://h/?lease=soon",
		"redis://h/?chunk=1",
		"redis://h/?chunk=1GiB",
		"redis://h/?maxrecord=0",
		"redis://h/?timeout=-1s",
		"redis://h/?prefix=a{b}",
		"redis://h/?prefix=",
		"redis://h/?ca=/x",
		"rediss://h/?ca=/nonexistent/ca.pem",
		"rediss://h/?insecure=perhaps",
		"redis://h1,,h2/",
		"redis://h:0/",
	}
	for _, raw := range bad {
		u, err := url.Parse(raw)
		if err != nil {
			continue // refused before parseURL: also fine
		}
		if c, err := parseURL(u); err == nil {
			t.Errorf("parseURL(%s) = %+v, want an error", raw, c)
		}
	}
}

// FuzzParseURL checks that no URL makes parseURL panic and that its errors
// never quote the password.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"h:1/0", "h1:1,h2:2/?lease=1s", "h/?chunk=1MiB&addr=x:1", "h/?nosuch=PASSWORD", "[::1]:1/?cluster=true"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rest string) {
		const secret = "s3cr3t-Pa55"
		u, err := url.Parse("redis://user:" + secret + "@" + rest)
		if err != nil || strings.Contains(rest, secret) {
			return
		}
		if _, err := parseURL(u); err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("parseURL(%s): the error %q quotes the password", u.Redacted(), err)
		}
	})
}

// FuzzParseDescriptor checks that a damaged chunk descriptor is refused,
// never taken for a record of another size, and that every accepted one is
// what Write would have made.
func FuzzParseDescriptor(f *testing.F) {
	for _, s := range []string{"0123abcd 4 16777216", "g 1 1", "g 0 0", "g -1 5", "g 2 1", " 1 1", "g 1 1 1", "g 01 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, desc string) {
		gen, n, length, err := parseDescriptor(desc)
		if err != nil {
			return
		}
		if again := gen + " " + strconv.Itoa(n) + " " + strconv.Itoa(length); again != desc {
			t.Errorf("parseDescriptor(%q) = %q, %d, %d, which Write writes as %q", desc, gen, n, length, again)
		}
		if n < 1 || length < n || length > n*MaxChunkSize {
			t.Errorf("parseDescriptor(%q) accepted %d chunks of %d bytes", desc, n, length)
		}
	})
}
