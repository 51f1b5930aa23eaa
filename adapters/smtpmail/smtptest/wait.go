package smtptest

import (
	"testing"
	"time"
)

// WaitFor returns the oldest message to the address to that no earlier
// WaitFor returned, waiting for it up to timeout, so that a test that expects
// two emails to the same address gets each once. On timeout it fails t, which
// is why it must be called from the test's goroutine.
func (s *Server) WaitFor(t testing.TB, to string, timeout time.Duration) Message {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		m, arrived, ok := s.claim(to)
		if ok {
			return m
		}
		select {
		case <-arrived:
		case <-timer.C:
			t.Fatalf("smtptest: no new email to %s within %v; received %d in all, to %v",
				to, timeout, s.Count(), s.recipients())
			return Message{}
		}
	}
}

// claim takes the oldest unclaimed message to to or, when there is none,
// returns the channel that the next arrival closes.
func (s *Server) claim(to string) (Message, <-chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, m := range s.messages {
		if m.To == to && !s.claimed[i] {
			s.claimed[i] = true
			return m, nil, true
		}
	}
	return Message{}, s.arrived, false
}

func (s *Server) recipients() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	to := make([]string, len(s.messages))
	for i, m := range s.messages {
		to[i] = m.To
	}
	return to
}
