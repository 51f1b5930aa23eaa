package httpapi

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/google/uuid"

	"authd/ports"
)

// exportView is GET /v1/account/export: everything stored about the user,
// and nothing secret (no password hash, token hash or TOTP secret).
type exportView struct {
	ExportedAt       time.Time              `json:"exported_at"`
	User             exportUserView         `json:"user"`
	Sessions         []exportSessionView    `json:"sessions"`
	Events           []eventView            `json:"events"`
	LinkedIdentities []exportIdentityView   `json:"linked_identities"`
	MFA              exportMFAView          `json:"mfa"`
	EmailChanges     []exportEmailChange    `json:"email_changes"`
	EmailRequests    []exportEmailRequest   `json:"email_requests"`
	DeletionRequest  *exportDeletionRequest `json:"deletion_request"`
}

type exportUserView struct {
	userView
	UpdatedAt time.Time `json:"updated_at"`
}

type exportSessionView struct {
	deviceSessionView
	UserAgent         string     `json:"user_agent"`
	ReauthenticatedAt time.Time  `json:"reauthenticated_at"`
	RevokedAt         *time.Time `json:"revoked_at"`
}

type exportIdentityView struct {
	ID             string    `json:"id"`
	ProviderID     string    `json:"provider_id"`
	ProviderDomain string    `json:"provider_domain"`
	NameID         string    `json:"name_id"`
	CreatedAt      time.Time `json:"created_at"`
	LastLoginAt    time.Time `json:"last_login_at"`
}

type exportMFAView struct {
	TOTP              bool       `json:"totp"`
	TOTPEnabledAt     *time.Time `json:"totp_enabled_at"`
	RecoveryCodesLeft int        `json:"recovery_codes_left"`
}

type exportEmailChange struct {
	ID        string    `json:"id"`
	OldEmail  string    `json:"old_email"`
	NewEmail  string    `json:"new_email"`
	ChangedAt time.Time `json:"changed_at"`
}

type exportEmailRequest struct {
	Purpose   string    `json:"purpose"`
	IP        *string   `json:"ip"`
	CreatedAt time.Time `json:"created_at"`
}

type exportDeletionRequest struct {
	ID          string     `json:"id"`
	RequestedAt time.Time  `json:"requested_at"`
	ExecuteAt   time.Time  `json:"execute_at"`
	Cancelled   bool       `json:"cancelled"`
	CancelledAt *time.Time `json:"cancelled_at"`
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// ipPtr is ip as a JSON string, or null when the address is unknown.
func ipPtr(ip netip.Addr) *string {
	if !ip.IsValid() {
		return nil
	}
	s := ip.String()
	return &s
}

func newExportView(d ports.UserData, current uuid.UUID) exportView {
	v := exportView{ExportedAt: d.ExportedAt.UTC(),
		User:     exportUserView{userView: newUserView(d.User), UpdatedAt: d.User.UpdatedAt.UTC()},
		Sessions: []exportSessionView{}, Events: []eventView{}, LinkedIdentities: []exportIdentityView{},
		MFA: exportMFAView{TOTP: d.TOTPEnabledAt != nil, TOTPEnabledAt: utcPtr(d.TOTPEnabledAt),
			RecoveryCodesLeft: d.RecoveryCodesLeft},
		EmailChanges: []exportEmailChange{}, EmailRequests: []exportEmailRequest{}}
	v.User.MFA.TOTP = v.MFA.TOTP
	for _, s := range d.Sessions {
		v.Sessions = append(v.Sessions, exportSessionView{deviceSessionView: newDeviceSessionView(s, current),
			UserAgent: s.UserAgent, ReauthenticatedAt: s.ReauthenticatedAt.UTC(), RevokedAt: utcPtr(s.RevokedAt)})
	}
	for _, e := range d.Events {
		v.Events = append(v.Events, newEventView(e))
	}
	for _, i := range d.Identities {
		v.LinkedIdentities = append(v.LinkedIdentities, exportIdentityView{ID: i.ID.String(),
			ProviderID: i.ProviderID.String(), ProviderDomain: i.ProviderDomain, NameID: i.NameID,
			CreatedAt: i.CreatedAt.UTC(), LastLoginAt: i.LastLoginAt.UTC()})
	}
	for _, c := range d.EmailChanges {
		v.EmailChanges = append(v.EmailChanges, exportEmailChange{ID: c.ID.String(), OldEmail: c.OldEmail,
			NewEmail: c.NewEmail, ChangedAt: c.ChangedAt.UTC()})
	}
	for _, r := range d.EmailRequests {
		v.EmailRequests = append(v.EmailRequests, exportEmailRequest{Purpose: string(r.Purpose),
			IP: ipPtr(r.IP), CreatedAt: r.CreatedAt.UTC()})
	}
	if r := d.Deletion; r != nil {
		v.DeletionRequest = &exportDeletionRequest{ID: r.ID.String(), RequestedAt: r.RequestedAt.UTC(),
			ExecuteAt: r.ExecuteAt.UTC(), Cancelled: r.Cancelled, CancelledAt: utcPtr(r.CancelledAt)}
	}
	return v
}

// handleExport serves everything stored about the caller as one JSON
// document to download.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	if s.d.Deletion == nil {
		writeError(w, r, errRouteNotFound)
		return
	}
	p := principalFrom(r.Context())
	d, err := s.d.Deletion.Export(r.Context(), p.User.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition",
		`attachment; filename="authd-export-`+d.ExportedAt.UTC().Format(time.DateOnly)+`.json"`)
	writeJSON(w, http.StatusOK, newExportView(d, p.Session.ID))
}
