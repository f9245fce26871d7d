package reststore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gopersist/persist/server/wire"
)

// maxErrorBody is how much of an error answer an HTTPError keeps.
const maxErrorBody = 4 << 10

// maxBackoff caps the wait between retries.
const maxBackoff = 2 * time.Second

// HTTPError is an answer the store did not expect, such as 401 for a
// missing token or 413 for a record larger than the server accepts. The
// store's *stores.OpError wraps it, with the code of its status (5xx is
// stores.ErrUnavailable, 413 stores.ErrTooLarge).
type HTTPError struct {
	StatusCode int
	// Body is the start of the answer's body (at most 4 KiB), usually
	// Eve's {"_status": "ERR", "_error": {...}} object.
	Body string
}

// Error implements the error interface.
func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("server answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	var eve wire.Error
	if json.Unmarshal([]byte(e.Body), &eve) == nil && eve.Error.Message != "" {
		msg += ": " + eve.Error.Message
		fields := make([]string, 0, len(eve.Issues))
		for f := range eve.Issues {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		for _, f := range fields {
			msg += fmt.Sprintf("; %s: %s", f, eve.Issues[f])
		}
		return msg
	}
	if body := strings.TrimSpace(e.Body); body != "" {
		msg += ": " + body
	}
	return msg
}

// issue returns what the server said about one field of a refused item.
func (e *HTTPError) issue(field string) string {
	var eve wire.Error
	if json.Unmarshal([]byte(e.Body), &eve) != nil {
		return ""
	}
	return eve.Issues[field]
}

// request is one HTTP exchange.
type request struct {
	method  string
	url     string
	body    []byte // sent as JSON when not nil
	ifMatch string
	accept  string // the Accept header; "" means JSON
	// read marks requests that change nothing on the server, which are
	// retried after connection errors and 502/503/504.
	read bool
}

// do sends req and returns the server's answer, whatever its status. It
// fails only when no answer arrived: with the context's error if that
// ended, else with an error wrapping errUnavailable.
func (s *restDriver) do(ctx context.Context, req request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		var resp *http.Response
		var err error
		if s.raw != nil && req.read && req.method == http.MethodGet {
			resp, err = s.rawGet(ctx, req)
		} else {
			resp, err = s.send(ctx, req, false)
		}
		retry := req.read && attempt < s.retries
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil && !retry:
			return nil, fmt.Errorf("%w: %w", errUnavailable, err)
		case err == nil && (!retry || !transient(resp.StatusCode)):
			return resp, nil
		case err == nil:
			discard(resp)
		}
		if err := s.wait(ctx, attempt); err != nil {
			return nil, err
		}
	}
}

// send makes one exchange through net/http: a read of the own client
// through its transport directly (sendDirect), unless viaClient, any
// other request through the client.
func (s *restDriver) send(ctx context.Context, req request, viaClient bool) (*http.Response, error) {
	direct := req.read && s.transport != nil && !viaClient
	rctx, cancel := ctx, context.CancelFunc(nil)
	if direct {
		// Ended by sendDirect, or by closing the answer's body.
		var end context.CancelFunc
		rctx, end = context.WithTimeout(ctx, s.client.Timeout)
		cancel = end
	}
	hr, err := http.NewRequestWithContext(rctx, req.method, req.url, nil)
	if err != nil {
		if cancel != nil {
			cancel()
		}
		return nil, err
	}
	if req.body != nil {
		hr.Body = io.NopCloser(bytes.NewReader(req.body))
		hr.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(req.body)), nil }
		hr.ContentLength = int64(len(req.body))
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header["Accept"] = s.acceptHeader(req)
	if req.ifMatch != "" {
		hr.Header.Set("If-Match", req.ifMatch)
	}
	if s.token != "" {
		hr.Header["Authorization"] = s.authHeader
	}
	if direct {
		return s.sendDirect(ctx, rctx, cancel, hr)
	}
	return s.client.Do(hr)
}

// acceptHeader is the Accept header of req.
func (s *restDriver) acceptHeader(req request) []string {
	if req.accept == acceptFrame {
		return acceptFrameHeader
	}
	return acceptJSONHeader
}

