package httpapi

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"authd/core/auth"
	"authd/core/sso"
)

// providerView is the admin API's provider object.
type providerView struct {
	ID                string            `json:"id"`
	Domain            string            `json:"domain"`
	EntityID          string            `json:"entity_id"`
	SSOURL            string            `json:"sso_url"`
	Certificates      []certificateView `json:"certificates"`
	EnforceSSO        bool              `json:"enforce_sso"`
	AllowIdPInitiated bool              `json:"allow_idp_initiated"`
	CreatedAt         time.Time         `json:"created_at"`
	UpdatedAt         time.Time         `json:"updated_at"`
}

// certificateView shows a signing certificate with what an administrator
// compares against the IdP's console: its fingerprint and expiry.
type certificateView struct {
	PEM               string    `json:"pem"`
	SHA256Fingerprint string    `json:"sha256_fingerprint"`
	Subject           string    `json:"subject"`
	NotAfter          time.Time `json:"not_after"`
}

func newProviderView(p auth.SAMLProvider) providerView {
	v := providerView{ID: p.ID.String(), Domain: p.Domain, EntityID: p.EntityID, SSOURL: p.SSOURL,
		Certificates: []certificateView{}, EnforceSSO: p.EnforceSSO, AllowIdPInitiated: p.AllowIdPInitiated,
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
	for _, text := range p.Certificates {
		c := certificateView{PEM: text}
		if block, _ := pem.Decode([]byte(text)); block != nil {
			sum := sha256.Sum256(block.Bytes)
			c.SHA256Fingerprint = hex.EncodeToString(sum[:])
			if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
				c.Subject, c.NotAfter = cert.Subject.String(), cert.NotAfter.UTC()
			}
		}
		v.Certificates = append(v.Certificates, c)
	}
	return v
}

type createProviderRequest struct {
	Domain            string `json:"domain"`
	MetadataXML       string `json:"metadata_xml"`
	EntityID          string `json:"entity_id"`
	SSOURL            string `json:"sso_url"`
	CertificatePEM    string `json:"certificate_pem"`
	EnforceSSO        bool   `json:"enforce_sso"`
	AllowIdPInitiated bool   `json:"allow_idp_initiated"`
}

// updateProviderRequest has no domain: a provider's identities belong to
// its domain, so changing it is a delete and a new registration.
type updateProviderRequest struct {
	MetadataXML       *string `json:"metadata_xml"`
	EntityID          *string `json:"entity_id"`
	SSOURL            *string `json:"sso_url"`
	CertificatePEM    *string `json:"certificate_pem"`
	EnforceSSO        *bool   `json:"enforce_sso"`
	AllowIdPInitiated *bool   `json:"allow_idp_initiated"`
}

func (s *Server) handleCreateProvider(w http.ResponseWriter, r *http.Request) {
	var req createProviderRequest
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.d.SSO.CreateProvider(r.Context(), sso.ProviderInput{Domain: req.Domain, MetadataXML: req.MetadataXML,
		EntityID: req.EntityID, SSOURL: req.SSOURL, CertificatePEM: req.CertificatePEM,
		EnforceSSO: req.EnforceSSO, AllowIdPInitiated: req.AllowIdPInitiated})
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/admin/saml/providers/"+p.ID.String())
	writeJSON(w, http.StatusCreated, newProviderView(p))
}

func (s *Server) handleListProviders(w http.ResponseWriter, r *http.Request) {
	ps, err := s.d.SSO.Providers(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]providerView, 0, len(ps))
	for _, p := range ps {
		views = append(views, newProviderView(p))
	}
	writeJSON(w, http.StatusOK, map[string]any{"providers": views})
}

// providerID reads {id}; a malformed one names no provider.
func providerID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(mux.Vars(r)["id"])
	if err != nil {
		return uuid.Nil, auth.ErrNotFound
	}
	return id, nil
}

func (s *Server) handleGetProvider(w http.ResponseWriter, r *http.Request) {
	id, err := providerID(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.d.SSO.Provider(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newProviderView(p))
}

func (s *Server) handleUpdateProvider(w http.ResponseWriter, r *http.Request) {
	id, err := providerID(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req updateProviderRequest
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.d.SSO.UpdateProvider(r.Context(), id, sso.ProviderChange{MetadataXML: req.MetadataXML,
		EntityID: req.EntityID, SSOURL: req.SSOURL, CertificatePEM: req.CertificatePEM,
		EnforceSSO: req.EnforceSSO, AllowIdPInitiated: req.AllowIdPInitiated})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newProviderView(p))
}

func (s *Server) handleDeleteProvider(w http.ResponseWriter, r *http.Request) {
	id, err := providerID(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.d.SSO.DeleteProvider(r.Context(), id); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
