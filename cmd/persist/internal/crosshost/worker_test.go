package crosshost

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	persist "github.com/gopersist/persist"

	_ "github.com/gopersist/persist/stores/mongostore"
	_ "github.com/gopersist/persist/stores/redisstore"
	_ "github.com/gopersist/persist/stores/reststore"
	_ "github.com/gopersist/persist/stores/s3store"
)

// The environment of a worker process: the test binary, run again inside a
// worker host's namespace.
const (
	roleEnv  = "PERSIST_CROSSHOST_ROLE"  // memo, slow, take or verify
	urlEnv   = "PERSIST_CROSSHOST_URL"   // the store
	hostEnv  = "PERSIST_CROSSHOST_HOST"  // the worker host's name
	logEnv   = "PERSIST_CROSSHOST_LOG"   // the file of computations
	startEnv = "PERSIST_CROSSHOST_START" // when to begin, in Unix nanoseconds
)

const (
	// keys is how many keys the memo workers memoise; slowKey is the one
	// whose computation a worker is killed in.
	keys    = 50
	slowKey = 1000
	// computeTime is what each computation takes, so that the workers'
	// calls of one key overlap.
	computeTime = 10 * time.Millisecond
	// funcName is the function's name in every store.
	funcName = "crosshost_square"
)

// report is what a worker prints as its last line.
type report struct {
	Host string `json:"host"`
	// First is the time to the first key's result from the common start:
	// all the memo workers miss that key together.
	First time.Duration `json:"first"`
	// Total is the time to every key's result from the common start.
	Total time.Duration `json:"total"`
	// Bad lists the keys whose result was wrong.
	Bad []int `json:"bad,omitempty"`
}

// worker runs one worker's role and returns its exit status. Every
// computation appends "key host unixnano" to the log file, in one write,
// which O_APPEND keeps whole among the workers' writes.
func worker(role string) int {
	host := os.Getenv(hostEnv)
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "worker", host, role+":", err)
		return 1
	}
	log, err := os.OpenFile(os.Getenv(logEnv), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fail(err)
	}
	defer log.Close()
	square := func(k int) int {
		fmt.Fprintf(log, "%d %s %d\n", k, host, time.Now().UnixNano())
		if role == "slow" {
			fmt.Println("computing")
			time.Sleep(time.Hour) // until the test kills the worker
		}
		time.Sleep(computeTime)
		return k * k
	}
	// persist's problems (a lock that cannot be taken, a result not
	// stored) go to standard error marked with from=persist, which the
	// test checks for; a store's own notes (a lease taken over) are not
	// problems.
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("from", "persist")
	fn, memo, err := persist.Wrap1(square, persist.Options{Cache: os.Getenv(urlEnv), FuncName: funcName, Logger: logger})
	if err != nil {
		return fail(err)
	}
	defer memo.Close()

	r := report{Host: host}
	var want []int
	switch role {
	case "memo", "verify":
		for k := range keys {
			want = append(want, k)
		}
		if role == "verify" {
			want = append(want, slowKey)
		}
	case "slow", "take":
		want = []int{slowKey}
	default:
		return fail(fmt.Errorf("unknown role %q", role))
	}
	start := time.Now()
	if ns, err := strconv.ParseInt(os.Getenv(startEnv), 10, 64); err == nil {
		start = time.Unix(0, ns)
		time.Sleep(time.Until(start))
	}
	for i, k := range want {
		if fn(k) != k*k {
			r.Bad = append(r.Bad, k)
		}
		if i == 0 {
			r.First = time.Since(start)
		}
	}
	r.Total = time.Since(start)
	if err := memo.Close(); err != nil {
		return fail(err)
	}
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
	return 0
}
