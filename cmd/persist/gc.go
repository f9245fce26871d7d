package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

func newGCCommand() *cobra.Command {
	var f gcFlags
	cmd := &cobra.Command{
		Use:   "gc [URL] [FUNCNAME] --older-than DURATION | --max-size SIZE",
		Short: "remove entries by age and total size",
		Long: `Gc removes old entries from the cache at URL (default ./persist), of every
function or of FUNCNAME only, so that they are computed again when next
needed.

--older-than DURATION removes the entries written more than DURATION ago:
90m, 36h, 30d, 4d12h (a day is 24h). --max-size SIZE then removes the oldest
entries that remain until the total size (results, keys and metadata) is
at most SIZE: 500MiB, 2GB, 1048576. At least one of them is needed; with
both, age goes first. The age of an entry is when its store wrote it (in
a directory cache, the modification time of its .out file).

--dry-run lists what would be removed and removes nothing. Gc does not ask
for confirmation: its flags say what goes.

With --json it prints
  {"store": "./persist", "dry_run": false,
   "removed": [{"function": "triple", "hash": "...", "bytes": 57,
                "created": "2025-01-02T15:04:05Z", "reason": "age"}],
   "removed_bytes": 57, "kept": 6, "kept_bytes": 342}
where reason is "age" or "size", oldest first.`,
		Example: `  persist gc --older-than 30d
  persist gc --max-size 500MiB --dry-run
  persist gc results triple --older-than 12h --max-size 1GiB`,
		Args: argsBetween(0, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if !fl.Changed("older-than") && !fl.Changed("max-size") {
				return usageErrorf("say what to remove with --older-than, --max-size or both")
			}
			f.byAge, f.bySize = fl.Changed("older-than"), fl.Changed("max-size")
			c, names, err := openFuncs(cmd.Context(), args)
			if err != nil {
				return err
			}
			defer c.Close()
			return runGC(cmd, c, names, f)
		},
	}
	fl := cmd.Flags()
	fl.Var(&f.olderThan, "older-than", "remove entries written longer ago than `DURATION` (90m, 36h, 30d, 4d12h)")
	fl.Var(&f.maxSize, "max-size", "remove the oldest entries until the total is at most `SIZE` (500MiB, 2GB)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "list what would be removed, remove nothing")
	jsonFlag(cmd, &f.asJSON)
	return cmd
}

type gcFlags struct {
	olderThan      age
	maxSize        sizeLimit
	byAge, bySize  bool
	dryRun, asJSON bool
}

// gcEntry is an entry as gc weighs it: no contents, so that a large cache
// fits in memory.
type gcEntry struct {
	Function string    `json:"function"`
	Hash     string    `json:"hash"`
	Bytes    int64     `json:"bytes"`
	Created  time.Time `json:"created"`
	Reason   string    `json:"reason"`
}

// gcDoc is what gc prints with --json, in the order its help gives: the
// store first, as in every command's document.
type gcDoc struct {
	Store        string    `json:"store"`
	DryRun       bool      `json:"dry_run"`
	Removed      []gcEntry `json:"removed"`
	RemovedBytes int64     `json:"removed_bytes"`
	Kept         int       `json:"kept"`
	KeptBytes    int64     `json:"kept_bytes"`
}

func runGC(cmd *cobra.Command, c *cache, names []string, f gcFlags) error {
	ctx := cmd.Context()
	// gc weighs entries by the store's listing alone: it reads no entry.
	var all []gcEntry
	for _, name := range names {
		for e, err := range c.ListAll(ctx, name) {
			if err != nil {
				return err
			}
			all = append(all, gcEntry{Function: name, Hash: e.Hash, Bytes: e.Size, Created: e.Created.UTC()})
		}
	}
	doomed, kept, keptBytes := choose(all, f, time.Now())
	removed := doomed
	var failed error
	if !f.dryRun {
		var foreign int
		removed, foreign, failed = removeAll(ctx, c, doomed)
		if foreign > 0 {
			fmt.Fprintf(cmd.ErrOrStderr(), "persist: left %s (persist verify lists them)\n", count(foreign, "entry with a foreign file", "entries with foreign files"))
		}
	}
	var removedBytes int64
	for _, e := range removed {
		removedBytes += e.Bytes
	}
	out := cmd.OutOrStdout()
	if f.asJSON {
		if removed == nil {
			removed = []gcEntry{}
		}
		if err := writeJSON(out, gcDoc{c.name, f.dryRun, removed, removedBytes, kept, keptBytes}); err != nil {
			return err
		}
		return failed
	}
	if err := printGC(out, removed, f.dryRun); err != nil {
		return err
	}
	verb := "removed"
	if f.dryRun {
		verb = "would remove"
	}
	if _, err := fmt.Fprintf(out, "%s %s (%s); %s %s (%s)\n", verb, count(len(removed), "entry", "entries"), humanSize(removedBytes),
		cond(f.dryRun, "would keep", "kept"), count(kept, "entry", "entries"), humanSize(keptBytes)); err != nil {
		return err
	}
	return failed
}

// foreignPart reports whether err is about a foreign file inside the
// directory of function name (a part of one record), not about the
// function's directory itself.
func (c *cache) foreignPart(name string, err error) bool {
	var fe *filestore.ForeignError
	d, ok := c.files()
	return errors.As(err, &fe) && ok && filepath.Dir(fe.Path) == filepath.Join(d.Dir(), name)
}

// choose picks the entries to remove, oldest first: those older than the
// age limit, then the oldest of the rest until they fit in the size limit.
func choose(all []gcEntry, f gcFlags, now time.Time) (doomed []gcEntry, kept int, keptBytes int64) {
	slices.SortFunc(all, func(a, b gcEntry) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.Function, b.Function), cmp.Compare(a.Hash, b.Hash))
	})
	var total int64
	for _, e := range all {
		total += e.Bytes
	}
	cutoff := now.Add(-time.Duration(f.olderThan))
	i := 0
	for ; i < len(all); i++ {
		e := all[i]
		switch {
		case f.byAge && e.Created.Before(cutoff):
			e.Reason = "age"
		case f.bySize && total > int64(f.maxSize.byteSize):
			e.Reason = "size"
		default:
			// Sorted by age: none of the younger ones goes for age, and the
			// rest fits in the size limit.
			return doomed, len(all) - i, total
		}
		doomed = append(doomed, e)
		total -= e.Bytes
	}
	return doomed, 0, total
}