// rawGet sends a GET of the own client over its own connections
// (rawget.go), with the client's timeout, and its errors: a *url.Error,
// the timeout's wrapping errUnavailable. An answer that redirects is
// asked again through the client, which follows it.
func (s *restDriver) rawGet(ctx context.Context, req request) (*http.Response, error) {
	deadline := time.Now().Add(s.client.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	var auth []string
	if s.token != "" {
		auth = s.authHeader
	}
	resp, err := s.raw.get(ctx, req.url, s.acceptHeader(req), auth, deadline)
	if err != nil {
		if ctx.Err() == nil && !time.Now().Before(deadline) {
			err = s.timedOut()
		}
		return nil, &url.Error{Op: "Get", URL: req.url, Err: err}
	}
	if isRedirect(resp.StatusCode) {
		return s.send(ctx, req, true)
	}
	return resp, nil
}

// isRedirect reports the statuses http.Client follows.
func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// Accept headers, shared by every request: the transport only reads them.
var (
	acceptFrameHeader = []string{acceptFrame}
	acceptJSONHeader  = []string{"application/json"}
)

// sendDirect sends a read to the own client's transport itself, without
// http.Client, whose work for every request (a copy of the headers for
// redirects, a context and a timer for its timeout, and their goroutine
// handoffs) was a fifth of a hit's allocations. The timeout is rctx's,
// which cancel ends once the body is closed; an answer that redirects is
// asked again through the client, which follows it. Errors are the
// client's: a *url.Error, and the timeout's an errUnavailable, not the
// caller's context's.
func (s *restDriver) sendDirect(ctx, rctx context.Context, cancel context.CancelFunc, hr *http.Request) (*http.Response, error) {
	resp, err := s.transport.RoundTrip(hr)
	if err != nil {
		cancel()
		if ctx.Err() == nil && rctx.Err() != nil {
			err = s.timedOut()
		}
		return nil, &url.Error{Op: hr.Method[:1] + strings.ToLower(hr.Method[1:]), URL: hr.URL.Redacted(), Err: err}
	}
	if isRedirect(resp.StatusCode) {
		discard(resp)
		cancel()
		return s.client.Do(hr.WithContext(ctx))
	}
	resp.Body = &timedBody{ReadCloser: resp.Body, ctx: ctx, rctx: rctx, cancel: cancel, s: s}
	return resp, nil
}

// timedOut is the error of a request that outlived the own client's
// timeout.
func (s *restDriver) timedOut() error {
	return fmt.Errorf("%w: no answer within the store's timeout of %v", errUnavailable, s.client.Timeout)
}

// timedBody ends its request's timeout when it is closed, and reports a
// read that the timeout cut short as such.
type timedBody struct {
	io.ReadCloser
	ctx, rctx context.Context
	cancel    context.CancelFunc
	s         *restDriver
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.ctx.Err() == nil && b.rctx.Err() != nil {
		err = b.s.timedOut()
	}
	return n, err
}

func (b *timedBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// transient reports statuses that a proxy or an overloaded server answers
// for a while and that a later attempt may not get.
func transient(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// wait sleeps before retry number attempt+1: Backoff doubled per attempt,
// capped, with jitter so that clients that failed together do not retry
// together.
func (s *restDriver) wait(ctx context.Context, attempt int) error {
	d := min(s.backoff<<min(attempt, 16), maxBackoff)
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// discard reads what is left of a body, so its connection can be reused,
// and closes it.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// unexpected turns an answer the caller did not expect into an error and
// closes its body: 5xx wraps errUnavailable and an *HTTPError, any
// other status is the *HTTPError alone.
func unexpected(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	discard(resp)
	he := &HTTPError{StatusCode: resp.StatusCode, Body: string(body)}
	if resp.StatusCode >= 500 {
		return fmt.Errorf("%w: %w", errUnavailable, he)
	}
	return he
}

// maxPrealloc bounds the buffer allocated up front for an answer of known
// length, so that a lying Content-Length cannot make the client allocate
// gigabytes before reading a byte.
const maxPrealloc = 64 << 20

// decode reads a JSON answer into v and closes its body. The body is read
// whole into a buffer of its announced length and decoded from there, which
// costs one copy of a large result where a streaming decoder's growing
// buffer costs several.
func decode(resp *http.Response, v any) error {
	body, err := readBody(resp)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: reading the server's answer: %w", errUnavailable, err)
	}
	return nil
}

// readBody reads a whole answer and closes its body, into a buffer of its
// announced length when it has one. An answer shorter than its
// Content-Length is an error (io.ErrUnexpectedEOF), never a short body.
func readBody(resp *http.Response) ([]byte, error) {
	if wb, ok := resp.Body.(*wholeBody); ok {
		if b, whole := wb.bytes(); whole {
			return b, nil // read by rawGet already
		}
	}
	defer discard(resp)
	var body []byte
	var err error
	if n := resp.ContentLength; n > 0 && n <= maxPrealloc {
		body = make([]byte, n)
		_, err = io.ReadFull(resp.Body, body)
	} else {
		body, err = io.ReadAll(resp.Body)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading the server's answer: %w", errUnavailable, err)
	}
	return body, nil
}
