package main

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	persist "github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
)

func newLsCommand() *cobra.Command {
	var asJSON, versions bool
	cmd := &cobra.Command{
		Use:   "ls [URL] [FUNCNAME]",
		Short: "list the functions of a cache, or the entries of one",
		Long: `Ls lists the functions of the cache at URL (default ./persist) with their
numbers of entries, total sizes, oldest and newest entries and last use,
sorted by name, from the store's listing alone: it reads no entry. Stores
that cannot list their functions (a persist server) need FUNCNAME.

A function's own directory (persist/triple) is not a cache: persist says
to name the cache and the function apart (persist triple). A memory store
(mem://) is refused: it lives inside the process that opened it.

With FUNCNAME it lists that function's entries, oldest first: hash, size
(result, key and metadata together), when it was written, the key when it
is stored (persist.Options.StoreKey), printed as persist prints keys,
(('x', 4),), and the metadata (persist.Options.Metadata). Long keys and
metadata are cut in the table; --json has them whole. It reads keys and
metadata, not results; --versions reads each result's stamp too, to show
the version of the code that computed it (persist.Options.Version, or the
fingerprint persist fingerprint wrote; "" for none).

With --json, the functions are
  {"store": "./persist",
   "functions": [{"name": "triple", "entries": 3, "bytes": 171,
                  "oldest": "2025-01-02T15:04:05Z", "newest": "2025-01-03T09:00:00Z",
                  "last_used": "2025-01-04T10:00:00Z"}]}
and the entries of one function
  {"store": "./persist", "function": "triple",
   "entries": [{"hash": "...", "bytes": 57, "created": "2025-01-02T15:04:05Z",
                "key": "(('x', 4),)", "meta": "text"}]}
where key and meta are null when not stored, created null when the store
does not know it; with --versions each entry has a "version" too. Times
are null for a function without entries, last_used where the store keeps
no last use. A function whose entries cannot all be read has an
"error" (and counts those read before it), and makes the exit status 1;
so does a FUNCNAME the cache does not have.`,
		Example: `  persist ls
  persist ls results
  persist ls file:///var/cache/persist triple
  persist ls --json persist triple | jq -r '.entries[].hash'`,
		Args: argsBetween(0, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := openCache(cmd.Context(), argN(args, 0))
			if err != nil {
				return lsHint(err, args)
			}
			defer c.Close()
			if len(args) == 2 {
				return lsEntries(cmd, c, args[1], asJSON, versions)
			}
			return lsFuncs(cmd, c, asJSON)
		},
	}
	cmd.Flags().BoolVar(&versions, "versions", false, "with FUNCNAME, show each entry's version (reads each result's stamp)")
	jsonFlag(cmd, &asJSON)
	return cmd
}

// lsHint adds a hint when a lone argument names no cache but is a function
// of the default one: "persist ls triple" for "persist ls persist triple".
func lsHint(err error, args []string) error {
	var nc *noCacheError
	if len(args) != 1 || !errors.As(err, &nc) || stores.ValidName("funcname", args[0]) != nil {
		return err
	}
	if fi, statErr := os.Stat(filepath.Join("persist", args[0])); statErr == nil && fi.IsDir() {
		return fmt.Errorf("%w; for the entries of function %s in ./persist, run: persist ls persist %s", err, args[0], args[0])
	}
	return err
}

// funcSummary is one line of persist ls.
type funcSummary struct {
	Name    string `json:"name"`
	Entries int    `json:"entries"`
	Bytes   int64  `json:"bytes"`
	// Oldest and Newest are the earliest and latest creation of an entry,
	// LastUsed the latest use the store keeps (nil where it keeps none).
	Oldest   *time.Time `json:"oldest"`
	Newest   *time.Time `json:"newest"`
	LastUsed *time.Time `json:"last_used"`
	// Error is why the entries could not all be read: then Entries and
	// Bytes count those read before it.
	Error string `json:"error,omitempty"`
}

func lsFuncs(cmd *cobra.Command, c *cache, asJSON bool) error {
	ctx := cmd.Context()
	names, err := c.funcNames(ctx, "")
	if err != nil {
		return err
	}
	funcs := make([]funcSummary, 0, len(names))
	failed := 0
	for _, name := range names {
		sum := funcSummary{Name: name}
		for e, err := range c.ListAll(ctx, name) {
			if err != nil {
				// One unreadable file should not hide the other functions.
				sum.Error = err.Error()
				failed++
				fmt.Fprintf(cmd.ErrOrStderr(), "persist: %s: %v\n", name, err)
				break
			}
			sum.Entries++
			sum.Bytes += e.Size
			sum.Oldest = earliest(sum.Oldest, e.Created)
			sum.Newest = latest(sum.Newest, e.Created)
			if !e.Used.IsZero() {
				sum.LastUsed = latest(sum.LastUsed, e.Used)
			}
		}
		funcs = append(funcs, sum)
	}
	if err := printFuncs(cmd, c, funcs, asJSON); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%s could not be read", count(failed, "function", "functions"))
	}
	return nil
}

