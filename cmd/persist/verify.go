package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gopersist/persist/stores"
)

func newVerifyCommand() *cobra.Command {
	var fix, asJSON bool
	cmd := &cobra.Command{
		Use:   "verify [URL] [FUNCNAME]",
		Short: "check that every entry decodes, and remove damaged ones",
		Long: `Verify reads every entry of the cache at URL (default ./persist), or of
function FUNCNAME only, and checks that it decodes.

An entry whose result or key was written with persist's default pickling
(CBOR, or raw values for large numeric slices, in a frame that ends with a
checksum: CRC-32C, or zstd's for a compressed one) is damaged when it does not decode: a flipped bit, a
truncated file. An entry whose result was written by a custom Pickle is
counted apart, as not checked: only its own Unpickle could tell.

Damaged entries are listed and make the exit status 1. With --fix they are
removed too, so that the next call with their keys computes them again
(the exit status is still 1: there was damage). An entry that cannot be
read at all (an I/O error) stops the check of its function, is reported,
and makes the exit status 1.

In a directory cache, a foreign file where the cache keeps its files (a
symbolic link, a FIFO, a device or a socket as an entry's file, a link as
a function's directory) is listed and makes the exit status 1 too. The
cache never reads, follows or removes such a file, and neither does
--fix: it prints the command that removes each one, to run by hand if
the file is not wanted.

On a terminal a progress bar shows how far it got; otherwise it writes a
line per function to standard error.

With --json it prints
  {"store": "./persist", "functions": 3, "checked": 7, "ok": 5, "custom": 1,
   "damaged": [{"function": "triple", "hash": "...", "part": "result",
                "error": "...", "removed": true}],
   "errors": [{"function": "square", "error": "..."}],
   "foreign": [{"function": "square", "path": "persist/square/x.out",
                "type": "symbolic link", "remove": "rm -- 'persist/square/x.out'"}]}
where part is "result" or "key".`,
		Example: `  persist verify
  persist verify --fix persist triple
  persist verify --json http://127.0.0.1:5000/persist triple`,
		Args: argsBetween(0, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, names, err := openFuncs(cmd.Context(), args)
			if err != nil {
				return err
			}
			defer c.Close()
			r := verifyAll(cmd.Context(), c, names, fix, cmd.ErrOrStderr())
			r.findForeign(cmd.Context(), c, argN(args, 1))
			if asJSON {
				err = writeJSON(cmd.OutOrStdout(), r)
			} else {
				err = r.print(cmd.OutOrStdout(), cmd.ErrOrStderr(), fix)
			}
			if err != nil {
				return err
			}
			return r.problems()
		},
	}
	cmd.Flags().BoolVar(&fix, "fix", false, "remove the damaged entries, say how to remove foreign files")
	jsonFlag(cmd, &asJSON)
	return cmd
}

// verifyReport is what persist verify found.
type verifyReport struct {
	Store     string         `json:"store"`
	Functions int            `json:"functions"`
	Checked   int            `json:"checked"`
	OK        int            `json:"ok"`
	Custom    int            `json:"custom"`
	Damaged   []damagedEntry `json:"damaged"`
	Errors    []funcError    `json:"errors"`
	Foreign   []foreignFile  `json:"foreign"`
}

// foreignFile is a file in a directory cache that the cache does not
// touch (see filestore.ErrForeign), and the command that removes it.
type foreignFile struct {
	Function string `json:"function"`
	Path     string `json:"path"`
	Type     string `json:"type"`
	Remove   string `json:"remove"`
}

// findForeign adds the foreign files of function named ("" for all) to r,
// when the store can list them.
func (r *verifyReport) findForeign(ctx context.Context, c *cache, named string) {
	fl, ok := c.files()
	if !ok {
		return
	}
	dir := fl.Dir()
	for fe, err := range fl.Foreign(ctx, named) {
		if err != nil {
			r.Errors = append(r.Errors, funcError{named, err.Error()})
			break
		}
		function, _, _ := strings.Cut(strings.TrimPrefix(fe.Path, filepath.Clean(dir)+string(filepath.Separator)), string(filepath.Separator))
		rm := "rm -- "
		if fe.Type.IsDir() {
			rm = "rm -r -- "
		}
		r.Foreign = append(r.Foreign, foreignFile{
			Function: function, Path: fe.Path, Type: fe.Kind(), Remove: rm + quoteShell(fe.Path),
		})
	}
}

