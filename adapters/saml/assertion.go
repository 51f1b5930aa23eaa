package saml

import (
	"strings"
	"time"

	"github.com/beevik/etree"
	saml2 "github.com/russellhaering/gosaml2"
	"github.com/russellhaering/gosaml2/types"

	"authd/core/auth"
)

// assertion checks what gosaml2 leaves to the application on its decoded,
// signature-covered copy of the response, and converts it. root is the raw
// tree, read only to refuse (see subjectConfirmationNotBefore).
func (s *SP) assertion(p auth.SAMLProvider, resp *types.Response, root *etree.Element, now time.Time) (auth.SAMLAssertion, error) {
	if len(resp.Assertions) != 1 {
		return auth.SAMLAssertion{}, reject(ReasonAssertionCount)
	}
	a := resp.Assertions[0]
	if !resp.SignatureValidated && !a.SignatureValidated {
		return auth.SAMLAssertion{}, reject(ReasonSignatureMissing)
	}
	if resp.Issuer == nil || resp.Issuer.Value != p.EntityID || a.Issuer == nil || a.Issuer.Value != p.EntityID {
		return auth.SAMLAssertion{}, reject(ReasonWrongIssuer)
	}
	if resp.Status == nil || resp.Status.StatusCode == nil || resp.Status.StatusCode.Value != saml2.StatusCodeSuccess {
		return auth.SAMLAssertion{}, reject(ReasonStatusNotSuccess)
	}
	// A signed response must name its destination (saml-bindings §3.5.5.2);
	// an unsigned one may omit it, but not name another.
	if resp.Destination != s.cfg.ACSURL && (resp.Destination != "" || resp.SignatureValidated) {
		return auth.SAMLAssertion{}, reject(ReasonWrongDestination)
	}
	if a.Subject == nil || a.Subject.NameID == nil || strings.TrimSpace(a.Subject.NameID.Value) == "" {
		return auth.SAMLAssertion{}, reject(ReasonNameIDMissing)
	}
	sc := a.Subject.SubjectConfirmation
	if sc == nil || sc.Method != saml2.SubjMethodBearer || sc.SubjectConfirmationData == nil {
		return auth.SAMLAssertion{}, reject(ReasonUnsupportedSubject)
	}
	scd := sc.SubjectConfirmationData
	if scd.Recipient != s.cfg.ACSURL {
		return auth.SAMLAssertion{}, reject(ReasonWrongRecipient)
	}
	if a.Conditions == nil || !audienceOK(a.Conditions.AudienceRestrictions, s.cfg.EntityID) {
		return auth.SAMLAssertion{}, reject(ReasonWrongAudience)
	}

	notOnOrAfter, err := parseTime(scd.NotOnOrAfter)
	if err != nil || notOnOrAfter.IsZero() {
		return auth.SAMLAssertion{}, reject(ReasonMalformed)
	}
	scdNotBefore, err := parseTime(subjectConfirmationNotBefore(root))
	if err != nil {
		return auth.SAMLAssertion{}, reject(ReasonMalformed)
	}
	if err := s.within(now, scdNotBefore, notOnOrAfter); err != nil {
		return auth.SAMLAssertion{}, err
	}
	condNotBefore, err := parseTime(a.Conditions.NotBefore)
	if err != nil {
		return auth.SAMLAssertion{}, reject(ReasonMalformed)
	}
	condNotOnOrAfter, err := parseTime(a.Conditions.NotOnOrAfter)
	if err != nil {
		return auth.SAMLAssertion{}, reject(ReasonMalformed)
	}
	if err := s.within(now, condNotBefore, condNotOnOrAfter); err != nil {
		return auth.SAMLAssertion{}, err
	}
	if !condNotOnOrAfter.IsZero() && condNotOnOrAfter.Before(notOnOrAfter) {
		notOnOrAfter = condNotOnOrAfter
	}

	inResponseTo, err := inResponseTo(resp, scd)
	if err != nil {
		return auth.SAMLAssertion{}, err
	}
	out := auth.SAMLAssertion{
		ID:           a.ID,
		ResponseID:   resp.ID,
		Issuer:       a.Issuer.Value,
		InResponseTo: inResponseTo,
		NameID:       a.Subject.NameID.Value,
		NameIDFormat: a.Subject.NameID.Format,
		Attributes:   attributes(a.AttributeStatement),
		NotOnOrAfter: notOnOrAfter,
	}
	if a.AuthnStatement != nil && a.AuthnStatement.AuthnInstant != nil {
		out.AuthnInstant = *a.AuthnStatement.AuthnInstant
	}
	return out, nil
}

