package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	persist "github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

func newGCCommand() *cobra.Command {
	var f gcFlags
	cmd := &cobra.Command{
		Use:   "gc [URL] [FUNCNAME] --older-than DURATION | --max-size SIZE | --max-entries N | --other-versions VERSION",
		Short: "remove entries by age, total size, number or version",
		Long: `Gc removes entries from the cache at URL (default ./persist), of every
function or of FUNCNAME only, so that they are computed again when next
needed.

--older-than DURATION removes the entries written more than DURATION ago:
90m, 36h, 30d, 4d12h (a day is 24h). --max-size SIZE and --max-entries N
then remove the least recently used entries that remain until the total
size (results, keys and metadata) is at most SIZE (500MiB, 2GB, 1048576)
and their number at most N. The age of an entry is when its store wrote
it (in a directory cache, the modification time of its .out file); its
last use is when a call last read it, kept to the hour (the access time
of its .out, which persist sets itself), or its age where the store keeps
no last use. These are the rules of a store's budget (max_size and
max_entries in its URL), by the same code, and they read no entry: only
the store's listing.

--other-versions VERSION removes the entries of FUNCNAME, which it needs,
whose version (Options.Version, or the fingerprint persist fingerprint
wrote) is not VERSION: "" is the version of entries written without one.
It reads each entry's result to find its version.

At least one of them is needed; with several, an entry goes for the first
that applies. --dry-run lists what would be removed and removes nothing.
Gc does not ask for confirmation: its flags say what goes.

With --json it prints
  {"store": "./persist", "dry_run": false,
   "removed": [{"function": "triple", "hash": "...", "bytes": 57,
                "created": "2025-01-02T15:04:05Z", "reason": "age"}],
   "removed_bytes": 57, "kept": 6, "kept_bytes": 342}
where reason is "version", "age" or "size", least recently used first.`,
		Example: `  persist gc --older-than 30d
  persist gc --max-size 500MiB --dry-run
  persist gc results triple --older-than 12h --max-size 1GiB
  persist gc results triple --other-versions 4f1c0d9e2b7a6c3d`,
		Args: argsBetween(0, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			f.byVersion = fl.Changed("other-versions")
			if !fl.Changed("older-than") && !fl.Changed("max-size") && !fl.Changed("max-entries") && !f.byVersion {
				return usageErrorf("say what to remove with --older-than, --max-size, --max-entries or --other-versions")
			}
			if f.byVersion && len(args) < 2 {
				return usageErrorf("--other-versions needs the function: a version is one function's")
			}
			f.byAge = fl.Changed("older-than")
			f.sizeGiven, f.entriesGiven = fl.Changed("max-size"), fl.Changed("max-entries")
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
	fl.Var(&f.maxSize, "max-size", "remove the least recently used entries until the total is at most `SIZE` (500MiB, 2GB)")
	fl.IntVar(&f.maxEntries, "max-entries", 0, "remove the least recently used entries until at most `N` remain")
	fl.StringVar(&f.current, "other-versions", "", "remove the entries of FUNCNAME whose version is not `VERSION`")
	fl.BoolVar(&f.dryRun, "dry-run", false, "list what would be removed, remove nothing")
	jsonFlag(cmd, &f.asJSON)
	return cmd
}

type gcFlags struct {
	olderThan               age
	maxSize                 sizeLimit
	maxEntries              int
	current                 string
	byAge, byVersion        bool
	sizeGiven, entriesGiven bool
	dryRun, asJSON          bool
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
	var doomed []stores.Doomed
	if f.byVersion {
		var err error
		if doomed, err = otherVersions(ctx, c, names[0], f.current); err != nil {
			return err
		}
	}
	policy := stores.Policy{
		Budget: stores.Budget{MaxBytes: int64(f.maxSize.byteSize), MaxEntries: f.maxEntries},
	}
	// A budget of zero is none, but a limit of zero asked for on the
	// command line means every entry goes: a budget of one entry trimmed
	// to half of it.
	if f.sizeGiven && policy.Budget.MaxBytes == 0 || f.entriesGiven && policy.Budget.MaxEntries == 0 {
		policy.Budget, policy.Target = stores.Budget{MaxEntries: 1}, 0.5
	}
	if f.byAge {
		policy.OlderThan = max(time.Duration(f.olderThan), time.Nanosecond)
	}
	planned, kept, keptBytes, err := c.Plan(ctx, names, policy, time.Now())
	if err != nil {
		return err
	}
	if f.byVersion {
		// The entries of other versions go first; the plan's own choice
		// is made among the rest as if they were gone already.
		planned, kept, keptBytes = subtract(planned, doomed, kept, keptBytes)
	}
	doomed = append(doomed, planned...)
	removed := doomed
	var failed error
	if !f.dryRun {
		var foreign int
		removed, foreign, failed = c.Trim(ctx, doomed, func(err error) bool {
			var fe *filestore.ForeignError
			return errors.As(err, &fe)
		})
		if foreign > 0 {
			// A record with a planted part: gc leaves it, verify reports
			// it, and the rest is still collected.
			fmt.Fprintf(cmd.ErrOrStderr(), "persist: left %s (persist verify lists them)\n", count(foreign, "entry with a foreign file", "entries with foreign files"))
		}
	}
	var removedBytes int64
	entries := make([]gcEntry, 0, len(removed))
	for _, e := range removed {
		removedBytes += e.Size
		entries = append(entries, gcEntry{Function: e.Func, Hash: e.Hash, Bytes: e.Size, Created: e.Created.UTC(), Reason: e.Reason})
	}
	out := cmd.OutOrStdout()
	if f.asJSON {
		if err := writeJSON(out, gcDoc{c.name, f.dryRun, entries, removedBytes, kept, keptBytes}); err != nil {
			return err
		}
		return failed
	}
	if err := printGC(out, entries); err != nil {
		return err
	}
	verb := "removed"
	if f.dryRun {
		verb = "would remove"
	}
	if _, err := fmt.Fprintf(out, "%s %s (%s); %s %s (%s)\n", verb, count(len(entries), "entry", "entries"), humanSize(removedBytes),
		cond(f.dryRun, "would keep", "kept"), count(kept, "entry", "entries"), humanSize(keptBytes)); err != nil {
		return err
	}
	return failed
}

// otherVersions returns the entries of funcname whose stamp names another
// version than current, reading each result's stamp.
func otherVersions(ctx context.Context, c *cache, funcname, current string) ([]stores.Doomed, error) {
	var doomed []stores.Doomed
	for m, err := range c.ListAll(ctx, funcname) {
		if err != nil {
			return nil, err
		}
		rec, err := c.Read(ctx, funcname, m.Hash, stores.PartResult)
		if stores.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		st, _, err := persist.SplitStamp(rec.Result)
		if err != nil || st.Version == current {
			continue // a damaged entry is verify's to report
		}
		doomed = append(doomed, stores.Doomed{Func: funcname, Meta: m, Reason: "version"})
	}
	return doomed, nil
}

// subtract removes from the plan the entries already doomed for their
// version, and from what it keeps those it kept.
func subtract(plan, gone []stores.Doomed, kept int, keptBytes int64) ([]stores.Doomed, int, int64) {
	isGone := make(map[string]bool, len(gone))
	for _, d := range gone {
		isGone[d.Func+"/"+d.Hash] = true
	}
	planned := make(map[string]bool, len(plan))
	out := plan[:0]
	for _, d := range plan {
		planned[d.Func+"/"+d.Hash] = true
		if !isGone[d.Func+"/"+d.Hash] {
			out = append(out, d)
		}
	}
	for _, d := range gone {
		if !planned[d.Func+"/"+d.Hash] {
			kept--
			keptBytes -= d.Size
		}
	}
	return out, kept, keptBytes
}

func printGC(w io.Writer, removed []gcEntry) error {
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