// quoteShell quotes s for a POSIX shell.
func quoteShell(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

type damagedEntry struct {
	Function string `json:"function"`
	Hash     string `json:"hash"`
	Part     string `json:"part"`
	Error    string `json:"error"`
	Removed  bool   `json:"removed"`
}

type funcError struct {
	Function string `json:"function"`
	Error    string `json:"error"`
}

func verifyAll(ctx context.Context, c *cache, names []string, fix bool, progressTo io.Writer) *verifyReport {
	r := &verifyReport{Store: c.name, Functions: len(names), Damaged: []damagedEntry{}, Errors: []funcError{}, Foreign: []foreignFile{}}
	var total int64
	for _, name := range names {
		if n, err := c.Len(ctx, name); err == nil {
			total += int64(n)
		}
	}
	prog := newProgress(progressTo, "verify", total)
	defer prog.finish()
	for _, name := range names {
		var bad []damagedEntry
		checked := 0
		for e, err := range c.Entries(ctx, name, stores.AllParts) {
			if err != nil {
				r.Errors = append(r.Errors, funcError{name, err.Error()})
				break
			}
			checked++
			prog.add(1)
			switch d, custom := checkEntry(name, e); {
			case d != nil:
				bad = append(bad, *d)
			case custom:
				r.Custom++
			default:
				r.OK++
			}
		}
		r.Checked += checked
		prog.funcDone(name, checked)
		slices.SortFunc(bad, func(a, b damagedEntry) int { return cmp.Compare(a.Hash, b.Hash) })
		for i := range bad {
			if !fix {
				continue
			}
			if err := c.Delete(ctx, name, bad[i].Hash); err != nil {
				r.Errors = append(r.Errors, funcError{name, err.Error()})
				continue
			}
			bad[i].Removed = true
		}
		r.Damaged = append(r.Damaged, bad...)
	}
	return r
}

// checkEntry returns the damage of e, or whether its result was written by
// a custom Pickle and so could not be checked.
func checkEntry(funcname string, e stores.Entry) (damaged *damagedEntry, custom bool) {
	bl := decodeBlob(e.Result)
	if bl.kind == blobDamaged {
		return &damagedEntry{Function: funcname, Hash: e.Hash, Part: "result", Error: bl.err.Error()}, false
	}
	if e.Key != nil {
		if kb := decodeBlob(e.Key); kb.kind == blobDamaged {
			return &damagedEntry{Function: funcname, Hash: e.Hash, Part: "key", Error: kb.err.Error()}, false
		}
	}
	return nil, bl.kind != blobDefault
}

func (r *verifyReport) print(out, errOut io.Writer, fix bool) error {
	if len(r.Damaged) > 0 {
		tw := newTable(out)
		header := "FUNCTION\tHASH\tPART\tPROBLEM"
		if fix {
			header += "\tACTION"
		}
		fmt.Fprintln(tw, header)
		for _, d := range r.Damaged {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s", d.Function, d.Hash, d.Part, cell(d.Error, 60))
			switch {
			case d.Removed:
				fmt.Fprint(tw, "\tremoved")
			case fix:
				fmt.Fprint(tw, "\tnot removed")
			}
			fmt.Fprintln(tw)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Foreign) > 0 {
		tw := newTable(out)
		fmt.Fprintln(tw, "FOREIGN FILE\tTYPE")
		for _, f := range r.Foreign {
			fmt.Fprintf(tw, "%s\t%s\n", f.Path, f.Type)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(errOut, "persist: %s in the cache: it never reads, follows or removes them\n", count(len(r.Foreign), "foreign file", "foreign files"))
		if fix {
			fmt.Fprintln(errOut, "persist: --fix leaves them; to remove them, run:")
			for _, f := range r.Foreign {
				fmt.Fprintf(errOut, "  %s\n", f.Remove)
			}
		} else {
			fmt.Fprintln(errOut, "persist: run with --fix to see how to remove them")
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(errOut, "persist: %s: %s\n", e.Function, e.Error)
	}
	_, err := fmt.Fprintf(out, "checked %s of %s: %d ok, %d custom pickling (not checked), %d damaged\n",
		count(r.Checked, "entry", "entries"), count(r.Functions, "function", "functions"), r.OK, r.Custom, len(r.Damaged))
	return err
}

// problems is the error that makes the exit status 1, or nil.
func (r *verifyReport) problems() error {
	var err error
	switch {
	case len(r.Damaged) > 0 && len(r.Errors) > 0:
		err = fmt.Errorf("found %s; %s", count(len(r.Damaged), "damaged entry", "damaged entries"), count(len(r.Errors), "error", "errors"))
	case len(r.Damaged) > 0:
		err = fmt.Errorf("found %s", count(len(r.Damaged), "damaged entry", "damaged entries"))
	case len(r.Errors) > 0:
		err = fmt.Errorf("%s while verifying", count(len(r.Errors), "error", "errors"))
	}
	if len(r.Foreign) == 0 {
		return err
	}
	foreign := count(len(r.Foreign), "foreign file", "foreign files")
	if err != nil {
		return fmt.Errorf("%w; %s", err, foreign)
	}
	return fmt.Errorf("found %s", foreign)
}
