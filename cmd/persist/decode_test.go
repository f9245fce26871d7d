package main

import (
	"testing"
	"time"
)

func TestParseAge(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * 24 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"0d", 0, true},
		{"36h", 36 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"4d12h", 108 * time.Hour, true},
		{"1d30m", 24*time.Hour + 30*time.Minute, true},
		{"1d-1h", 0, false},
		{"1dd", 0, false},
		{"", 0, false},
		{"d", 0, false},
		{"-1d", 0, false},
		{"-5m", 0, false},
		{"infd", 0, false},
		{"NaNd", 0, false},
		{"1e300d", 0, false},
		{"3 days", 0, false},
	} {
		got, err := parseAge(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseAge(%q) = %v, %v; want %v, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

func FuzzParseAge(f *testing.F) {
	for _, s := range []string{"30d", "1.5d", "36h", "1h30m", "-1d", "1e300d", "0x10d", ".5d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseAge(s)
		if err == nil && d < 0 {
			t.Errorf("parseAge(%q) = %v, a negative age", s, d)
		}
		if err != nil && d != 0 {
			t.Errorf("parseAge(%q) failed but returned %v", s, d)
		}
	})
}
