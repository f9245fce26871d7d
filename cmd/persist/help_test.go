package main

import (
	"strings"
	"testing"
)

func TestHelp(t *testing.T) {
	dir := t.TempDir()
	r := run(t, dir, "", "help")
	wantCode(t, r, 0)
	for _, want := range []string{"Exit status:", "ls ", "show ", "rm ", "clear ", "verify ", "gc ", "serve "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("persist help lacks %q:\n%s", want, r)
		}
	}
	for _, c := range []struct{ cmd, usage string }{
		{"ls", "persist ls [URL] [FUNCNAME]"},
		{"show", "persist show URL FUNCNAME HASH"},
		{"rm", "persist rm URL FUNCNAME HASH..."},
		{"clear", "persist clear URL FUNCNAME"},
		{"verify", "persist verify [URL] [FUNCNAME]"},
		{"gc", "persist gc [URL] [FUNCNAME]"},
	} {
		for _, args := range [][]string{{"help", c.cmd}, {c.cmd, "--help"}} {
			r := run(t, dir, "", args...)
			wantCode(t, r, 0)
			for _, want := range []string{c.usage, "Examples:", "--json"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("persist %s lacks %q:\n%s", strings.Join(args, " "), want, r)
				}
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "Usage:"},
		{[]string{"lss"}, `unknown command "lss" (did you mean ls?)`},
		{[]string{"help", "nosuch"}, `unknown help topic "nosuch"`},
		{[]string{"ls", "--nosuch"}, "unknown flag: --nosuch"},
		{[]string{"ls", "a", "b", "c"}, "want at most 2 arguments, got 3"},
		{[]string{"show", "a", "b"}, "want 3 arguments, got 2"},
		{[]string{"rm", "a", "b"}, "want at least 3 arguments, got 2"},
		{[]string{"clear", "a"}, "want 2 arguments, got 1"},
		{[]string{"verify", "file://persist/?color=blue"}, `unknown parameter "color"`},
	} {
		r := run(t, dir, "", c.args...)
		wantCode(t, r, 2)
		if !strings.Contains(r.stderr, c.want) {
			t.Errorf("persist %s: want %q on stderr:\n%s", strings.Join(c.args, " "), c.want, r)
		}
	}
}
