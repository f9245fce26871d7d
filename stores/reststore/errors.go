package reststore

import (
	"errors"
	"net/http"

	"github.com/gopersist/persist/stores/driver"
)

// The driver's own errors; ErrorCode maps them, and the *HTTPError of an
// answer, to the codes that the portable store's errors.Is tests.
var (
	errNotFound    = errors.New("the server has no such item")
	errUnavailable = errors.New("the server is unavailable")
	errNoOwners    = errors.New("the server keeps no owner records (it is not a persist server)")
)

// ErrorCode implements [driver.Store]: a connection that failed, a 5xx or
// an unreadable answer is Unavailable; 404 NotFound; 413 TooLarge; a 400
// whose issues name the funcname or hash InvalidName.
func (s *restDriver) ErrorCode(err error) driver.Code {
	var he *HTTPError
	switch {
	case errors.Is(err, errNotFound):
		return driver.NotFound
	case errors.Is(err, errUnavailable):
		return driver.Unavailable
	case errors.Is(err, errNoOwners), errors.Is(err, errNoLeases):
		return driver.Unsupported
	case errors.Is(err, errClosed):
		return driver.Closed
	case errors.As(err, &he):
		switch {
		case he.StatusCode == http.StatusNotFound:
			return driver.NotFound
		case he.StatusCode == http.StatusRequestEntityTooLarge:
			return driver.TooLarge
		case he.StatusCode == http.StatusBadRequest && (he.issue("funcname") != "" || he.issue("hash") != ""):
			return driver.InvalidName
		case he.StatusCode >= 500:
			return driver.Unavailable
		}
	}
	return driver.Unknown
}
