package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gopersist/persist/cmd/persist/internal/fingerprint"
)

func newFingerprintCommand() *cobra.Command {
	var tags string
	var dryRun, asJSON bool
	cmd := &cobra.Command{
		Use:   "fingerprint [DIR]",
		Short: "write the fingerprints of a package's memoised functions",
		Long: `Fingerprint finds every function that the Go package in DIR (default ".")
passes to persist.Decorate, Wrap or Wrap1…Wrap3E, hashes a normal form of
its code together with the code of its module that it uses (the functions
and methods it calls, transitively, the constants and package variables it
reads), and writes <package>_persist_fingerprint.go, whose init registers
each fingerprint with persist.RegisterFingerprint. Decorate then takes a
function's fingerprint as its Version, unless Options.Version gives one:
editing the function, a helper it calls or a constant it reads makes its
stored results misses, and reformatting, comments or renamed locals do not.

Run it from go generate, with one line in the package:

  //go:generate go run github.com/gopersist/persist/cmd/persist fingerprint

Functions it cannot fingerprint (function literals, functions of other
modules, func values held in variables) are listed on stderr: give those a
Version by hand. The file is left alone when it would not change.

With --json it prints
  {"package": "example.com/m/pkg", "file": "pkg_persist_fingerprint.go",
   "functions": [{"name": "example.com/m/pkg.Fib", "fingerprint": "…"}],
   "written": true}`,
		Example: `  persist fingerprint
  persist fingerprint ./internal/solver --tags integration`,
		Args: argsBetween(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := argN(args, 0)
			if dir == "" {
				dir = "."
			}
			opts := fingerprint.Options{}
			if tags != "" {
				opts.BuildFlags = []string{"-tags=" + tags}
			}
			run := fingerprint.Write
			if dryRun {
				run = fingerprint.Generate
			}
			res, err := run(cmd.Context(), dir, opts)
			if err != nil {
				return err
			}
			for _, s := range res.Skipped {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", s.Pos, s.Reason)
			}
			if asJSON {
				type fn struct {
					Name        string `json:"name"`
					Fingerprint string `json:"fingerprint"`
				}
				funcs := make([]fn, 0, len(res.Funcs))
				for _, f := range res.Funcs {
					funcs = append(funcs, fn{f.Name, f.Fingerprint})
				}
				return writeJSON(cmd.OutOrStdout(), map[string]any{
					"package": res.Package, "file": filepath.Base(res.File), "functions": funcs, "written": res.Written,
				})
			}
			if dryRun {
				_, err := cmd.OutOrStdout().Write(res.Source)
				return err
			}
			verb := "unchanged"
			if res.Written {
				verb = "wrote"
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s %s: %s\n", verb, filepath.Base(res.File), count(len(res.Funcs), "function", "functions"))
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&tags, "tags", "", "build `TAGS` (comma-separated), as go build -tags")
	fl.BoolVar(&dryRun, "dry-run", false, "print the file instead of writing it")
	jsonFlag(cmd, &asJSON)
	return cmd
}
