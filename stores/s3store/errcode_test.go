package s3store

import (
	"fmt"
	"net"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/gopersist/persist/stores/driver"
)

// TestErrorCode checks the codes of S3's answers, as the client reports
// them, and of a refused connection.
func TestErrorCode(t *testing.T) {
	d := &s3Driver{}
	resp := func(code string, status int) error {
		return fmt.Errorf("wrapped: %w", minio.ErrorResponse{Code: code, StatusCode: status})
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, refused := net.Dial("tcp", addr)
	tests := []struct {
		err  error
		want driver.Code
	}{
		{resp("NoSuchKey", 404), driver.NotFound},
		{resp("", 404), driver.NotFound},
		{resp("NoSuchBucket", 404), driver.Unknown},
		{resp("SlowDown", 503), driver.Unavailable},
		{resp("", 503), driver.Unavailable},
		{resp("InternalError", 500), driver.Unavailable},
		{resp("AccessDenied", 403), driver.Unavailable},
		{resp("SignatureDoesNotMatch", 403), driver.Unavailable},
		{resp("EntityTooLarge", 400), driver.TooLarge},
		{resp("KeyTooLongError", 400), driver.InvalidName},
		{resp("PreconditionFailed", 412), driver.Unknown},
		{errNotFound, driver.NotFound},
		{fmt.Errorf("%w: x", errDamaged), driver.NotFound},
		{errClosing, driver.Closed},
		{errNoConditional, driver.Unsupported},
		{refused, driver.Unavailable},
	}
	for _, tc := range tests {
		if got := d.ErrorCode(tc.err); got != tc.want {
			t.Errorf("ErrorCode(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if refused == nil {
		t.Error("a connection to a closed port succeeded")
	}
}
