package s3store

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"

	"github.com/minio/minio-go/v7"

	"github.com/gopersist/persist/stores/driver"
)

// The driver's own errors, each with its code in ErrorCode.
var (
	// errNotFound: no object under the key.
	errNotFound = errors.New("no such record")
)

// S3 error codes the driver tells apart.
const (
	codeNoSuchKey          = "NoSuchKey"
	codePreconditionFailed = "PreconditionFailed"
	// codeConflict is the answer of a server that refused a conditional
	// write because another one on the same key was in flight; the loser
	// of that race is told to retry, as if its condition had failed.
	codeConflict = "ConditionalRequestConflict"
)

// s3Code returns the S3 error code and HTTP status of err, if it is an
// error response.
func s3Code(err error) (string, int) {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return resp.Code, resp.StatusCode
	}
	return "", 0
}

// isNotFound reports whether err says the object does not exist.
func isNotFound(err error) bool {
	code, status := s3Code(err)
	return code == codeNoSuchKey || code == "NotFound" || status == http.StatusNotFound && code != "NoSuchBucket"
}

// isPreconditionFailed reports whether a conditional write lost: the
// object exists (If-None-Match: *) or changed (If-Match).
func isPreconditionFailed(err error) bool {
	code, status := s3Code(err)
	return code == codePreconditionFailed || code == codeConflict ||
		status == http.StatusPreconditionFailed || status == http.StatusConflict
}

// ErrorCode implements [driver.Store].
func (d *s3Driver) ErrorCode(err error) driver.Code {
	switch {
	case errors.Is(err, errNotFound), errors.Is(err, errDamaged):
		return driver.NotFound
	case errors.Is(err, errClosing):
		return driver.Closed
	case errors.Is(err, errNoConditional):
		return driver.Unsupported
	}
	code, status := s3Code(err)
	switch code {
	case codeNoSuchKey:
		return driver.NotFound
	case "EntityTooLarge", "MaxMessageLengthExceeded":
		return driver.TooLarge
	case "KeyTooLongError":
		return driver.InvalidName
	case "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeTooSkewed",
		"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken":
		// Refused or overloaded: the store cannot be used now; another
		// time, or with other credentials, it may.
		return driver.Unavailable
	}
	switch {
	case status == http.StatusNotFound && code != "NoSuchBucket":
		return driver.NotFound
	case status >= 500, status == http.StatusTooManyRequests, status == http.StatusForbidden:
		return driver.Unavailable
	case status == http.StatusRequestEntityTooLarge:
		return driver.TooLarge
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return driver.Unavailable
	}
	return driver.Unknown
}
