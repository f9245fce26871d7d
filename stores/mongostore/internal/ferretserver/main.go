//go:build !race

// Ferretserver runs FerretDB, a MongoDB-wire server, on loopback with its
// data in SQLite files, for the tests of the MongoDB store and of the
// persist command.
//
// Usage:
//
//	ferretserver -dir DIR [-addr 127.0.0.1:0]
//
// It prints "listening on mongodb://HOST:PORT/" once it accepts
// connections, and exits when standard input closes (so that it never
// outlives the test that started it) or on SIGINT or SIGTERM.
//
// It is a program of its own so that the tests, built with the race
// detector, do not compile FerretDB and SQLite with it: built once
// without, it starts in a moment. For the same reason it is never built
// with -race (the build constraint above): go test -race
// ./stores/mongostore/... would otherwise compile it, and all of FerretDB,
// with the race detector, though it has no tests.
//
// The tests build it with the tag ferretdb_no_postgresql, which leaves out
// FerretDB's PostgreSQL backend.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "`address` to listen on (port 0 picks a free one)")
	dir := flag.String("dir", "", "`directory` of the SQLite files (required)")
	flag.Parse()
	if *dir == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*addr, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "ferretserver:", err)
		os.Exit(1)
	}
}

func run(addr, dir string) error {
	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: addr},
		Handler:  "sqlite",
		// Immediate transactions take SQLite's write lock when they begin,
		// so concurrent writers wait for it (up to the busy timeout)
		// instead of failing with SQLITE_BUSY when a read turns into a
		// write.
		SQLiteURL: "file:" + dir + "/?_txlock=immediate&_pragma=busy_timeout(60000)",
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	// New has bound the listener: connections wait in its backlog until Run
	// accepts them.
	fmt.Println("listening on", f.MongoDBURI())
	return f.Run(ctx) // nil when ctx ends
}
