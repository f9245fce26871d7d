// Command tour runs pypersist's walkthrough in Go, section by section, on
// the default file store. Each memoised function sleeps as the
// walkthrough's do, and every call shows how long it took: a second run
// finds every result in the cache and says so.
//
//	go run ./examples/tour              # results in ./persist
//	go run ./examples/tour -dir /tmp/p  # elsewhere
//	go run ./examples/tour -sleep 10ms  # shorter computations
//	go run ./examples/tour -fresh       # clear each cache first, as the walkthrough does
//
// It exits with status 1 if any step does not behave as the walkthrough
// says.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gopersist/persist"
)

func main() {
	dir := flag.String("dir", "persist", "directory of the file store")
	sleep := flag.Duration("sleep", time.Second, "how long each computation takes")
	fresh := flag.Bool("fresh", false, "clear each cache before its section, as the walkthrough does")
	flag.Parse()
	t := &tour{w: os.Stdout, dir: *dir, sleep: *sleep, fresh: *fresh}
	t.run()
	os.Exit(t.summary())
}

// tour holds the state of one run: where results go and what happened.
type tour struct {
	w        io.Writer
	dir      string
	sleep    time.Duration
	fresh    bool
	computed int // computations, counted in the memoised functions
	cached   int // calls answered from the cache
	failures int
}

func (t *tour) run() {
	for _, s := range []struct {
		title string
		run   func()
	}{
		{"1 - Persist", t.persist},
		{"2 - Custom pickling", t.customPickling},
		{"3 - Storage location", t.storageLocation},
		{"4 - Custom key function", t.customKey},
		{"5 - Custom hash function", t.customHash},
		{"6 - Storing keys", t.storingKeys},
		{"7 - Unhashing", t.unhashing},
		{"8 - Using a server", t.usingServer},
	} {
		fmt.Fprintf(t.w, "\n## %s\n\n", s.title)
		s.run()
	}
}

// work starts the body of a memoised function that the walkthrough makes
// slow: it takes the walkthrough's second and counts a computation.
func (t *tour) work() {
	t.tally()
	time.Sleep(t.sleep)
}

// tally counts a computation of a function the walkthrough keeps fast.
func (t *tour) tally() { t.computed++ }

// call runs one memoised call, shows its result and time, and checks the
// result against what the walkthrough shows.
func (t *tour) call(label string, want any, f func() (any, error)) {
	before := t.computed
	start := time.Now()
	got, err := f()
	took := time.Since(start)
	how := "from the cache"
	if t.computed > before {
		how = "computed"
	} else {
		t.cached++
	}
	if err != nil {
		got = "error: " + err.Error()
	}
	fmt.Fprintf(t.w, "%-28s = %-22v %s in %v\n", label, got, how, took.Round(time.Microsecond))
	t.expect(fmt.Sprint(got) == fmt.Sprint(want), "%s should be %v", label, want)
}

// expect records a step that does not behave as the walkthrough says.
func (t *tour) expect(ok bool, format string, args ...any) {
	if !ok {
		t.failures++
		fmt.Fprintf(t.w, "FAIL: "+format+"\n", args...)
	}
}

// show prints an observation, as a notebook cell's output.
func (t *tour) show(format string, args ...any) { fmt.Fprintf(t.w, format+"\n", args...) }

// decorate memoises fn, clearing its cache first under -fresh.
func (t *tour) decorate(fn any, opts persist.Options) *persist.Memo {
	if opts.Cache == "" {
		opts.Cache = t.dir
	}
	m, err := persist.Decorate(fn, opts)
	if err != nil {
		t.expect(false, "Decorate: %v", err)
		return nil
	}
	if t.fresh {
		t.expect(m.Clear() == nil, "Clear failed")
	}
	return m
}

// listdir returns the sorted names of the files in a function's directory.
func (t *tour) listdir(funcName string) []string {
	entries, err := os.ReadDir(filepath.Join(t.dir, funcName))
	t.expect(err == nil, "listdir %s: %v", funcName, err)
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") { // as ls shows it: without the owner record
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names
}

func (t *tour) summary() int {
	fmt.Fprintf(t.w, "\n%d results computed, %d calls answered from the cache.\n", t.computed, t.cached)
	if t.computed == 0 {
		fmt.Fprintln(t.w, "Everything came from the cache: an earlier run stored every result.")
	} else {
		fmt.Fprintln(t.w, "Run the tour again: every result will come from the cache.")
	}
	if t.failures > 0 {
		fmt.Fprintf(t.w, "%d steps did not behave as the walkthrough says.\n", t.failures)
		return 1
	}
	return 0
}
