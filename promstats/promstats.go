// Package promstats exports the statistics of memoised functions
// (persist.Memo.Stats) as Prometheus metrics. It is a module of its own, so
// that a program that does not use Prometheus does not link its client.
//
//	reg.MustRegister(promstats.NewCollector(memo))
//
// Every metric is a counter labelled with the function's FuncName:
// persist_hits_total, persist_stale_hits_total, persist_misses_total,
// persist_computes_total, persist_waits_total, persist_refreshes_total,
// persist_refresh_errors_total, persist_errors_total (also labelled with
// the kind: damaged, collision, store, not_stored), persist_read_bytes_total,
// persist_written_bytes_total, persist_compute_seconds_total and
// persist_saved_seconds_total.
package promstats

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	persist "github.com/gopersist/persist"
)

// Collector is a prometheus.Collector of the Stats of its Memos. It reads
// them when scraped: it adds nothing to a call.
type Collector struct {
	mu    sync.Mutex // guards memos
	memos []*persist.Memo
}

// NewCollector returns a Collector of memos; Add adds more.
func NewCollector(memos ...*persist.Memo) *Collector {
	return &Collector{memos: memos}
}

// Add adds memos to the ones c reports.
func (c *Collector) Add(memos ...*persist.Memo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.memos = append(c.memos, memos...)
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("persist_"+name, help, append([]string{"func"}, labels...), nil)
}

var (
	hitsDesc          = desc("hits_total", "Calls answered from the store.")
	staleDesc         = desc("stale_hits_total", "Hits on entries past MaxAge within StaleWhileRefresh.")
	missesDesc        = desc("misses_total", "Calls the store could not answer.")
	computesDesc      = desc("computes_total", "Runs of the function.")
	waitsDesc         = desc("waits_total", "Calls that waited for another goroutine's run of the same key.")
	refreshesDesc     = desc("refreshes_total", "Refreshes begun.")
	refreshErrorsDesc = desc("refresh_errors_total", "Refreshes that failed.")
	errorsDesc        = desc("errors_total", "Entries that could not answer, or results that could not be stored, by kind.", "kind")
	readDesc          = desc("read_bytes_total", "Bytes of stored results read by hits.")
	writtenDesc       = desc("written_bytes_total", "Bytes of results stored.")
	computeDesc       = desc("compute_seconds_total", "Time spent running the function.")
	savedDesc         = desc("saved_seconds_total", "Compute time of the entries that hits returned.")
)

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{hitsDesc, staleDesc, missesDesc, computesDesc, waitsDesc, refreshesDesc,
		refreshErrorsDesc, errorsDesc, readDesc, writtenDesc, computeDesc, savedDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	memos := append([]*persist.Memo(nil), c.memos...)
	c.mu.Unlock()
	for _, m := range memos {
		s, fn := m.Stats(), m.FuncName()
		counter := func(d *prometheus.Desc, v float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, append([]string{fn}, labels...)...)
		}
		counter(hitsDesc, float64(s.Hits))
		counter(staleDesc, float64(s.Stale))
		counter(missesDesc, float64(s.Misses))
		counter(computesDesc, float64(s.Computes))
		counter(waitsDesc, float64(s.Waits))
		counter(refreshesDesc, float64(s.Refreshes))
		counter(refreshErrorsDesc, float64(s.RefreshErrors))
		counter(errorsDesc, float64(s.Damaged), "damaged")
		counter(errorsDesc, float64(s.Collisions), "collision")
		counter(errorsDesc, float64(s.StoreErrors), "store")
		counter(errorsDesc, float64(s.NotStored), "not_stored")
		counter(readDesc, float64(s.BytesRead))
		counter(writtenDesc, float64(s.BytesWritten))
		counter(computeDesc, s.ComputeTime.Seconds())
		counter(savedDesc, s.TimeSaved.Seconds())
	}
}
