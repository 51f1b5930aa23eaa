package totp_test

import (
	"net/url"
	"testing"
	"time"

	"authd/adapters/totp"
)

// rfcSecret is the SHA-1 seed of RFC 6238, appendix B.
var rfcSecret = []byte("12345678901234567890")

func TestCodeMatchesRFC6238Vectors(t *testing.T) {
	t.Parallel()
	// The RFC lists eight digits; six-digit codes are their last six.
	for unix, want := range map[int64]string{59: "287082", 1111111109: "081804", 1234567890: "005924", 2000000000: "279037"} {
		if got := totp.Code(rfcSecret, time.Unix(unix, 0)); got != want {
			t.Errorf("Code at %d = %s, want %s", unix, got, want)
		}
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	g := totp.New("authd.example")
	now := time.Unix(1234567890, 0)
	cur := totp.Step(now)
	t.Run("OneStepEitherSideIsAcceptedWithItsStep", func(t *testing.T) {
		t.Parallel()
		for _, d := range []int64{-1, 0, 1} {
			code := totp.Code(rfcSecret, now.Add(time.Duration(d)*totp.Period))
			step, ok := g.Match(rfcSecret, code, now)
			if !ok || step != cur+d {
				t.Errorf("code of step %+d: Match = %d, %v; want %d, true", d, step, ok, cur+d)
			}
		}
	})
	t.Run("TwoStepsAwayIsRefused", func(t *testing.T) {
		t.Parallel()
		for _, d := range []int64{-2, 2} {
			code := totp.Code(rfcSecret, now.Add(time.Duration(d)*totp.Period))
			if _, ok := g.Match(rfcSecret, code, now); ok {
				t.Errorf("code of step %+d accepted", d)
			}
		}
	})
	t.Run("MalformedOrWrongCodeIsRefused", func(t *testing.T) {
		t.Parallel()
		good := totp.Code(rfcSecret, now)
		for _, code := range []string{"", "12345", "1234567", good + "0", "abcdef", "000000"} {
			if code == good {
				continue
			}
			if _, ok := g.Match(rfcSecret, code, now); ok {
				t.Errorf("Match(%q) accepted", code)
			}
		}
		if _, ok := g.Match([]byte("another secret of 20b"), good, now); ok {
			t.Error("another secret's code accepted")
		}
	})
}

func TestKeyDescribesTheSecretForApps(t *testing.T) {
	t.Parallel()
	g := totp.New("authd.example")
	encoded, raw, err := g.Key(rfcSecret, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if encoded != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
		t.Fatalf("secret = %q, want the unpadded base32 of the seed", encoded)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/authd.example:ada@example.com" ||
		q.Get("secret") != encoded || q.Get("issuer") != "authd.example" || q.Get("digits") != "6" ||
		q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Fatalf("otpauth URL = %s", raw)
	}
}
