package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	persist "github.com/gopersist/persist"
	"github.com/gopersist/persist/cmd/persist/internal/metrics"
	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/reststore"
)

// serveFlags are the settings of persist serve.
type serveFlags struct {
	addr            string
	store           string
	token           string
	tokenFor        string
	maxBody         byteSize
	readTimeout     time.Duration
	writeTimeout    time.Duration
	shutdownTimeout time.Duration
	pageSize        int
	pageMax         int
	duplicates      string
	accessLog       bool
	metrics, ui     bool
}

func newServeCommand() *cobra.Command {
	f := serveFlags{maxBody: server.DefaultMaxBody}
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "serve a store over pypersist's REST protocol",
		Long: `Serve serves a store over the REST protocol of pypersist's MongoDB cache, at
http://ADDR/persist, so that Go programs (cache URL http://ADDR/persist) and
unmodified pypersist clients (cache="mongodb://ADDR/persist") share it.

--store names the store it serves, any that persist opens: a directory
(file://DIR), a MongoDB collection (mongodb://…), Redis (redis://…), an S3
bucket (s3://BUCKET/PREFIX?endpoint=…) or another persist server
(http://…); mem://NAME serves a memory store of the server's own. Go
clients share single flight through the server's locks (the lease
extension of the protocol) where the store can lock.

It prints "listening on http://ADDR/persist" once it accepts connections,
writes a structured access log to standard error, and on SIGINT or SIGTERM
stops accepting, finishes the requests in flight and exits 0.

The token (--token, or $PERSIST_TOKEN when the flag is not given) guards
writes, or every request with --token-for all. Clients send it as a bearer
token; Python clients, which cannot set a header, as the user name of the
URL: mongodb://TOKEN@ADDR/persist.

For operators it serves GET /healthz (200 ok, or 503 and the reason, with
no token), Prometheus metrics at GET /metrics (--metrics) and a read-only
dashboard at http://ADDR/ui/ (--ui); both obey the token rules of reads.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("token") {
				f.token = os.Getenv(reststore.TokenEnv)
			}
			return runServe(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:5000", "`address` to listen on (port 0 picks a free one)")
	fl.StringVar(&f.store, "store", persist.DefaultCache, "`URL` of the store to serve (file://DIR, mem://NAME, mongodb://, redis://, s3://, http://)")
	fl.StringVar(&f.token, "token", "", "`token` that requests must present (default $"+reststore.TokenEnv+")")
	fl.StringVar(&f.tokenFor, "token-for", "writes", "which requests need the token: writes or all")
	fl.Var(&f.maxBody, "max-body", "largest request body accepted, e.g. 32MiB")
	fl.DurationVar(&f.readTimeout, "read-timeout", time.Minute, "longest time to read a request, body included")
	fl.DurationVar(&f.writeTimeout, "write-timeout", time.Minute, "longest time to handle a request and write its answer")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "longest wait for requests in flight on shutdown")
	fl.IntVar(&f.pageSize, "page-size", wire.DefaultPageSize, "items per list page when the client does not say (pypersist's clients never do)")
	fl.IntVar(&f.pageMax, "page-max", wire.DefaultPageMax, "most items per list page a client may ask for")
	fl.StringVar(&f.duplicates, "duplicates", "replace", "what a POST of a stored hash does: replace, or refuse (422, as Eve with a unique hash)")
	fl.BoolVar(&f.accessLog, "access-log", true, "log every request to standard error")
	fl.BoolVar(&f.metrics, "metrics", true, "serve Prometheus metrics at /metrics")
	fl.BoolVar(&f.ui, "ui", true, "serve the read-only dashboard at /ui/")
	return cmd
}

// runServe serves until the command's context ends or a signal arrives.
func runServe(cmd *cobra.Command, f serveFlags) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))

	opts := server.Options{Token: f.token, MaxBody: int64(f.maxBody), PageSize: f.pageSize, PageMax: f.pageMax}
	switch f.tokenFor {
	case "writes":
		opts.TokenFor = server.TokenForWrites
	case "all":
		opts.TokenFor = server.TokenForAll
	default:
		return usageErrorf("--token-for %q: want writes or all", f.tokenFor)
	}
	switch f.duplicates {
	case "replace":
	case "refuse":
		opts.RefuseDuplicates = true
	default:
		return usageErrorf("--duplicates %q: want replace or refuse", f.duplicates)
	}
	if f.maxBody <= 0 || f.pageSize <= 0 || f.pageMax <= 0 {
		return usageErrorf("--max-body, --page-size and --page-max must be positive")
	}
	if f.accessLog {
		opts.Logger = logger
	}

	store, err := stores.Open(ctx, f.store)
	if err != nil {
		return err
	}
	defer store.Close()
	opts.UI = f.ui
	if f.metrics {
		m := metrics.New(store, 0)
		opts.Observer, opts.Metrics = m, m.Handler()
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		if badAddr(err) {
			return usageErrorf("--addr %q: %w", f.addr, err)
		}
		return err
	}
	srv := &http.Server{
		Handler:           server.New(store, opts),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       f.readTimeout,
		WriteTimeout:      f.writeTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String() + wire.BasePath
	logger.Info("serving", "store", stores.Redact(f.store), "url", url, "token", f.token != "", "token_for", f.tokenFor)
	fmt.Fprintln(cmd.OutOrStdout(), "listening on", url)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal ends the process at once
	logger.Info("shutting down", "grace", f.shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// badAddr reports whether a listen error comes from the address given,
// rather than from the system (a port in use, say).
func badAddr(err error) bool {
	var addrErr *net.AddrError
	var dnsErr *net.DNSError
	return errors.As(err, &addrErr) || errors.As(err, &dnsErr) && !dnsErr.IsTimeout && !dnsErr.IsTemporary
}

// byteSize is a flag value in bytes written as 32MiB, 1GB or 1048576.
type byteSize int64

func (b *byteSize) String() string { return humanize.IBytes(uint64(*b)) }

func (b *byteSize) Set(s string) error {
	n, err := humanize.ParseBytes(s)
	if err != nil {
		return errors.New("not a size: want a number of bytes with an optional unit, such as 500MiB, 2GB or 1048576")
	}
	if n > 1<<62 {
		return fmt.Errorf("%s is too large", s)
	}
	*b = byteSize(n)
	return nil
}

func (b *byteSize) Type() string { return "size" }
