package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// age is a flag value for a duration that may be given in days, as people
// think of cache lifetimes: 30d or 4d12h, as well as time.ParseDuration's
// 36h or 90m.
type age time.Duration

// String is empty for zero, so that help shows no "(default 0s)" for a
// flag whose absence means no limit.
func (a *age) String() string {
	if *a == 0 {
		return ""
	}
	return time.Duration(*a).String()
}

func (a *age) Set(s string) error {
	d, err := parseAge(s)
	if err != nil {
		return err
	}
	*a = age(d)
	return nil
}

func (a *age) Type() string { return "duration" }

// maxDays keeps a number of days within what time.Duration holds.
const maxDays = float64(1<<63-1) / float64(24*time.Hour)

// parseAge parses a non-negative duration: anything time.ParseDuration
// takes, optionally after a number of days with the suffix d (30d, 1.5d,
// 4d12h).
func parseAge(s string) (time.Duration, error) {
	bad := func() (time.Duration, error) {
		return 0, fmt.Errorf("%q is not a duration such as 30d, 4d12h, 36h or 90m", s)
	}
	var d time.Duration
	rest := s
	if days, after, ok := strings.Cut(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || !(n >= 0 && n < maxDays) { // also NaN and infinities
			return bad()
		}
		d, rest = time.Duration(n*float64(24*time.Hour)), after
		if rest == "" {
			return d, nil
		}
		if rest[0] == '-' || rest[0] == '+' {
			return bad()
		}
	}
	more, err := time.ParseDuration(rest)
	if err != nil {
		return bad()
	}
	if more < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	if d+more < d {
		return bad() // too long to count in nanoseconds
	}
	return d + more, nil
}
