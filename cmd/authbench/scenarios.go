package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"golang.org/x/crypto/argon2"

	"authd/adapters/argon2id"
	"authd/ports"
)

type bench struct {
	o                 options
	fx                *fixture
	api, second, bare *proc
	mail              *sink
	rep               *report
}

func (b *bench) checkRequest(p *proc) request {
	return func(w, i int) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, p.url("/v1/session/check"), nil)
		tok := b.fx.Tokens[(w*7919+i)%b.o.checkSessions]
		req.Header.Set("Authorization", "Bearer "+tok)
		return req
	}
}

func status(code int) func(*http.Response) bool {
	return func(r *http.Response) bool { return r.StatusCode == code }
}

// sessionCheck compares GET /v1/session/check with the bare handler, and
// reads authd's peak memory under that load.
func (b *bench) sessionCheck(ctx context.Context) error {
	fmt.Printf("Session check: %d connections, %d distinct sessions, %d stored\n", b.o.conns, b.o.checkSessions, b.o.sessions)
	warm := b.o.duration / 5
	drive(ctx, b.o.conns, warm, b.checkRequest(b.bare), status(200))
	base := drive(ctx, b.o.conns, b.o.duration, b.checkRequest(b.bare), status(200))
	drive(ctx, b.o.conns, warm, b.checkRequest(b.api), status(200))
	got := drive(ctx, b.o.conns, b.o.duration, b.checkRequest(b.api), status(200))
	fmt.Printf("  bare net/http   %s\n  authd           %s\n", base, got)
	ratio := got.Rate() / base.Rate()
	b.rep.target("rate >= 40% of bare", ratio >= 0.40, "%.0f%% of bare", ratio*100)
	b.rep.target("p99 <= 10ms", got.P99 <= 10*time.Millisecond, "p99 %s", round(got.P99))
	b.rep.target("zero errors", got.Errors == 0, "%d errors", got.Errors)
	rss, err := b.api.peakRSS()
	if err != nil {
		return err
	}
	b.rep.target("peak RSS <= 150 MB", rss <= 150<<20, "%.1f MB with %d sessions stored", float64(rss)/(1<<20), b.o.sessions)
	return nil
}

// rawHashes is hashes/s of key with authd's parameters on every core, no
// HTTP.
func rawHashes(d time.Duration, key func(password string, salt []byte) []byte) float64 {
	salt := randBytes(16)
	var n sync.WaitGroup
	var mu sync.Mutex
	total := 0
	deadline := time.Now().Add(d)
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		n.Add(1)
		go func() {
			defer n.Done()
			c := 0
			for time.Now().Before(deadline) {
				key(benchPassword, salt)
				c++
			}
			mu.Lock()
			total += c
			mu.Unlock()
		}()
	}
	n.Wait()
	return float64(total) / time.Since(start).Seconds()
}

// authdKey is the argon2id authd runs, the baseline of the login target.
func authdKey(password string, salt []byte) []byte {
	return argon2id.Key(password, salt, argon2id.Default, 32)
}

// xcryptoKey is golang.org/x/crypto/argon2, printed for reference: authd's
// copy of it reuses memory between hashes, so it is the faster of the two.
func xcryptoKey(password string, salt []byte) []byte {
	p := argon2id.Default
	return argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, 32)
}

