package metrics

import (
	"context"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"authd/core/auth"
	"authd/ports"
)

// Sessions counts sessions started and revoked: authd_sessions_created_total
// by method (password, mfa, saml) and authd_sessions_revoked_total by
// reason. It implements ports.SessionMetrics.
type Sessions struct {
	afterCommit func(context.Context, func())
	created     *prometheus.CounterVec
	revoked     *prometheus.CounterVec
}

var _ ports.SessionMetrics = (*Sessions)(nil)

// methods and reasons are every label value, registered at zero so a
// dashboard's rate() sees a series from the first scrape, not from the
// first event.
var (
	methods = []string{"password", "mfa", "saml", "other"}
	reasons = []ports.RevokeReason{ports.RevokedLogout, ports.RevokedByUser, ports.RevokedOthers, ports.RevokedReplaced,
		ports.RevokedPasswordReset, ports.RevokedPasswordChange, ports.RevokedDeletion, ports.RevokedAll}
)

// NewSessions registers the session counters on reg. afterCommit runs a
// function once the transaction of a context commits (postgres.AfterCommit),
// which is how a count waits for what it counts.
func NewSessions(reg prometheus.Registerer, afterCommit func(context.Context, func())) *Sessions {
	if reg == nil || afterCommit == nil {
		panic("metrics: nil dependency")
	}
	m := &Sessions{afterCommit: afterCommit,
		created: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "authd_sessions_created_total",
			Help: "Sessions started, by how the user authenticated (password, mfa, saml)."}, []string{"method"}),
		revoked: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "authd_sessions_revoked_total",
			Help: "Sessions revoked, by reason (logout, user, others, replaced, password_reset, password_change, deletion, all)."},
			[]string{"reason"}),
	}
	reg.MustRegister(m.created, m.revoked)
	for _, method := range methods {
		m.created.WithLabelValues(method)
	}
	for _, r := range reasons {
		m.revoked.WithLabelValues(string(r))
	}
	return m
}

// SessionStarted implements ports.SessionMetrics.
func (m *Sessions) SessionStarted(ctx context.Context, amr []string) {
	c := m.created.WithLabelValues(methodOf(amr))
	m.afterCommit(ctx, c.Inc)
}

// SessionsRevoked implements ports.SessionMetrics.
func (m *Sessions) SessionsRevoked(ctx context.Context, reason ports.RevokeReason, n int) {
	if n <= 0 {
		return
	}
	if !slices.Contains(reasons, reason) {
		reason = ports.RevokedAll // a reason added without a label here still counts, and the label set stays closed
	}
	c := m.revoked.WithLabelValues(string(reason))
	m.afterCommit(ctx, func() { c.Add(float64(n)) })
}

// methodOf names a session's sign-in the way authd_logins_total does.
func methodOf(amr []string) string {
	switch {
	case slices.Contains(amr, auth.MethodSAML):
		return "saml"
	case slices.Contains(amr, auth.MethodOTP):
		return "mfa"
	case slices.Contains(amr, auth.MethodPassword):
		return "password"
	}
	return "other"
}
