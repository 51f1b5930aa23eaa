package smtptest

import (
	"errors"
	"net"
	"net/mail"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one email as a recipient's mailbox got it. A message sent to
// several recipients is kept once per recipient.
type Message struct {
	From    string      // the envelope sender (MAIL FROM)
	To      string      // the envelope recipient (RCPT TO)
	Subject string      // decoded
	Text    string      // the text/plain part, decoded, with "\n" line ends
	HTML    string      // the text/html part, decoded, with "\n" line ends
	Header  mail.Header // the top-level header, as received
	Raw     string      // the message exactly as received
}

// Server is an in-process SMTP server. It is safe for concurrent use.
type Server struct {
	url      string
	refusing atomic.Bool

	mu       sync.Mutex
	messages []Message
	claimed  []bool        // by WaitFor, index for index with messages
	arrived  chan struct{} // closed, then replaced, when a message arrives
}

// Start starts a server on a free port of 127.0.0.1 and closes it when t
// ends. It fails t when the server cannot listen.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s := &Server{url: "smtp://" + ln.Addr().String(), arrived: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{server: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 10 << 20
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		// Close misses a listener that Serve has not registered yet.
		_ = ln.Close()
		if err := <-done; err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("smtptest: serve: %v", err)
		}
	})
	return s
}

// URL is the smtp:// URL of the server, without credentials.
func (s *Server) URL() string {
	return s.url
}

// SetRefusing makes the server answer every new transaction with a temporary
// failure (451), as a server in an outage would, or stop doing so.
func (s *Server) SetRefusing(refusing bool) {
	s.refusing.Store(refusing)
}

// Count is how many messages the server has received.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.messages)
}

// Messages returns every message received so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

func (s *Server) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
	s.claimed = append(s.claimed, false)
	close(s.arrived)
	s.arrived = make(chan struct{})
}
