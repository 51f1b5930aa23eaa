package accounts_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/argon2id"
	"authd/adapters/memory"
	"authd/core/accounts"
	"authd/core/auth"
	"authd/core/session"
	"authd/ports"
)

type testBundle struct {
	db       *memory.DB
	clock    *memory.Clock
	svc      *accounts.Service
	sessions *session.Service
}

// failingSessions makes the last step of a signup fail, to prove the rest
// rolls back.
type failingSessions struct{}

var errSessionStore = errors.New("session store down")

func (failingSessions) Start(context.Context, uuid.UUID, auth.Client, ...string) (auth.IssuedSession, error) {
	return auth.IssuedSession{}, errSessionStore
}

func setup(t *testing.T, opts ...func(*accounts.Deps)) testBundle {
	t.Helper()
	db := memory.New()
	clock := memory.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	sessions := session.New(session.Deps{Sessions: db, Users: db, Tx: db, Jobs: db, UA: memory.UAParser{}, Clock: clock, Random: rand.Reader},
		session.Config{Lifetime: time.Hour, IdleTimeout: time.Hour})
	d := accounts.Deps{Users: db, Tx: db, Jobs: db, Sessions: sessions, Clock: clock, Random: rand.Reader,
		Hasher: argon2id.New(argon2id.Params{MemoryKiB: 64, Time: 1, Threads: 1}, 2)}
	for _, o := range opts {
		o(&d)
	}
	return testBundle{db: db, clock: clock, svc: accounts.New(d), sessions: sessions}
}

var client = auth.Client{UserAgent: "test"}

const goodPassword = "correct horse battery staple"

func TestSignup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("CreatesUserSessionAndVerificationJob", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u, issued, err := b.svc.Signup(ctx, "  New.User@Example.com ", goodPassword, client)
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "New.User@Example.com" || u.EmailVerified || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
			t.Fatalf("user = %+v", u)
		}
		if _, got, err := b.sessions.Authenticate(ctx, issued.Token); err != nil || got.ID != u.ID {
			t.Fatalf("the issued session does not authenticate: %v", err)
		}
		jobs := b.db.Jobs()
		if len(jobs) != 1 || jobs[0].Args != (ports.SendEmailJob{UserID: u.ID, Email: ports.EmailVerify}) {
			t.Fatalf("jobs = %+v, want one verification email", jobs)
		}
	})
	t.Run("TakenEmailInAnyCaseIsRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if _, _, err := b.svc.Signup(ctx, "taken@example.com", goodPassword, client); err != nil {
			t.Fatal(err)
		}
		_, _, err := b.svc.Signup(ctx, "TAKEN@example.com", goodPassword, client)
		if !errors.Is(err, auth.ErrEmailTaken) {
			t.Fatalf("error = %v, want email_taken", err)
		}
		if n := len(b.db.Jobs()); n != 1 {
			t.Fatalf("%d jobs after a refused signup, want 1", n)
		}
	})
	t.Run("FailedTransactionLeavesNoUserAndNoJob", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(d *accounts.Deps) { d.Sessions = failingSessions{} })
		_, _, err := b.svc.Signup(ctx, "rollback@example.com", goodPassword, client)
		if !errors.Is(err, errSessionStore) {
			t.Fatalf("error = %v", err)
		}
		if _, err := b.db.FindUserByEmail(ctx, "rollback@example.com"); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("user exists after a failed signup: %v", err)
		}
		if n := len(b.db.Jobs()); n != 0 {
			t.Fatalf("%d jobs committed by a failed signup", n)
		}
	})
	t.Run("BadInputIsRefusedAndChangesNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cases := []struct {
			name, email, password string
			want                  error
		}{
			{"EmptyEmail", "", goodPassword, auth.ErrInvalidEmail},
			{"NoAt", "example.com", goodPassword, auth.ErrInvalidEmail},
			{"NoDomainDot", "a@localhost", goodPassword, auth.ErrInvalidEmail},
			{"SpaceInside", "a b@example.com", goodPassword, auth.ErrInvalidEmail},
			{"TwoAts", "a@b@example.com", goodPassword, auth.ErrInvalidEmail},
			{"TooLong", strings.Repeat("a", 250) + "@example.com", goodPassword, auth.ErrInvalidEmail},
			{"ShortPassword", "a@example.com", "1234567", auth.ErrWeakPassword},
			{"LongPassword", "a@example.com", strings.Repeat("x", 129), auth.ErrWeakPassword},
			{"CommonPassword", "a@example.com", "Password123", auth.ErrWeakPassword},
			{"PasswordIsEmail", "someone@example.com", "someone@example.com", auth.ErrWeakPassword},
			{"InvalidUTF8Password", "a@example.com", "abcdefgh\xff", auth.ErrWeakPassword},
		}
		for _, c := range cases {
			if _, _, err := b.svc.Signup(ctx, c.email, c.password, client); !errors.Is(err, c.want) {
				t.Errorf("%s: error = %v, want %v", c.name, err, c.want)
			}
		}
		if n := len(b.db.Jobs()); n != 0 {
			t.Fatalf("refused signups committed %d jobs", n)
		}
	})
	t.Run("LongPasswordIsNotTruncated", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		long := strings.Repeat("ab", 64) // exactly 128 characters
		if _, _, err := b.svc.Signup(ctx, "long@example.com", long, client); err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.svc.Login(ctx, "long@example.com", long[:127]+"c", client); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("a password differing in its last character logged in: %v", err)
		}
	})
}

func TestLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	setupUser := func(t *testing.T) testBundle {
		b := setup(t)
		if _, _, err := b.svc.Signup(ctx, "login@example.com", goodPassword, client); err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Run("RightPasswordInAnyEmailCaseSignsIn", func(t *testing.T) {
		t.Parallel()
		b := setupUser(t)
		u, issued, err := b.svc.Login(ctx, " LOGIN@example.com", goodPassword, client)
		if err != nil || u.Email != "login@example.com" || issued.Token == "" {
			t.Fatalf("Login = %+v, %v", u, err)
		}
	})
	t.Run("WrongPasswordAndUnknownEmailAnswerAlike", func(t *testing.T) {
		t.Parallel()
		b := setupUser(t)
		_, _, wrong := b.svc.Login(ctx, "login@example.com", "not the password", client)
		_, _, unknown := b.svc.Login(ctx, "nobody@example.com", goodPassword, client)
		_, _, malformed := b.svc.Login(ctx, "not-an-email", goodPassword, client)
		for _, err := range []error{wrong, unknown, malformed} {
			if !errors.Is(err, auth.ErrInvalidCredentials) || err.Error() != wrong.Error() {
				t.Fatalf("errors differ: %v / %v / %v", wrong, unknown, malformed)
			}
		}
	})
	t.Run("OldHashParametersAreUpgraded", func(t *testing.T) {
		t.Parallel()
		b := setupUser(t)
		stronger := argon2id.New(argon2id.Params{MemoryKiB: 128, Time: 1, Threads: 1}, 1)
		svc := accounts.New(accounts.Deps{Users: b.db, Tx: b.db, Jobs: b.db, Sessions: b.sessions,
			Clock: b.clock, Random: rand.Reader, Hasher: stronger})
		if _, _, err := svc.Login(ctx, "login@example.com", goodPassword, client); err != nil {
			t.Fatal(err)
		}
		u, _ := b.db.FindUserByEmail(ctx, "login@example.com")
		if !strings.Contains(u.PasswordHash, "m=128,") {
			t.Fatalf("hash not upgraded: %s", u.PasswordHash)
		}
	})
}

// secondFactor is a ports.SecondFactor fake: every user has one on.
type secondFactor struct{ asked []uuid.UUID }

func (f *secondFactor) Challenge(_ context.Context, userID uuid.UUID) (string, bool, error) {
	f.asked = append(f.asked, userID)
	return "mfa-token-for-" + userID.String(), true, nil
}

func TestLoginWithSecondFactor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("RightPasswordStopsAtAChallengeWithoutASession", func(t *testing.T) {
		t.Parallel()
		f := &secondFactor{}
		b := setup(t, func(d *accounts.Deps) { d.SecondFactor = f })
		u, _, err := b.svc.Signup(ctx, "mfa@example.com", goodPassword, client)
		if err != nil {
			t.Fatal(err)
		}
		_, issued, err := b.svc.Login(ctx, "mfa@example.com", goodPassword, client)
		var mfa *accounts.MFARequiredError
		if !errors.As(err, &mfa) || mfa.Token != "mfa-token-for-"+u.ID.String() || issued.Token != "" {
			t.Fatalf("Login = %+v, %v; want an mfa_token and no session", issued, err)
		}
		list, _ := b.db.ListSessionsByUser(ctx, u.ID, b.clock.Now())
		if len(list) != 1 { // the signup's only
			t.Fatalf("%d sessions, want the signup's alone", len(list))
		}
	})
	t.Run("WrongPasswordIsRefusedBeforeAnyChallenge", func(t *testing.T) {
		t.Parallel()
		f := &secondFactor{}
		b := setup(t, func(d *accounts.Deps) { d.SecondFactor = f })
		if _, _, err := b.svc.Signup(ctx, "mfa@example.com", goodPassword, client); err != nil {
			t.Fatal(err)
		}
		_, _, err := b.svc.Login(ctx, "mfa@example.com", "not the password", client)
		if !errors.Is(err, auth.ErrInvalidCredentials) || len(f.asked) != 0 {
			t.Fatalf("Login = %v, challenges %d; want invalid_credentials and none", err, len(f.asked))
		}
	})
}
