package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gopersist/persist/stores"
)

func newShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show URL FUNCNAME HASH",
		Short: "show one entry: key, value, metadata",
		Long: `Show prints one entry of a cache: when it was written, its size, its key
(when stored) and metadata, and its value.

A value written with persist's default pickling is decoded and printed as
JSON, without its Go type: structs and maps as objects, []byte in base64,
NaN and infinities as the strings "NaN", "+Inf" and "-Inf". A value written
by a custom Pickle (such as strconv.Itoa) is printed as it is when it is
printable UTF-8 text, and as a hex dump otherwise. A value that should
decode but does not is damaged: show prints its hex dump and exits 1.

With --json it prints
  {"store": "./persist", "function": "triple", "hash": "...",
   "created": "2025-01-02T15:04:05Z", "bytes": 57,
   "key": "(('x', 4),)", "key_value": [["x", 4]], "meta": "text",
   "encoding": "default", "value": 12}
where key, key_value and meta are null when not stored, and encoding says
which of the fields value (default), text (text), data (binary, in base64)
or data and error (damaged) describe the value.`,
		Example: `  persist show persist triple 6Vz3_Tg0s1Qx...
  persist show --json http://127.0.0.1:5000/persist triple 6Vz3_Tg0s1Qx... | jq .value`,
		Args: argsBetween(3, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := openCache(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			defer c.Close()
			funcname, hash := args[1], args[2]
			rec, err := c.Get(cmd.Context(), funcname, hash)
			if errors.Is(err, stores.ErrNotFound) {
				return fmt.Errorf("no entry %s of %s in %s", hash, funcname, c.name)
			}
			if err != nil {
				return err
			}
			e := stores.Entry{Hash: hash, Record: rec}
			if asJSON {
				err = showJSON(cmd.OutOrStdout(), c, funcname, e)
			} else {
				err = showText(cmd.OutOrStdout(), funcname, e)
			}
			if err != nil {
				return err
			}
			return damage(e)
		},
	}
	jsonFlag(cmd, &asJSON)
	return cmd
}

// damage reports a result or key that should decode and does not.
func damage(e stores.Entry) error {
	if bl := decodeBlob(e.Result); bl.kind == blobDamaged {
		return fmt.Errorf("entry %s is damaged: result: %w", e.Hash, bl.err)
	}
	if e.Key != nil {
		if bl := decodeBlob(e.Key); bl.kind == blobDamaged {
			return fmt.Errorf("entry %s is damaged: key: %w", e.Hash, bl.err)
		}
	}
	return nil
}

func showText(w io.Writer, funcname string, e stores.Entry) error {
	tw := newTable(w)
	fmt.Fprintf(tw, "function\t%s\n", funcname)
	fmt.Fprintf(tw, "hash\t%s\n", e.Hash)
	fmt.Fprintf(tw, "created\t%s\n", timeText(e.Created))
	fmt.Fprintf(tw, "size\t%s (result %s, key %s, metadata %s)\n", humanSize(entrySize(e.Record)),
		humanSize(int64(len(e.Result))), humanSize(int64(len(e.Key))), humanSize(int64(len(e.Meta))))
	key := "not stored"
	if e.Key != nil {
		key, _ = keyText(e.Key)
	}
	fmt.Fprintf(tw, "key\t%s\n", cell(key, 0))
	meta := metaText(e.Meta)
	switch {
	case meta == nil:
		fmt.Fprintf(tw, "metadata\tnone\n")
	case !strings.Contains(*meta, "\n"):
		fmt.Fprintf(tw, "metadata\t%s\n", cell(*meta, 0))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if meta != nil && strings.Contains(*meta, "\n") {
		fmt.Fprintf(w, "metadata:\n%s\n", strings.TrimSuffix(*meta, "\n"))
	}

	bl := decodeBlob(e.Result)
	switch bl.kind {
	case blobDefault:
		fmt.Fprintln(w, "value (default pickling):")
		return writeJSON(w, jsonable(bl.value))
	case blobText:
		fmt.Fprintln(w, "value (custom pickling, text):")
		_, err := fmt.Fprintln(w, strings.TrimSuffix(string(e.Result), "\n"))
		return err
	case blobBinary:
		fmt.Fprintf(w, "value (custom pickling, %s, not text):\n", count(len(e.Result), "byte", "bytes"))
	case blobDamaged:
		fmt.Fprintf(w, "value (damaged: %v):\n", bl.err)
	}
	_, err := io.WriteString(w, hex.Dump(e.Result))
	return err
}

func showJSON(w io.Writer, c *cache, funcname string, e stores.Entry) error {
	doc := map[string]any{
		"store":     c.name,
		"function":  funcname,
		"hash":      e.Hash,
		"created":   jsonTime(e.Created),
		"bytes":     entrySize(e.Record),
		"key":       nil,
		"key_value": nil,
		"meta":      metaText(e.Meta),
	}
	if e.Key != nil {
		text, _ := keyText(e.Key)
		doc["key"] = text
		if bl := decodeBlob(e.Key); bl.kind == blobDefault {
			doc["key_value"] = jsonable(bl.value)
		}
	}
	bl := decodeBlob(e.Result)
	doc["encoding"] = bl.kind
	switch bl.kind {
	case blobDefault:
		doc["value"] = jsonable(bl.value)
	case blobText:
		doc["text"] = string(e.Result)
	case blobBinary:
		doc["data"] = e.Result
	case blobDamaged:
		doc["data"] = e.Result
		doc["error"] = bl.err.Error()
	}
	return writeJSON(w, doc)
}
