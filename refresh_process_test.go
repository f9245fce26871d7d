package persist_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gopersist/persist"
)

// The test here runs the test binary itself as a child process on the
// parent's file cache: init sees PERSIST_FRESH_CHILD (the role) and
// PERSIST_FRESH_DIR (the cache), does the role's call, prints its result
// and exits before any test runs.

func init() {
	role := os.Getenv("PERSIST_FRESH_CHILD")
	if role == "" {
		return
	}
	memo, err := persist.Decorate(computedBy, persist.Options{Cache: os.Getenv("PERSIST_FRESH_DIR"), Verbosity: persist.Silent})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var v any
	switch role {
	case "refresh":
		v, err = memo.Refresh(1)
	case "call":
		v, err = memo.Call(1)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err == nil {
		err = memo.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Print(v)
	os.Exit(0)
}

// computedBy says which process computed it.
func computedBy(x int) string { return fmt.Sprintf("%d by %d", x, os.Getpid()) }

// freshChild runs the test binary in role on the cache dir and returns
// what its call returned.
func freshChild(t *testing.T, role, dir string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PERSIST_FRESH_CHILD="+role, "PERSIST_FRESH_DIR="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child %s: %v", role, err)
	}
	return strings.TrimSpace(string(out))
}

// TestProcessesSeeRefresh: two processes share a file cache; a refresh in
// one is what the other's next call returns, both ways.
func TestProcessesSeeRefresh(t *testing.T) {
	dir := t.TempDir()
	memo, err := persist.Decorate(computedBy, persist.Options{Cache: dir, Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer closeMemo(t, memo)
	mine := fmt.Sprintf("1 by %d", os.Getpid())
	if v, _ := memo.Call(1); v != mine {
		t.Fatalf("first call: %v, want %q", v, mine)
	}
	if got := freshChild(t, "call", dir); got != mine {
		t.Fatalf("the child's call returned %q, want the parent's stored %q", got, mine)
	}
	theirs := freshChild(t, "refresh", dir)
	if theirs == mine || !strings.HasPrefix(theirs, "1 by ") {
		t.Fatalf("the child's refresh returned %q, want its own computation", theirs)
	}
	if v, _ := memo.Call(1); v != theirs {
		t.Fatalf("after the child's refresh the parent's call returned %v, want %q", v, theirs)
	}
	if v, _ := memo.Refresh(1); v != mine {
		t.Fatalf("the parent's refresh returned %v, want %q", v, mine)
	}
	if got := freshChild(t, "call", dir); got != mine {
		t.Fatalf("after the parent's refresh the child's call returned %q, want %q", got, mine)
	}
	if st := memo.Stats(); st.Computes != 2 || st.Hits != 1 {
		t.Errorf("the parent's Stats %+v, want 2 computes (the call, the refresh) and 1 hit", st)
	}
}
