package argon2id_test

import (
	"errors"
	"strings"
	"testing"

	"authd/adapters/argon2id"
)

// cheap keeps the tests fast; the parameters do not change the logic.
var cheap = argon2id.Params{MemoryKiB: 64, Time: 1, Threads: 1}

func TestHashVerify(t *testing.T) {
	t.Parallel()
	h := argon2id.New(cheap, 2)
	hash, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string", hash)
	}
	t.Run("RightPasswordMatches", func(t *testing.T) {
		t.Parallel()
		ok, rehash, err := h.Verify("correct horse battery staple", hash)
		if err != nil || !ok || rehash {
			t.Fatalf("Verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
		}
	})
	t.Run("WrongPasswordDoesNot", func(t *testing.T) {
		t.Parallel()
		ok, _, err := h.Verify("correct horse battery stapler", hash)
		if err != nil || ok {
			t.Fatalf("Verify = %v, %v; want false, nil", ok, err)
		}
	})
	t.Run("SaltsDiffer", func(t *testing.T) {
		t.Parallel()
		other, _ := h.Hash("correct horse battery staple")
		if other == hash {
			t.Fatal("two hashes of one password are equal")
		}
	})
	t.Run("OldParametersAskForRehash", func(t *testing.T) {
		t.Parallel()
		stronger := argon2id.New(argon2id.Params{MemoryKiB: 128, Time: 1, Threads: 1}, 1)
		ok, rehash, err := stronger.Verify("correct horse battery staple", hash)
		if err != nil || !ok || !rehash {
			t.Fatalf("Verify = %v, %v, %v; want true, true, nil", ok, rehash, err)
		}
	})
	t.Run("MalformedHashIsAnError", func(t *testing.T) {
		t.Parallel()
		for _, bad := range []string{"", "$2a$10$bcrypt", "$argon2id$v=19$m=x,t=1,p=1$c2FsdA$a2V5", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5"} {
			if _, _, err := h.Verify("x", bad); !errors.Is(err, argon2id.ErrMalformed) {
				t.Errorf("Verify(%q) error = %v, want ErrMalformed", bad, err)
			}
		}
	})
}

func BenchmarkHashDefault(b *testing.B) {
	h := argon2id.New(argon2id.Default, 1)
	for b.Loop() {
		if _, err := h.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
