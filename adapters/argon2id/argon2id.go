// Package argon2id hashes passwords with argon2id into PHC strings
// ($argon2id$v=19$m=19456,t=2,p=1$salt$hash), the OWASP-recommended minimum.
package argon2id

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"authd/adapters/argon2id/internal/third_party/argon2"
)

// Params are the cost parameters of new hashes.
type Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// Default is m=19 MiB, t=2, p=1.
var Default = Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// Hasher implements ports.PasswordHasher. Its concurrency is bounded: each
// hash holds MemoryKiB and a core for tens of milliseconds. With nothing else
// to do it runs one hash per core, so logins go as fast as the machine
// hashes; while other work is waiting (see ShareCPUWith) it leaves that work a
// core, so cheap requests are never starved by a burst of logins.
type Hasher struct {
	p       Params
	max     int
	mu      sync.Mutex
	cond    *sync.Cond
	running int
	busy    func() bool
}

// New returns a Hasher with params, running at most concurrency hashes at once.
func New(p Params, concurrency int) *Hasher {
	h := &Hasher{p: p, max: max(1, concurrency)}
	h.cond = sync.NewCond(&h.mu)
	return h
}

// ShareCPUWith makes the hasher run one hash fewer than its maximum (never
// fewer than one) whenever busy reports other work in flight. Call it before
// the first hash.
func (h *Hasher) ShareCPUWith(busy func() bool) { h.busy = busy }

func (h *Hasher) limit() int {
	if h.busy != nil && h.busy() {
		return max(1, h.max-1)
	}
	return h.max
}

func (h *Hasher) acquire() {
	h.mu.Lock()
	for h.running >= h.limit() {
		h.cond.Wait()
	}
	h.running++
	h.mu.Unlock()
}

func (h *Hasher) release() {
	h.mu.Lock()
	h.running--
	h.mu.Unlock()
	h.cond.Signal()
}

// Hash returns the PHC string of password under a fresh random salt.
func (h *Hasher) Hash(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("argon2id: salt: %w", err)
	}
	key := h.derive(password, salt, h.p, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.p.MemoryKiB, h.p.Time, h.p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrMalformed means a stored hash is not an argon2id PHC string.
var ErrMalformed = errors.New("argon2id: malformed hash")

// Verify compares password to hash in constant time and reports whether the
// hash should be replaced because its parameters are not the current ones.
func (h *Hasher) Verify(password, hash string) (ok, rehash bool, err error) {
	p, salt, key, err := decode(hash)
	if err != nil {
		return false, false, err
	}
	got := h.derive(password, salt, p, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	return true, p != h.p || len(salt) != saltLen || len(key) != keyLen, nil
}

func (h *Hasher) derive(password string, salt []byte, p Params, n uint32) []byte {
	h.acquire()
	defer h.release()
	return Key(password, salt, p, n)
}

// Key is the n-byte argon2id key of password and salt, with no bound on
// concurrency: what a Hasher runs for each hash, and the baseline authbench
// measures logins against. The implementation is x/crypto's, reusing its
// memory between hashes (see internal/third_party/argon2).
func Key(password string, salt []byte, p Params, n uint32) []byte {
	return argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, n)
}

func decode(hash string) (Params, []byte, []byte, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrMalformed
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return Params{}, nil, nil, ErrMalformed
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil ||
		p.MemoryKiB == 0 || p.Time == 0 || p.Threads == 0 {
		return Params{}, nil, nil, ErrMalformed
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) == 0 || len(key) < 16 {
		return Params{}, nil, nil, ErrMalformed
	}
	return p, salt, key, nil
}
