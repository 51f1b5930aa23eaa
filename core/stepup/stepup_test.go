package stepup_test

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/argon2id"
	"authd/adapters/memory"
	"authd/adapters/totp"
	"authd/core/auth"
	"authd/core/mfa"
	"authd/core/session"
	"authd/core/stepup"
)

const (
	password = "correct horse battery staple"
	maxAge   = 10 * time.Minute
)

type testBundle struct {
	db       *memory.DB
	clock    *memory.Clock
	sessions *session.Service
	mfa      *mfa.Service
	svc      *stepup.Service
	user     auth.User
}

// sso is a ports.SSOIdentities fake: the users in it sign in through SAML.
type sso map[uuid.UUID]bool

func (s sso) HasSAMLIdentity(_ context.Context, userID uuid.UUID) (bool, error) {
	return s[userID], nil
}

func setup(t *testing.T, opts ...func(*stepup.Deps)) testBundle {
	t.Helper()
	db := memory.New()
	clock := memory.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	hasher := argon2id.New(argon2id.Params{MemoryKiB: 64, Time: 1, Threads: 1}, 2)
	sessions := session.New(session.Deps{Sessions: db, Users: db, Tx: db, Jobs: db, UA: memory.UAParser{},
		Clock: clock, Random: rand.Reader}, session.Config{Lifetime: 30 * 24 * time.Hour, IdleTimeout: 7 * 24 * time.Hour})
	m := mfa.New(mfa.Deps{Store: db, Users: db, Sessions: sessions, TOTP: totp.New("authd.test"), Tx: db,
		Clock: clock, Random: rand.Reader}, mfa.Config{EncryptionKey: make([]byte, 32)})
	d := stepup.Deps{Hasher: hasher, Codes: m, Elevator: sessions, Attempts: db, Tx: db, Clock: clock}
	for _, o := range opts {
		o(&d)
	}
	hash, err := hasher.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	u := auth.User{ID: uuid.New(), Email: "ada@example.com", EmailVerified: true, PasswordHash: hash,
		CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	if err := db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return testBundle{db: db, clock: clock, sessions: sessions, mfa: m, user: u,
		svc: stepup.New(d, stepup.Config{MaxAge: maxAge})}
}

// login starts a session as a password login would and returns its token.
func (b testBundle) login(t *testing.T) string {
	t.Helper()
	issued, err := b.sessions.Start(context.Background(), b.user.ID, auth.Client{UserAgent: "test"}, auth.MethodPassword)
	if err != nil {
		t.Fatal(err)
	}
	return issued.Token
}

// current is the session a request with token would act as.
func (b testBundle) current(t *testing.T, token string) (auth.Session, auth.User) {
	t.Helper()
	s, u, err := b.sessions.Authenticate(context.Background(), token)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return s, u
}

func (b testBundle) require(t *testing.T, token string) error {
	t.Helper()
	s, u := b.current(t, token)
	return b.svc.Require(context.Background(), s, u)
}

func (b testBundle) stepUp(t *testing.T, token string, p stepup.Proof) (stepup.Elevation, error) {
	t.Helper()
	s, u := b.current(t, token)
	return b.svc.StepUp(context.Background(), s, u, p)
}

// enableTOTP turns TOTP on with the current step and returns the secret
// and the recovery codes.
func (b testBundle) enableTOTP(t *testing.T) ([]byte, []string) {
	t.Helper()
	ctx := context.Background()
	e, err := b.mfa.Enroll(ctx, b.user)
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret)
	codes, err := b.mfa.Confirm(ctx, b.user.ID, totp.Code(secret, b.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return secret, codes
}

func wantStepUpRequired(t *testing.T, err error, methods ...string) {
	t.Helper()
	var e *auth.Error
	if !errors.As(err, &e) || e.Code != "step_up_required" {
		t.Fatalf("error = %v, want step_up_required", err)
	}
	if got := e.Extra["methods"].([]string); !slices.Equal(got, methods) {
		t.Fatalf("methods = %v, want %v", got, methods)
	}
	if e.Extra["max_age_seconds"] != 600 {
		t.Fatalf("max_age_seconds = %v, want 600", e.Extra["max_age_seconds"])
	}
}

func TestWindow(t *testing.T) {
	t.Parallel()
	t.Run("ALoginIsRecentUntilMaxAgeAndNotAtIt", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		token := b.login(t)
		b.clock.Advance(maxAge - time.Second)
		if err := b.require(t, token); err != nil {
			t.Fatalf("a second inside the window: %v", err)
		}
		b.clock.Advance(time.Second)
		wantStepUpRequired(t, b.require(t, token), stepup.MethodPassword)
	})
	t.Run("AStepUpOpensAFreshWindowWithTheSameEdges", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		token := b.login(t)
		b.clock.Advance(time.Hour)
		el, err := b.stepUp(t, token, stepup.Proof{Password: password})
		if err != nil {
			t.Fatal(err)
		}
		if want := b.clock.Now().Add(maxAge); !el.Until.Equal(want) {
			t.Fatalf("elevated until %v, want %v", el.Until, want)
		}
		b.clock.Advance(maxAge - time.Second)
		if err := b.require(t, el.Session.Token); err != nil {
			t.Fatalf("a second before elevated_until: %v", err)
		}
		b.clock.Advance(time.Second)
		wantStepUpRequired(t, b.require(t, el.Session.Token), stepup.MethodPassword)
	})
}

