package redisstore

import (
	"testing"

	"github.com/gopersist/persist/stores/driver"
)

// TestErrorCodeOfReplies has the server itself send the error replies that
// ErrorCode classifies, through a script, and checks each one's code.
func TestErrorCodeOfReplies(t *testing.T) {
	st := openStore(t, withOptions(t, needServer(t), "timeout", "2s"))
	d := testDriver(t, st)
	replies := map[string]driver.Code{
		"LOADING Redis is loading the dataset in memory":                    driver.Unavailable,
		"CLUSTERDOWN The cluster is down":                                   driver.Unavailable,
		"TRYAGAIN Multiple keys request during rehashing":                   driver.Unavailable,
		"MASTERDOWN Link with MASTER is down":                               driver.Unavailable,
		"READONLY You can't write against a read only replica.":             driver.Unavailable,
		"OOM command not allowed when used memory > 'maxmemory'.":           driver.Unavailable,
		"BUSY Redis is busy running a script.":                              driver.Unavailable,
		"NOREPLICAS Not enough good replicas to write.":                     driver.Unavailable,
		"ERR max number of clients reached":                                 driver.Unavailable,
		"WRONGTYPE Operation against a key holding the wrong kind of value": driver.Unknown,
		"ERR something else":                                                driver.Unknown,
		"NOAUTH Authentication required.":                                   driver.Unknown,
	}
	for reply, want := range replies {
		err := d.c.Eval(t.Context(), "return redis.error_reply(ARGV[1])", nil, reply).Err()
		if err == nil {
			t.Errorf("the script replying %q returned no error", reply)
			continue
		}
		if got := d.ErrorCode(err); got != want {
			t.Errorf("ErrorCode of the reply %q (%T %v) = %v, want %v", reply, err, err, got, want)
		}
	}
	// A missing key: redis.Nil.
	err := d.c.Get(t.Context(), "persist:no such key "+newToken()).Err()
	if got := d.ErrorCode(err); got != driver.NotFound {
		t.Errorf("ErrorCode of redis.Nil = %v, want NotFound", got)
	}
	if got := d.ErrorCode(&TooLargeError{Size: 2, Max: 1}); got != driver.TooLarge {
		t.Errorf("ErrorCode of a TooLargeError = %v, want TooLarge", got)
	}
}