// within checks now against [notBefore, notOnOrAfter) widened by MaxSkew on
// both sides; a zero bound is open.
func (s *SP) within(now, notBefore, notOnOrAfter time.Time) error {
	if !notBefore.IsZero() && now.Add(s.cfg.MaxSkew).Before(notBefore) {
		return reject(ReasonNotYetValid)
	}
	if !notOnOrAfter.IsZero() && !now.Add(-s.cfg.MaxSkew).Before(notOnOrAfter) {
		return reject(ReasonExpired)
	}
	return nil
}

// audienceOK requires at least one AudienceRestriction, and our entity ID in
// each of them: the restrictions are conjunctive (saml-core §2.5.1.4).
func audienceOK(restrictions []types.AudienceRestriction, entityID string) bool {
	if len(restrictions) == 0 {
		return false
	}
	for _, r := range restrictions {
		found := false
		for _, aud := range r.Audiences {
			if strings.TrimSpace(aud.Value) == entityID {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// inResponseTo is the request the assertion answers. The
// SubjectConfirmationData's value is covered by the assertion's signature;
// the Response's only when the Response itself was verified. Two values that
// differ are refused whatever was signed.
func inResponseTo(resp *types.Response, scd *types.SubjectConfirmationData) (string, error) {
	id := scd.InResponseTo
	if resp.InResponseTo != "" && id != "" && resp.InResponseTo != id {
		return "", reject(ReasonInResponseTo)
	}
	if id == "" && resp.SignatureValidated {
		id = resp.InResponseTo
	}
	return id, nil
}

// attributes flattens the attribute statement to name → values. A value that
// is a NameID element (eduPersonTargetedID) contributes its text.
func attributes(st *types.AttributeStatement) map[string][]string {
	out := map[string][]string{}
	if st == nil {
		return out
	}
	for _, at := range st.Attributes {
		vals := out[at.Name]
		if vals == nil {
			vals = []string{}
		}
		for _, v := range at.Values {
			if v.NameID != nil {
				vals = append(vals, v.NameID.Value)
				continue
			}
			vals = append(vals, v.Value)
		}
		out[at.Name] = vals
	}
	return out
}

// parseTime reads an xs:dateTime attribute; empty is the zero time.
func parseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, strings.TrimSpace(v))
}

// subjectConfirmationNotBefore is the latest (strictest) NotBefore on the raw
// tree's SubjectConfirmationData elements. gosaml2's types do not decode that
// attribute; checkStructure has proved the raw Assertion is the one verified,
// and the value is only used to refuse, so the raw read is safe.
func subjectConfirmationNotBefore(root *etree.Element) string {
	a := child(root, nsAssertion, "Assertion")
	if a == nil {
		return ""
	}
	subj := child(a, nsAssertion, "Subject")
	if subj == nil {
		return ""
	}
	latest := ""
	var latestT time.Time
	for _, sc := range children(subj, nsAssertion, "SubjectConfirmation") {
		for _, d := range children(sc, nsAssertion, "SubjectConfirmationData") {
			v := d.SelectAttrValue("NotBefore", "")
			t, err := parseTime(v)
			if err != nil {
				return v // unparsable: let the caller refuse it
			}
			if !t.IsZero() && (latest == "" || t.After(latestT)) {
				latest, latestT = v, t
			}
		}
	}
	return latest
}