func TestElevation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("BelongsToTheOneSessionAndRotatesItsToken", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		laptop, phone := b.login(t), b.login(t)
		b.clock.Advance(time.Hour)
		laptopSession, _ := b.current(t, laptop)
		el, err := b.stepUp(t, laptop, stepup.Proof{Password: password})
		if err != nil {
			t.Fatal(err)
		}
		if el.Session.Session.ID != laptopSession.ID || el.Session.Token == laptop {
			t.Fatalf("elevation = %+v; want the laptop's session with a new token", el.Session.Session)
		}
		if err := b.require(t, el.Session.Token); err != nil {
			t.Fatalf("the elevated session: %v", err)
		}
		wantStepUpRequired(t, b.require(t, phone), stepup.MethodPassword)
		if _, _, err := b.sessions.Authenticate(ctx, laptop); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("the token from before the step-up: %v, want unauthenticated", err)
		}
	})
	t.Run("TOTPAddsOTPToTheSessionAndAReplayIsRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		secret, _ := b.enableTOTP(t)
		laptop, phone := b.login(t), b.login(t)
		b.clock.Advance(time.Hour)
		wantStepUpRequired(t, b.require(t, laptop), stepup.MethodPassword, stepup.MethodTOTP)
		code := totp.Code(secret, b.clock.Now())
		el, err := b.stepUp(t, laptop, stepup.Proof{TOTPCode: code})
		if err != nil {
			t.Fatal(err)
		}
		s := el.Session.Session
		if !slices.Equal(s.AMR, []string{auth.MethodPassword, auth.MethodOTP}) || s.AAL() != "aal2" {
			t.Fatalf("amr %v, aal %s; want [pwd otp], aal2", s.AMR, s.AAL())
		}
		_, err = b.stepUp(t, phone, stepup.Proof{TOTPCode: code})
		if !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("the same code on another session: %v, want invalid_credentials", err)
		}
		wantStepUpRequired(t, b.require(t, phone), stepup.MethodPassword, stepup.MethodTOTP)
	})
	t.Run("ARecoveryCodeWorksOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, codes := b.enableTOTP(t)
		laptop, phone := b.login(t), b.login(t)
		b.clock.Advance(time.Hour)
		if _, err := b.stepUp(t, laptop, stepup.Proof{RecoveryCode: codes[3]}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.stepUp(t, phone, stepup.Proof{RecoveryCode: codes[3]}); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("a spent recovery code: %v, want invalid_credentials", err)
		}
	})
	t.Run("WrongPasswordElevatesNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		token := b.login(t)
		b.clock.Advance(time.Hour)
		if _, err := b.stepUp(t, token, stepup.Proof{Password: "not the password"}); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		wantStepUpRequired(t, b.require(t, token), stepup.MethodPassword) // and the token still works
	})
	t.Run("ExactlyOneProofIsTaken", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		token := b.login(t)
		for _, p := range []stepup.Proof{{}, {Password: password, TOTPCode: "123456"}} {
			if _, err := b.stepUp(t, token, p); !errors.Is(err, auth.ErrInvalidRequest) {
				t.Fatalf("proof %+v: %v, want invalid_request", p, err)
			}
		}
	})
}

