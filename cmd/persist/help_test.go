package main

import (
	"encoding/json"
	"errors"
	"fmt"
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

// TestJSONShapes checks the --json documents of ls and gc against the
// shapes their help gives: the same keys, in the same order.
func TestJSONShapes(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		help, after string // the command and the text its shape follows
		args        []string
	}{
		{"ls", "the functions are", []string{"ls", "--json", "cache"}},
		{"ls", "the entries of one function", []string{"ls", "--json", "cache", "triple"}},
		{"gc", "With --json it prints", []string{"gc", "--json", "--dry-run", "--max-size", "0", "cache"}},
	} {
		help := run(t, f.root, "", "help", c.help)
		wantCode(t, help, 0)
		i := strings.Index(help.stdout, c.after)
		if i < 0 {
			t.Fatalf("persist help %s lacks %q:\n%s", c.help, c.after, help)
		}
		want, err := keyPaths(help.stdout[i+len(c.after):])
		if err != nil {
			t.Fatalf("persist help %s: the shape after %q is not JSON: %v", c.help, c.after, err)
		}
		r := run(t, f.root, "", c.args...)
		wantCode(t, r, 0)
		got, err := keyPaths(r.stdout)
		if err != nil {
			t.Fatalf("persist %s: %v\n%s", strings.Join(c.args, " "), err, r)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("persist %s prints the keys\n\t%s\nits help documents\n\t%s", strings.Join(c.args, " "), strings.Join(got, " "), strings.Join(want, " "))
		}
	}
}

// keyPaths returns the keys of the first JSON document in s, from its
// first '{', as paths (.store, .removed[].hash), in the order they first
// appear.
func keyPaths(s string) ([]string, error) {
	i := strings.Index(s, "{")
	if i < 0 {
		return nil, errors.New("no JSON object")
	}
	dec := json.NewDecoder(strings.NewReader(s[i:]))
	var paths []string
	seen := map[string]bool{}
	var walk func(prefix string) error
	walk = func(prefix string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		end := json.Delim(0)
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				p := prefix + "." + k.(string)
				if !seen[p] {
					seen[p] = true
					paths = append(paths, p)
				}
				if err := walk(p); err != nil {
					return err
				}
			}
			end = '}'
		case json.Delim('['):
			for dec.More() {
				if err := walk(prefix + "[]"); err != nil {
					return err
				}
			}
			end = ']'
		default:
			return nil
		}
		if tok, err := dec.Token(); err != nil || tok != end {
			return fmt.Errorf("want %v, got %v (%v)", end, tok, err)
		}
		return nil
	}
	return paths, walk("")
}
