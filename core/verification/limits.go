package verification

import "time"

// limit allows n requests per window.
type limit struct {
	n      int
	window time.Duration
}

// The limits of email-sending requests; see doc.go.
var (
	// resendLimits bound verification resends and email changes per user.
	resendLimits = []limit{{1, time.Minute}, {5, 24 * time.Hour}}
	// resetAccountLimit bounds reset emails per account, quietly.
	resetAccountLimit = limit{3, time.Hour}
	// resetIPLimit bounds reset requests per client IP, loudly, unless
	// Config says otherwise. It only keeps one client from mailing everyone;
	// the brute-force defence is elsewhere.
	resetIPLimit = limit{20, time.Hour}
)

// longestWindow is how far back the request times must be read.
const longestWindow = 24 * time.Hour

// wait returns how long until one more request fits every limit, given the
// earlier requests' times, newest first; zero when it fits now.
func wait(times []time.Time, now time.Time, limits ...limit) time.Duration {
	var d time.Duration
	for _, l := range limits {
		in := 0
		for _, t := range times {
			if now.Sub(t) < l.window {
				in++
			}
		}
		if in >= l.n {
			// Once the n-th newest leaves the window, n-1 remain in it.
			d = max(d, times[l.n-1].Add(l.window).Sub(now))
		}
	}
	return d
}
