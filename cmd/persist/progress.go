package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress tells people how far a long pass over a cache has got: a bar on
// a terminal, plain lines (one per function and one every few seconds)
// when standard error goes to a file or a pipe.
type progress interface {
	add(n int)
	funcDone(funcname string, checked int)
	finish()
}

// lineEvery is how often plain progress lines appear during one function.
const lineEvery = 5 * time.Second

func newProgress(w io.Writer, verb string, total int64) progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barProgress{bar: progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(verb),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("entries"),
			progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)}
	}
	return &lineProgress{w: w, verb: verb, total: total, last: time.Now()}
}

type barProgress struct{ bar *progressbar.ProgressBar }

func (p *barProgress) add(n int)            { _ = p.bar.Add(n) }
func (p *barProgress) funcDone(string, int) {}
func (p *barProgress) finish()              { _ = p.bar.Finish() }

type lineProgress struct {
	w           io.Writer
	verb        string
	total, done int64
	last        time.Time
}

func (p *lineProgress) add(n int) {
	p.done += int64(n)
	if time.Since(p.last) >= lineEvery {
		p.last = time.Now()
		fmt.Fprintf(p.w, "%s: %d of %d entries\n", p.verb, p.done, p.total)
	}
}

func (p *lineProgress) funcDone(funcname string, checked int) {
	p.last = time.Now()
	fmt.Fprintf(p.w, "%s: %s: %s\n", p.verb, funcname, count(checked, "entry", "entries"))
}

func (p *lineProgress) finish() {}
