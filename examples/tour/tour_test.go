package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTourTwice runs the whole walkthrough twice on one directory: the
// first run computes and every step behaves as the walkthrough says; the
// second takes every result from the cache and says so.
func TestTourTwice(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "persist")
	var out bytes.Buffer
	first := &tour{w: &out, dir: dir, sleep: time.Millisecond}
	first.run()
	if first.summary() != 0 || first.failures != 0 || first.computed == 0 {
		t.Fatalf("first run: %d failures, %d computed\n%s", first.failures, first.computed, out.String())
	}
	out.Reset()
	second := &tour{w: &out, dir: dir, sleep: time.Millisecond}
	second.run()
	if second.summary() != 0 || second.computed != 0 {
		t.Fatalf("second run: %d failures, %d computed, want 0 and 0\n%s", second.failures, second.computed, out.String())
	}
	if !strings.Contains(out.String(), "Everything came from the cache") {
		t.Fatalf("the second run does not say it used the cache:\n%s", out.String())
	}
	for _, section := range []string{"## 1 - Persist", "## 8 - Using a server", "Hash collision for keys (('x', 3),) and (('x', 4),)"} {
		if !strings.Contains(out.String(), section) {
			t.Errorf("the tour's output lacks %q", section)
		}
	}
}

// TestTourFresh checks -fresh: each cache is cleared first, as in the
// walkthrough, so a second run computes again.
func TestTourFresh(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "persist")
	for run := range 2 {
		var out bytes.Buffer
		tr := &tour{w: &out, dir: dir, sleep: time.Millisecond, fresh: true}
		tr.run()
		if tr.summary() != 0 || tr.computed == 0 {
			t.Fatalf("run %d with -fresh: %d failures, %d computed\n%s", run, tr.failures, tr.computed, out.String())
		}
	}
}
