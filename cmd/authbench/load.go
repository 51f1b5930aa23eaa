package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// result is one scenario's measurements.
type result struct {
	Requests int
	Errors   int
	Elapsed  time.Duration
	P50, P99 time.Duration
	Max      time.Duration
}

// Rate is completed requests per second, errors included.
func (r result) Rate() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

func (r result) String() string {
	return fmt.Sprintf("%8.0f req/s  p50 %7s  p99 %7s  max %7s  errors %d/%d",
		r.Rate(), round(r.P50), round(r.P99), round(r.Max), r.Errors, r.Requests)
}

func round(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	default:
		return d.Round(100 * time.Microsecond).String()
	}
}

// newClient keeps conns connections open to one host, as a load balancer or
// reverse proxy in front of authd would.
func newClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
}

// request builds the i-th request of worker w; ok judges its response.
type request func(w, i int) *http.Request

// drive runs conns closed-loop workers for d (bounded in time and so in
// count) and measures every request's latency.
func drive(ctx context.Context, conns int, d time.Duration, build request, ok func(*http.Response) bool) result {
	return load(ctx, conns, d, build, ok).result()
}

// samples are the latencies and errors of one or more loads, and the time
// they took.
type samples struct {
	lat     []time.Duration
	errors  int
	elapsed time.Duration
}

func (s *samples) add(o samples) {
	s.lat = append(s.lat, o.lat...)
	s.errors += o.errors
	s.elapsed += o.elapsed
}

func (s samples) result() result {
	all := slices.Clone(s.lat)
	slices.Sort(all)
	r := result{Requests: len(all), Errors: s.errors, Elapsed: s.elapsed}
	if len(all) > 0 {
		r.P50 = all[len(all)*50/100]
		r.P99 = all[min(len(all)-1, len(all)*99/100)]
		r.Max = all[len(all)-1]
	}
	return r
}

// load is drive's measurement. Workers start no request after d, and the
// requests in flight then finish and count, the time they take included:
// the rate is of whole requests, as rawHashes counts whole hashes.
func load(ctx context.Context, conns int, d time.Duration, build request, ok func(*http.Response) bool) samples {
	client := newClient(conns)
	defer client.CloseIdleConnections()
	lat := make([][]time.Duration, conns)
	errs := make([]int, conns)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && time.Now().Before(deadline); i++ {
				req := build(w, i).WithContext(ctx)
				t0 := time.Now()
				resp, err := client.Do(req)
				el := time.Since(t0)
				good := err == nil && ok(resp)
				if resp != nil {
					drain(resp)
				}
				lat[w] = append(lat[w], el)
				if !good {
					errs[w]++
				}
			}
		}()
	}
	wg.Wait()
	s := samples{lat: slices.Concat(lat...), elapsed: time.Since(start)}
	for _, e := range errs {
		s.errors += e
	}
	return s
}

func drain(resp *http.Response) {
	buf := make([]byte, 4096)
	for {
		if _, err := resp.Body.Read(buf); err != nil {
			break
		}
	}
	resp.Body.Close()
}
