package promstats_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	persist "github.com/gopersist/persist"
	"github.com/gopersist/persist/promstats"
)

func slowTriple(x int) int {
	time.Sleep(5 * time.Millisecond)
	return 3 * x
}

// TestCollector scrapes a registry after a miss and two hits.
func TestCollector(t *testing.T) {
	f, memo, err := persist.Wrap(slowTriple, persist.Options{Cache: fmt.Sprintf("mem://%s-%d", t.Name(), time.Now().UnixNano())})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	f(2)
	f(2)
	f(2)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(promstats.NewCollector(memo))
	want := `
# HELP persist_hits_total Calls answered from the store.
# TYPE persist_hits_total counter
persist_hits_total{func="slowTriple"} 2
# HELP persist_misses_total Calls the store could not answer.
# TYPE persist_misses_total counter
persist_misses_total{func="slowTriple"} 1
# HELP persist_computes_total Runs of the function.
# TYPE persist_computes_total counter
persist_computes_total{func="slowTriple"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "persist_hits_total", "persist_misses_total", "persist_computes_total"); err != nil {
		t.Error(err)
	}
	saved := testutil.ToFloat64(collectorOf(t, memo, "persist_saved_seconds_total"))
	if saved < 2*0.005 {
		t.Errorf("persist_saved_seconds_total = %v, want at least two hits of a 5 ms computation", saved)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 15 {
		t.Errorf("GatherAndCount = %d, %v; want the 15 series of one function", n, err)
	}
}

// collectorOf returns a collector of the one metric called name, for
// testutil.ToFloat64.
func collectorOf(t *testing.T, memo *persist.Memo, name string) prometheus.Collector {
	t.Helper()
	return filtered{promstats.NewCollector(memo), name}
}

type filtered struct {
	c    prometheus.Collector
	name string
}

func (f filtered) Describe(ch chan<- *prometheus.Desc) { f.c.Describe(ch) }
func (f filtered) Collect(ch chan<- prometheus.Metric) {
	all := make(chan prometheus.Metric)
	go func() { f.c.Collect(all); close(all) }()
	for m := range all {
		if strings.Contains(m.Desc().String(), `"`+f.name+`"`) {
			ch <- m
		}
	}
}
