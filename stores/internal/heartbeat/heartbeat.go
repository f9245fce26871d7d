// Package heartbeat keeps a computation lease alive for the stores whose
// leases expire on their own (MongoDB, Redis, S3): it renews one every
// third of its duration until its holder lets go, the store closes, or a
// renewal finds the lease lost.
package heartbeat

import (
	"sync"
	"time"
)

// Hold renews a lease of the given duration, calling renew every third of
// it in a goroutine of its own, until the returned unlock is called, done
// is closed (the store closes) or renew reports that the lease is lost.
// The caller has counted the goroutine in wg already, under whatever lock
// keeps that from racing the store's Close, which waits on wg. unlock ends
// the renewals and waits for them, so that none races release, which it
// calls once, however often unlock is called.
func Hold(wg *sync.WaitGroup, done <-chan struct{}, lease time.Duration, renew func() bool, release func()) (unlock func()) {
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer wg.Done()
		defer close(stopped)
		tick := time.NewTicker(lease / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-done:
				return
			case <-tick.C:
				if !renew() {
					return
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-stopped
			release()
		})
	}
}
