package s3store

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url  string
		want Options
	}{
		{"s3://b", Options{Bucket: "b"}},
		{"s3://b/a/b/", Options{Bucket: "b", Prefix: "a/b"}},
		{"s3://b/p?region=eu-west-1", Options{Bucket: "b", Prefix: "p", Region: "eu-west-1"}},
		{"s3://b/p?endpoint=http://127.0.0.1:9000", Options{Bucket: "b", Prefix: "p", Endpoint: "http://127.0.0.1:9000", PathStyle: true}},
		{"s3://b/p?endpoint=https://s3.example.com&pathstyle=false", Options{Bucket: "b", Prefix: "p", Endpoint: "https://s3.example.com"}},
		{"s3://b?lease=45s&retries=0", Options{Bucket: "b", Lease: 45 * time.Second, Retries: -1}},
		{"s3://b?retries=7", Options{Bucket: "b", Retries: 7}},
	}
	for _, tc := range tests {
		u, _ := url.Parse(tc.url)
		got, err := parseURL(u)
		if err != nil || got != tc.want {
			t.Errorf("parseURL(%s) = %+v, %v; want %+v", tc.url, got, err, tc.want)
		}
	}
}

func TestParseURLRefuses(t *testing.T) {
	for _, raw := range []string{
		"s3:///prefix",
		"s3://AKIDEXAMPLE:wJalrXUtnFEMI@bucket/p",
		"s3://b?unknown=1",
		"s3://b?lease=soon",
		"s3://b?retries=-2",
		"s3://b?pathstyle=maybe",
	} {
		u, _ := url.Parse(raw)
		_, err := parseURL(u)
		if !errors.Is(err, ErrInvalidURL) {
			t.Errorf("parseURL(%s): %v, want ErrInvalidURL", raw, err)
			continue
		}
		if strings.Contains(err.Error(), "wJalrXUtnFEMI") {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
	// What Open refuses before any request.
	for _, raw := range []string{
		"s3://b?lease=10ms",
		"s3://b?endpoint=ftp://host",
		"s3://b?endpoint=http://host/path",
		"s3://b?endpoint=http://user:pw@host",
		"s3://b/" + strings.Repeat("p", 700),
		"file:///tmp",
	} {
		_, err := Open(context.Background(), raw)
		if !errors.Is(err, ErrInvalidURL) {
			t.Errorf("Open(%s): %v, want ErrInvalidURL", raw, err)
		}
		if err != nil && strings.Contains(err.Error(), ":pw@") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

func TestOptionsURL(t *testing.T) {
	o := Options{Bucket: "b", Prefix: "/cache/", Endpoint: "http://127.0.0.1:9000", Region: "r", Lease: time.Minute}
	u, err := url.Parse(o.URL())
	if err != nil {
		t.Fatal(err)
	}
	back, err := parseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	o.Prefix = "cache"
	o.PathStyle = true
	if back != o {
		t.Errorf("parseURL(%s) = %+v, want %+v", o.URL(), back, o)
	}
}

// FuzzParseURL checks that no URL makes the parser panic, and that an
// accepted one names a bucket and never keeps user information.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"s3://b/p?endpoint=http://h:1&region=r&lease=2s&retries=3&pathstyle=true", "s3://u:p@b", "s3://b?lease=-1s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		o, err := parseURL(u)
		if err != nil {
			return
		}
		if o.Bucket == "" || u.User != nil {
			t.Errorf("parseURL(%q) accepted %+v", raw, o)
		}
	})
}
