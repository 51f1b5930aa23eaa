package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"authd/adapters/postgres/pgtest"
)

// instance is one authd process started in-process through run(), on its own
// database, listening on a free loopback port.
type instance struct {
	t    *testing.T
	base string
	db   pgtest.DB
	logs *logSink
}

// logSink collects the JSON log lines and tells when the server listens.
type logSink struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	listening chan string
	once      sync.Once
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.buf.Write(p)
	s.mu.Unlock()
	sc := bufio.NewScanner(bytes.NewReader(p))
	for sc.Scan() {
		var line struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
			s.once.Do(func() { s.listening <- line.Addr })
		}
	}
	return len(p), nil
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// startAuthd runs `authd serve` with env on top of test defaults and stops it
// (checking it shuts down cleanly) when the test ends.
func startAuthd(t *testing.T, env map[string]string, args ...string) *instance {
	t.Helper()
	db := pgtest.New(t)
	return startAuthdOn(t, db, env, args...)
}

func startAuthdOn(t *testing.T, db pgtest.DB, env map[string]string, args ...string) *instance {
	t.Helper()
	return startAuthdWith(t, context.Background(), db, env, args...)
}

// startAuthdWith starts authd under base, through which a test hands run
// what only tests may set (a clock: see clockFrom).
func startAuthdWith(t *testing.T, base context.Context, db pgtest.DB, env map[string]string, args ...string) *instance {
	t.Helper()
	vars := map[string]string{"DATABASE_URL": db.URL, "AUTHD_ADDR": "127.0.0.1:0", "AUTHD_LOG_LEVEL": "debug"}
	for k, v := range env {
		vars[k] = v
	}
	logs := &logSink{listening: make(chan string, 1)}
	ctx, cancel := context.WithCancel(base)
	done := make(chan error, 1)
	if len(args) == 0 {
		args = []string{"serve"}
	}
	go func() { done <- run(ctx, args, func(k string) string { return vars[k] }, logs, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("authd stopped with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("authd did not stop within 30s of SIGTERM")
		}
	})
	select {
	case addr := <-logs.listening:
		return &instance{t: t, base: "http://" + addr, db: db, logs: logs}
	case err := <-done:
		t.Fatalf("authd exited at start: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("authd did not listen within 30s\n%s", logs)
	}
	return nil
}

// browser is an HTTP client with its own cookie jar: one device.
type browser struct {
	t         *testing.T
	in        *instance
	c         *http.Client
	userAgent string
	headers   map[string]string
}

func (in *instance) browser(userAgent string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: in.t, in: in, userAgent: userAgent, headers: map[string]string{},
		c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is a finished exchange with its body read.
type response struct {
	*http.Response
	body []byte
}

// json decodes the body into a map for assertions.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

func (b *browser) do(method, path string, body any) response {
	b.t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			b.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.in.base+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", b.userAgent)
	for k, v := range b.headers {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	checkAgainstSpec(b.t, resp, raw)
	return response{Response: resp, body: raw}
}

// want fails the test unless the response has status (and, for errors, code).
func (r response) want(t *testing.T, status int, code ...string) response {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s = %d, want %d\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, r.body)
	}
	if len(code) > 0 {
		if got := r.json(t)["code"]; got != code[0] {
			t.Fatalf("%s %s code = %v, want %s\n%s", r.Request.Method, r.Request.URL.Path, got, code[0], r.body)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("error content type %q, want application/problem+json", ct)
		}
	}
	return r
}

// freeAddr reserves a loopback port and frees it for authd to take, for
// tests that must know the public URL before start (the SAML entity ID and
// ACS URL are built from it). Another process could take the port in
// between; the kernel is unlikely to hand a just-freed port out again at once.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
