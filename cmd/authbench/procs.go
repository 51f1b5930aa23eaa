package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// proc is a child process serving HTTP on addr.
type proc struct {
	cmd  *exec.Cmd
	addr string
	log  *os.File
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// buildAuthd compiles the service exactly as it ships.
func buildAuthd(dir string) (string, error) {
	bin := filepath.Join(dir, "authd")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/authd")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/authd (run authbench from the repository root): %w", err)
	}
	return bin, nil
}

// startProc runs bin args with env and waits until ready answers 200.
func startProc(ctx context.Context, dir, name, bin string, env []string, args ...string) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), append(env, "AUTHD_ADDR="+addr)...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, addr: addr, log: log}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + readyPath(name))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.stop()
	return nil, fmt.Errorf("%s did not become ready; see %s", name, log.Name())
}

func (p *proc) url(path string) string { return "http://" + p.addr + path }

func (p *proc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
	}
	p.log.Close()
}

// peakRSS is the process's high-water resident memory in bytes.
func (p *proc) peakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM for pid %d", p.cmd.Process.Pid)
}

// serveBare is the baseline: a net/http handler answering what a session
// check answers (200, the identity headers, no body) and doing nothing else,
// run as its own process like authd.
func serveBare(addr string) error {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-User-Id", "0b7c2b4e-5d0c-4f6e-9a51-0c8d6f1e2a3b")
		h.Set("X-User-Email", "bench-user-00001@example.com")
		h.Set("X-Email-Verified", "true")
		h.Set("X-Session-Id", "6f1e2a3b-0b7c-4f6e-9a51-0c8d5d0c2b4e")
		h.Set("X-Auth-Method", "pwd")
		h.Set("X-AAL", "aal1")
		h.Set("X-AMR", "pwd")
		w.WriteHeader(http.StatusOK)
	})
	return http.ListenAndServe(addr, h)
}

// readyPath is what tells that a child serves: authd's readiness, or any
// answer from the baseline server.
func readyPath(name string) string {
	if name == "bare" {
		return "/"
	}
	return "/readyz"
}