func TestAttempts(t *testing.T) {
	t.Parallel()
	t.Run("FiveFailuresRefuseTheSessionUntilTheWindowCloses", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		laptop, phone := b.login(t), b.login(t)
		for i := range 5 {
			if _, err := b.stepUp(t, laptop, stepup.Proof{Password: "wrong password"}); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
			b.clock.Advance(time.Minute)
		}
		_, err := b.stepUp(t, laptop, stepup.Proof{Password: password})
		var e *auth.Error
		if !errors.As(err, &e) || e.Code != "rate_limited" || e.RetryAfter != 10*time.Minute {
			t.Fatalf("sixth attempt, right password: %v (retry after %v), want rate_limited after 10m", err, e.RetryAfter)
		}
		if _, err := b.stepUp(t, phone, stepup.Proof{Password: password}); err != nil {
			t.Fatalf("another session of the user: %v", err)
		}
		b.clock.Advance(10 * time.Minute)
		if _, err := b.stepUp(t, laptop, stepup.Proof{Password: password}); err != nil {
			t.Fatalf("once the window closed: %v", err)
		}
	})
	t.Run("WrongCodesCountToo", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.enableTOTP(t)
		token := b.login(t)
		for range 3 {
			b.stepUp(t, token, stepup.Proof{TOTPCode: "000000"})
		}
		for range 2 {
			b.stepUp(t, token, stepup.Proof{RecoveryCode: "aaaa-aaaa-aaaa"})
		}
		if _, err := b.stepUp(t, token, stepup.Proof{Password: password}); !errors.Is(err, auth.ErrRateLimited) {
			t.Fatalf("after five wrong codes: %v, want rate_limited", err)
		}
	})
	t.Run("ASuccessClearsTheCount", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		token := b.login(t)
		for range 4 {
			b.stepUp(t, token, stepup.Proof{Password: "wrong password"})
		}
		el, err := b.stepUp(t, token, stepup.Proof{Password: password})
		if err != nil {
			t.Fatal(err)
		}
		token = el.Session.Token
		for i := range 5 {
			if _, err := b.stepUp(t, token, stepup.Proof{Password: "wrong password"}); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("failure %d after a success: %v, want invalid_credentials", i+1, err)
			}
		}
	})
}

func TestMethods(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("NameWhatTheUserCanUse", func(t *testing.T) {
		t.Parallel()
		ids := sso{}
		b := setup(t, func(d *stepup.Deps) { d.SSO = ids })
		got, _ := b.svc.Methods(ctx, b.user)
		if !slices.Equal(got, []string{stepup.MethodPassword}) {
			t.Fatalf("password only: %v", got)
		}
		b.enableTOTP(t)
		ids[b.user.ID] = true
		got, _ = b.svc.Methods(ctx, b.user)
		if !slices.Equal(got, []string{stepup.MethodPassword, stepup.MethodTOTP, stepup.MethodSAML}) {
			t.Fatalf("all three: %v", got)
		}
		ssoOnly := b.user
		ssoOnly.PasswordHash = ""
		if err := b.mfa.Disable(ctx, b.user.ID); err != nil {
			t.Fatal(err)
		}
		got, _ = b.svc.Methods(ctx, ssoOnly)
		if !slices.Equal(got, []string{stepup.MethodSAML}) {
			t.Fatalf("SSO only: %v", got)
		}
	})
	t.Run("WithoutAnSSOPortSAMLIsNeverOffered", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user
		u.PasswordHash = ""
		got, err := b.svc.Methods(ctx, u)
		if err != nil || got == nil || len(got) != 0 {
			t.Fatalf("Methods = %#v, %v; want an empty list", got, err)
		}
		token := b.login(t)
		s, _ := b.current(t, token)
		if _, err := b.svc.StepUp(ctx, s, u, stepup.Proof{Password: password}); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("password step-up without a password: %v", err)
		}
	})
}
