package persist_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/gopersist/persist"
)

// In the test here a child process writes into a file cache under a
// budget, trimming it as it goes, while this process reads the same
// entries: init sees PERSIST_BUDGET_CHILD (the cache's URL) and writes
// budgetKeys entries.

const budgetKeys = 600

func init() {
	url := os.Getenv("PERSIST_BUDGET_CHILD")
	if url == "" {
		return
	}
	f, memo, err := persist.Wrap1(budgetValue, persist.Options{Cache: url, FuncName: "budgeted", Verbosity: persist.Silent})
	if err == nil {
		for i := range budgetKeys {
			f(i)
		}
		err = memo.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func budgetValue(x int) string { return "value " + strconv.Itoa(x) }

// TestBudgetTrimWhileReading reads entries that another process's budget
// trims meanwhile: every read is the value or a miss, never an error, and
// never another value.
func TestBudgetTrimWhileReading(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PERSIST_BUDGET_CHILD=file://"+dir+"?max_entries=40")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	memo, err := persist.Decorate(budgetValue, persist.Options{Cache: dir, FuncName: "budgeted", Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	cache := memo.Cache()
	hits, misses := 0, 0
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("the writing process: %v", err)
			}
			running = false
		default:
		}
		x := rand.IntN(budgetKeys)
		v, err := cache.Get(persist.KeyOf("arg0", x))
		switch {
		case err == nil && v == budgetValue(x):
			hits++
		case errors.Is(err, persist.ErrNotFound):
			misses++
		default:
			t.Fatalf("Get(%d) while another process trims = %v, %v; want %q or a miss", x, v, err, budgetValue(x))
		}
	}
	n, err := cache.Len()
	if err != nil || n > 40 {
		t.Errorf("entries after the writes: %d, %v; want at most the budget, 40", n, err)
	}
	if hits == 0 {
		t.Errorf("%d reads, none a hit: the test read nothing the other process trimmed", misses)
	}
	t.Logf("%d hits, %d misses while the other process wrote %d entries under a budget of 40", hits, misses, budgetKeys)
}
