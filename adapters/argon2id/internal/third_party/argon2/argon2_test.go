package argon2

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"

	xargon2 "golang.org/x/crypto/argon2"
)

// TestRFC9106Vector is RFC 9106 section 5.3 (password 32×0x01, salt 16×0x02,
// secret 8×0x03, associated data 12×0x04, t=3, m=32 KiB, p=4), on the SSE
// path and the generic one, twice each so the second runs in a reused matrix.
func TestRFC9106Vector(t *testing.T) {
	want := "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
	password, salt := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 16)
	secret, data := bytes.Repeat([]byte{3}, 8), bytes.Repeat([]byte{4}, 12)
	defer func(sse4 bool) { useSSE4 = sse4 }(useSSE4)
	for _, sse4 := range []bool{useSSE4, false} {
		useSSE4 = sse4
		for run := range 2 {
			got := hex.EncodeToString(deriveKey(password, salt, secret, data, 3, 32, 4, 32))
			if got != want {
				t.Errorf("SSE4 %v, run %d: tag %s, want %s", sse4, run, got, want)
			}
		}
	}
}

// TestSameAsXCrypto compares IDKey with x/crypto over varied parameters,
// each case hashed into matrices left dirty by the cases before it: a block
// read before it is written would change the key.
func TestSameAsXCrypto(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 40 {
		password := make([]byte, rng.IntN(64))
		salt := make([]byte, 8+rng.IntN(24))
		for _, b := range [][]byte{password, salt} {
			for j := range b {
				b[j] = byte(rng.Uint32())
			}
		}
		time, memory := 1+rng.Uint32N(3), 8+rng.Uint32N(2048)
		threads, keyLen := uint8(1+rng.IntN(4)), 16+rng.Uint32N(48)
		name := fmt.Sprintf("%d/t=%d,m=%d,p=%d,len=%d", i, time, memory, threads, keyLen)
		want := xargon2.IDKey(password, salt, time, memory, threads, keyLen)
		if got := IDKey(password, salt, time, memory, threads, keyLen); !bytes.Equal(got, want) {
			t.Errorf("%s: %x, x/crypto says %x", name, got, want)
		}
	}
}

// BenchmarkIDKey compares this package with x/crypto at authd's default
// parameters, one hash per core as a busy server runs them.
func BenchmarkIDKey(b *testing.B) {
	password, salt := []byte("correct horse battery staple"), []byte("0123456789abcdef")
	for _, impl := range []struct {
		name string
		key  func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte
	}{{"x-crypto", xargon2.IDKey}, {"pooled", IDKey}} {
		b.Run(impl.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					impl.key(password, salt, 2, 19*1024, 1, 32)
				}
			})
		})
	}
}
