package saml

import (
	"errors"

	saml2 "github.com/russellhaering/gosaml2"
	dsig "github.com/russellhaering/goxmldsig"

	"authd/core/auth"
)

// Reasons carried by auth.ErrSAMLRejected in its "reason" extra member.
const (
	ReasonTooLarge           = "too_large"
	ReasonMalformed          = "malformed"
	ReasonDoctypeRefused     = "doctype_refused"
	ReasonSHA1Refused        = "sha1_refused"
	ReasonUnsupportedAlg     = "unsupported_algorithm"
	ReasonNameIDComment      = "nameid_comment"
	ReasonAttributeComment   = "attribute_comment"
	ReasonEncrypted          = "encrypted_assertion_unsupported"
	ReasonSignatureMissing   = "signature_missing"
	ReasonSignatureInvalid   = "signature_invalid"
	ReasonAssertionCount     = "assertion_count"
	ReasonWrongIssuer        = "wrong_issuer"
	ReasonWrongAudience      = "wrong_audience"
	ReasonWrongDestination   = "wrong_destination"
	ReasonWrongRecipient     = "wrong_recipient"
	ReasonExpired            = "expired"
	ReasonNotYetValid        = "not_yet_valid"
	ReasonStatusNotSuccess   = "status_not_success"
	ReasonNameIDMissing      = "nameid_missing"
	ReasonInResponseTo       = "in_response_to_mismatch"
	ReasonIssuerMissing      = "issuer_missing"
	ReasonUnsupportedSubject = "unsupported_subject_confirmation"
)

// reject is the one error every refusal returns.
func reject(reason string) error {
	return auth.ErrSAMLRejected.WithExtra("reason", reason)
}

// classify turns an error from gosaml2's ValidateEncodedResponse into a
// reason. gosaml2 types its field checks; everything else it returns comes
// from signature verification.
func classify(err error) string {
	var iv saml2.ErrInvalidValue
	var me saml2.ErrMissingElement
	var pe saml2.ErrParsing
	switch {
	case errors.As(err, &iv):
		switch iv.Key {
		case saml2.DestinationAttr:
			return ReasonWrongDestination
		case saml2.IssuerTag:
			return ReasonWrongIssuer
		case saml2.RecipientAttr:
			return ReasonWrongRecipient
		case saml2.StatusCodeTag:
			return ReasonStatusNotSuccess
		case saml2.NotOnOrAfterAttr:
			return ReasonExpired
		case saml2.SubjectConfirmationTag:
			return ReasonUnsupportedSubject
		}
		return ReasonMalformed
	case errors.As(err, &me):
		if me.Tag == saml2.IssuerTag {
			return ReasonWrongIssuer
		}
		return ReasonMalformed
	case errors.As(err, &pe):
		return ReasonMalformed
	case errors.Is(err, dsig.ErrMissingSignature):
		return ReasonSignatureMissing
	}
	return ReasonSignatureInvalid
}
