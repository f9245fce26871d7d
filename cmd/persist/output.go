package main

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"
)

// jsonFlag adds --json to cmd, whose long help documents the shape.
func jsonFlag(cmd *cobra.Command, p *bool) {
	cmd.Flags().BoolVar(p, "json", false, "print one JSON document instead of a table")
}

// writeJSON prints v as indented JSON, without escaping <, > and &, which
// keys and metadata may well contain.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// newTable returns a writer that aligns tab-separated columns; Flush
// prints them.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// humanSize writes a number of bytes as people read it: 57 B, 1.2 KiB.
func humanSize(n int64) string {
	if n < 0 {
		n = 0
	}
	return humanize.IBytes(uint64(n))
}

// timeLayout is how tables show when an entry was written, in local time.
const timeLayout = "2006-01-02 15:04:05"

func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(timeLayout)
}

// jsonTime is a time for --json output: RFC 3339 in UTC, or null when the
// store does not know it.
func jsonTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// cell makes s fit one table cell: control characters escaped as in a Go
// string, and at most width runes (0: no limit), the cut marked with "…".
func cell(s string, width int) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsGraphic(r) && r != ' ' }) >= 0 {
		q := strconv.Quote(s)
		s = q[1 : len(q)-1]
	}
	if width > 0 && utf8.RuneCountInString(s) > width {
		r := []rune(s)
		s = string(r[:width-1]) + "…"
	}
	if s == "" {
		return "-"
	}
	return s
}

// metaText is metadata as text: nil when there is none.
func metaText(meta []byte) *string {
	if meta == nil {
		return nil
	}
	s := strings.ToValidUTF8(string(meta), "\uFFFD")
	return &s
}
