package mfa

import (
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// sealVersion prefixes every sealed secret, so a later key rotation can tell
// which key and format sealed it.
const sealVersion = 1

// seal encrypts a TOTP secret for one user. The user's ID is the associated
// data: a sealed secret copied onto another user's row does not open.
func (s *Service) seal(userID uuid.UUID, secret []byte) ([]byte, error) {
	nonce, err := s.random(s.aead.NonceSize())
	if err != nil {
		return nil, err
	}
	out := append([]byte{sealVersion}, nonce...)
	return s.aead.Seal(out, nonce, secret, sealAD(userID)), nil
}

func (s *Service) open(userID uuid.UUID, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, errors.New("mfa: sealed secret is malformed")
	}
	secret, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], sealAD(userID))
	if err != nil {
		// A changed AUTHD_ENCRYPTION_KEY lands here: say so in the log.
		return nil, fmt.Errorf("mfa: open sealed secret (was the encryption key changed?): %w", err)
	}
	return secret, nil
}

func sealAD(userID uuid.UUID) []byte {
	return append([]byte("authd totp secret v1 "), userID[:]...)
}