func (b *bench) loginRequest(w, i int) *http.Request {
	body, _ := json.Marshal(map[string]any{"email": b.fx.Emails[(w*104729+i)%len(b.fx.Emails)],
		"password": benchPassword, "return_token": true})
	req, _ := http.NewRequest(http.MethodPost, b.api.url("/v1/login"), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
	return req
}

const loginConns = 8

// login compares POST /v1/login throughput with raw argon2id on the same
// cores, the same implementation authd runs.
func (b *bench) login(ctx context.Context) error {
	fmt.Printf("\nLogin: %d connections, argon2id m=%d KiB t=%d p=%d\n", loginConns,
		argon2id.Default.MemoryKiB, argon2id.Default.Time, argon2id.Default.Threads)
	// The baseline and the logins take turns, in rounds, so a machine that
	// speeds up or slows down meanwhile (a neighbour's load) moves both alike.
	const rounds = 5
	var hashes float64
	var logins samples
	for range rounds {
		hashes += rawHashes(b.o.duration/rounds, authdKey) / rounds
		logins.add(load(ctx, loginConns, b.o.duration/rounds, b.loginRequest, status(200)))
	}
	xcrypto := rawHashes(b.o.duration/rounds, xcryptoKey)
	got, raw := logins.result(), hashes
	fmt.Printf("  raw argon2id    %8.1f hashes/s on %d cores (x/crypto's, which allocates per hash: %.1f)\n  authd login     %s\n",
		raw, runtime.GOMAXPROCS(0), xcrypto, got)
	ratio := got.Rate() / raw
	b.rep.target("logins >= 85% of raw hashes", ratio >= 0.85, "%.0f%% of raw", ratio*100)
	b.rep.target("zero login errors", got.Errors == 0, "%d errors", got.Errors)
	return nil
}

// mixed runs session checks while logins saturate the CPU.
func (b *bench) mixed(ctx context.Context) error {
	fmt.Printf("\nSession checks while %d connections log in\n", loginConns)
	var wg sync.WaitGroup
	var logins result
	wg.Add(1)
	go func() {
		defer wg.Done()
		logins = drive(ctx, loginConns, b.o.duration, b.loginRequest, status(200))
	}()
	time.Sleep(b.o.duration / 10) // let the logins fill the cores first
	checks := drive(ctx, 16, b.o.duration*8/10, b.checkRequest(b.api), status(200))
	wg.Wait()
	fmt.Printf("  logins          %s\n  session checks  %s\n", logins, checks)
	b.rep.target("check p99 <= 50ms under logins", checks.P99 <= 50*time.Millisecond, "p99 %s", round(checks.P99))
	b.rep.target("zero check errors under logins", checks.Errors == 0, "%d errors", checks.Errors)
	return nil
}

// revocation revokes a session through one API process and times how long
// the other keeps accepting it.
func (b *bench) revocation(ctx context.Context) error {
	const trials = 20
	fmt.Printf("\nRevocation across two API processes: %d trials\n", trials)
	client := newClient(4)
	var worst time.Duration
	local := true
	for i := range trials {
		email := b.fx.Emails[i]
		actor, _, err := loginToken(client, b.api, email)
		if err != nil {
			return err
		}
		victim, victimID, err := loginToken(client, b.api, email)
		if err != nil {
			return err
		}
		if code := check(client, b.second, victim); code != 200 {
			return fmt.Errorf("second process refused a fresh session: %d", code)
		}
		req, _ := http.NewRequest(http.MethodDelete, b.api.url("/v1/sessions/"+victimID), nil)
		req.Header.Set("Authorization", "Bearer "+actor)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		drain(resp)
		if resp.StatusCode != http.StatusNoContent {
			return fmt.Errorf("revoke answered %d", resp.StatusCode)
		}
		revoked := time.Now()
		if check(client, b.api, victim) != 401 {
			local = false
		}
		for check(client, b.second, victim) != 401 {
			if time.Since(revoked) > 5*time.Second {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		worst = max(worst, time.Since(revoked))
	}
	b.rep.target("refused at once on the same process", local, "next request 401: %v", local)
	b.rep.target("refused within 1s on the other", worst <= time.Second, "worst %s", round(worst))
	return nil
}

func loginToken(c *http.Client, p *proc, email string) (token, id string, err error) {
	body, _ := json.Marshal(map[string]any{"email": email, "password": benchPassword, "return_token": true})
	resp, err := c.Post(p.url("/v1/login"), "application/json", bytes.NewReader(body))
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	var out struct {
		Session struct {
			ID    string `json:"id"`
			Token string `json:"session_token"`
		} `json:"session"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		return "", "", fmt.Errorf("login %s: %d %v", email, resp.StatusCode, err)
	}
	return out.Session.Token, out.Session.ID, nil
}

func check(c *http.Client, p *proc, token string) int {
	req, _ := http.NewRequest(http.MethodGet, p.url("/v1/session/check"), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	drain(resp)
	return resp.StatusCode
}

// worker inserts password-reset email jobs in one transaction and times
// River delivering them all to the local sink.
func (b *bench) worker(ctx context.Context) error {
	fmt.Printf("\nWorker: %d emails through River to a local SMTP sink\n", b.o.emails)
	client, err := river.NewClient(riverpgxv5.New(b.fx.Pool), &river.Config{})
	if err != nil {
		return err
	}
	params := make([]river.InsertManyParams, b.o.emails)
	for i := range params {
		params[i] = river.InsertManyParams{
			Args:       ports.SendEmailJob{UserID: b.fx.Users[i%len(b.fx.Users)], Email: ports.EmailPasswordReset},
			InsertOpts: &river.InsertOpts{Queue: "email"},
		}
	}
	// Let what earlier phases queued (new-device alerts) drain first.
	settle(ctx, b, "send_email")
	before := b.mail.received.Load()
	start := time.Now()
	var ids []int64
	err = pgx.BeginFunc(ctx, b.fx.Pool, func(tx pgx.Tx) error {
		res, err := client.InsertManyTx(ctx, tx, params)
		for _, r := range res {
			ids = append(ids, r.Job.ID)
		}
		return err
	})
	if err != nil {
		return err
	}
	var done int
	for time.Since(start) < 2*time.Minute {
		if err := b.fx.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE id = ANY($1) AND state = 'completed'`,
			ids).Scan(&done); err != nil {
			return err
		}
		if done == len(ids) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	took := time.Since(start)
	rate := float64(done) / took.Seconds()
	fmt.Printf("  %d jobs completed in %s; the sink received %d\n", done, round(took), b.mail.received.Load()-before)
	b.rep.target("emails >= 500/s", done == b.o.emails && rate >= 500, "%.0f emails/s", rate)
	return nil
}

// settle waits until no job of kind is waiting or running, so a phase
// measures only its own work.
func settle(ctx context.Context, b *bench, kind string) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var n int
		if err := b.fx.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1
			AND state IN ('available', 'running', 'retryable', 'scheduled')`, kind).Scan(&n); err != nil || n == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// quiesce lets the work a phase left behind finish before the next starts,
// so each phase measures itself alone: queued jobs, and the dead rows the
// last phase wrote, vacuumed now rather than by an autovacuum that would
// wake in the middle of the next phase (it naps a minute; the emails phase
// alone left the hard deletes a fifth slower). Bounded to a minute.
func (b *bench) quiesce(ctx context.Context) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var busy int
		err := b.fx.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE state IN ('available', 'running')`).Scan(&busy)
		if err != nil || busy == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, stmt := range []string{"VACUUM (ANALYZE)", "CHECKPOINT"} {
		if _, err := b.fx.Pool.Exec(ctx, stmt); err != nil {
			fmt.Printf("  (%s before the phase failed: %v)\n", stmt, err)
		}
	}
}
