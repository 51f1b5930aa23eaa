package memory

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// ExportUserData implements ports.UserDataStore.
func (db *DB) ExportUserData(_ context.Context, userID uuid.UUID) (ports.UserData, error) {
	defer db.lock()()
	u, ok := db.t.users[userID]
	if !ok {
		return ports.UserData{}, auth.ErrNotFound
	}
	d := ports.UserData{User: db.withDeletion(u), Sessions: []auth.Session{}, Identities: []ports.LinkedIdentity{},
		EmailChanges: []ports.EmailChange{}, EmailRequests: []ports.EmailRequest{}}
	for _, s := range db.t.sessions {
		if s.UserID == userID {
			s.TokenHash, s.AMR = nil, slices.Clone(s.AMR)
			d.Sessions = append(d.Sessions, s)
		}
	}
	slices.SortFunc(d.Sessions, func(a, b auth.Session) int { return b.CreatedAt.Compare(a.CreatedAt) })
	d.Events = db.eventsOf(userID, 0)
	for _, i := range db.t.sso.identities {
		if i.UserID == userID {
			d.Identities = append(d.Identities, ports.LinkedIdentity{Identity: i,
				ProviderDomain: db.t.sso.providers[i.ProviderID].Domain})
		}
	}
	slices.SortFunc(d.Identities, func(a, b ports.LinkedIdentity) int { return b.LastLoginAt.Compare(a.LastLoginAt) })
	if c, ok := db.t.mfa.totp[userID]; ok && c.ConfirmedAt != nil {
		at := *c.ConfirmedAt
		d.TOTPEnabledAt = &at
	}
	for _, c := range db.t.mfa.recovery[userID] {
		if c.usedAt == nil {
			d.RecoveryCodesLeft++
		}
	}
	for _, c := range db.t.verif.changes {
		if c.UserID == userID {
			d.EmailChanges = append(d.EmailChanges, c)
		}
	}
	slices.SortFunc(d.EmailChanges, func(a, b ports.EmailChange) int { return b.ChangedAt.Compare(a.ChangedAt) })
	for _, r := range db.t.verif.requests {
		if r.UserID == userID {
			d.EmailRequests = append(d.EmailRequests, r)
		}
	}
	slices.SortStableFunc(d.EmailRequests, func(a, b ports.EmailRequest) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if r, ok := db.t.deletion.requests[userID]; ok {
		d.Deletion = &r
	}
	return d, nil
}