func printFuncs(cmd *cobra.Command, c *cache, funcs []funcSummary, asJSON bool) error {
	out := cmd.OutOrStdout()
	if asJSON {
		return writeJSON(out, struct {
			Store     string        `json:"store"`
			Functions []funcSummary `json:"functions"`
		}{c.name, funcs})
	}
	if len(funcs) == 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "no functions in %s\n", c.name)
		return nil
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "FUNCTION\tENTRIES\tSIZE\tOLDEST\tNEWEST\tLAST USED")
	for _, f := range funcs {
		more := ""
		if f.Error != "" {
			more = " (unreadable)"
		}
		fmt.Fprintf(tw, "%s\t%d%s\t%s\t%s\t%s\t%s\n", f.Name, f.Entries, more, humanSize(f.Bytes),
			timeText(deref(f.Oldest)), timeText(deref(f.Newest)), timeText(deref(f.LastUsed)))
	}
	return tw.Flush()
}

// earliest and latest keep the earlier or later of *p and t in p.
func earliest(p *time.Time, t time.Time) *time.Time {
	if p == nil || t.Before(*p) {
		return &t
	}
	return p
}

func latest(p *time.Time, t time.Time) *time.Time {
	if p == nil || t.After(*p) {
		return &t
	}
	return p
}

// entryLine is one line of persist ls URL FUNCNAME.
type entryLine struct {
	Hash    string     `json:"hash"`
	Bytes   int64      `json:"bytes"`
	Created *time.Time `json:"created"`
	Key     *string    `json:"key"`
	Meta    *string    `json:"meta"`
	Version *string    `json:"version,omitempty"`
}

// lsEntries lists one function's entries: sizes and times from the
// store's listing, keys and metadata read beside them, results never.
func lsEntries(cmd *cobra.Command, c *cache, funcname string, asJSON, versions bool) error {
	var lines []entryLine
	ctx := cmd.Context()
	parts := stores.PartKey | stores.PartMeta
	if versions {
		parts |= stores.PartResult
	}
	for m, err := range c.ListAll(ctx, funcname) {
		if err != nil {
			return err
		}
		rec, err := c.Read(ctx, funcname, m.Hash, parts)
		if stores.IsNotFound(err) {
			continue // removed since it was listed
		}
		if err != nil {
			return err
		}
		line := entryLine{Hash: m.Hash, Bytes: m.Size, Created: jsonTime(m.Created), Meta: metaText(rec.Meta)}
		if rec.Key != nil {
			k, _ := keyText(rec.Key)
			line.Key = &k
		}
		if versions {
			v := "(damaged)"
			if st, _, err := persist.SplitStamp(rec.Result); err == nil {
				v = st.Version
			}
			line.Version = &v
		}
		lines = append(lines, line)
	}
	slices.SortFunc(lines, func(a, b entryLine) int {
		return cmp.Or(compareTimes(a.Created, b.Created), cmp.Compare(a.Hash, b.Hash))
	})
	out := cmd.OutOrStdout()
	if len(lines) == 0 {
		names, listed, err := c.otherFuncs(cmd.Context())
		if err != nil {
			return err
		}
		if !slices.Contains(names, funcname) {
			return noFuncError(c, funcname, names, listed)
		}
	}
	if asJSON {
		if lines == nil {
			lines = []entryLine{}
		}
		return writeJSON(out, lsEntriesDoc{c.name, funcname, lines})
	}
	if len(lines) == 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "no entries of %s in %s\n", funcname, c.name)
		return nil
	}
	tw := newTable(out)
	head := "HASH\tSIZE\tCREATED\tKEY\tMETADATA"
	if versions {
		head += "\tVERSION"
	}
	fmt.Fprintln(tw, head)
	for _, l := range lines {
		var created time.Time
		if l.Created != nil {
			created = *l.Created
		}
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", l.Hash, humanSize(l.Bytes), timeText(created), cell(deref(l.Key), 60), cell(deref(l.Meta), 40))
		if versions {
			row += "\t" + cell(strconv.Quote(deref(l.Version)), 40)
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

// lsEntriesDoc is what ls URL FUNCNAME prints with --json.
type lsEntriesDoc struct {
	Store    string      `json:"store"`
	Function string      `json:"function"`
	Entries  []entryLine `json:"entries"`
}

// noFuncError reports a function the cache does not have, with those it
// has when they are few.
func noFuncError(c *cache, funcname string, names []string, listed bool) error {
	msg := fmt.Sprintf("no function %s in %s", funcname, c.name)
	switch {
	case !listed:
		msg += " (no entries under that name)"
	case len(names) == 0:
		msg += " (it has none)"
	case len(names) <= 10:
		msg += " (it has " + strings.Join(names, ", ") + ")"
	default:
		msg += fmt.Sprintf(" (it has %d functions: persist ls %s lists them)", len(names), c.name)
	}
	return errors.New(msg)
}

// compareTimes orders unknown times first.
func compareTimes(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return a.Compare(*b)
}

// deref is *p, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