// removeAll deletes the doomed entries and returns those it removed. One
// that is gone already (removed by someone else meanwhile) is skipped; one
// with a planted part (a link, a FIFO) is left, counted in foreign, for
// verify to report, and the rest is still collected.
func removeAll(ctx context.Context, c *cache, doomed []gcEntry) (removed []gcEntry, foreign int, err error) {
	for _, e := range doomed {
		err := c.Delete(ctx, e.Function, e.Hash)
		switch {
		case err == nil:
			removed = append(removed, e)
		case errors.Is(err, stores.ErrNotFound):
		case c.foreignPart(e.Function, err):
			foreign++
		default:
			return removed, foreign, err
		}
	}
	return removed, foreign, nil
}

func printGC(w io.Writer, removed []gcEntry, dryRun bool) error {
	if len(removed) == 0 {
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "FUNCTION\tHASH\tSIZE\tCREATED\tREASON")
	for _, e := range removed {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Function, e.Hash, humanSize(e.Bytes), timeText(e.Created), e.Reason)
	}
	return tw.Flush()
}

// sizeLimit is a byteSize flag whose help shows no "(default 0 B)": its
// absence means no limit.
type sizeLimit struct{ byteSize }

func (s *sizeLimit) String() string {
	if s.byteSize == 0 {
		return ""
	}
	return s.byteSize.String()
}

func cond(c bool, yes, no string) string {
	if c {
		return yes
	}
	return no
}
