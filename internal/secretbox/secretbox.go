// Package secretbox seals short secrets for storage: AES-256-GCM with a
// random 96-bit nonce per seal and the caller's associated data (the record
// the secret belongs to, so a sealed value copied onto another record does
// not open). It is the one place the share link's token is encrypted
// (docs/security.md, "Share-link tokens at rest").
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the key length: AES-256.
const KeySize = 32

// version prefixes every sealed value, so a later key or scheme can be told
// apart from this one.
const version = "v1."

// ErrOpen is returned for a sealed value that does not open with this key
// and associated data (tampered, truncated, another key or another record).
var ErrOpen = errors.New("secretbox: cannot open the sealed value")

// Box seals and opens with one key.
type Box struct{ aead cipher.AEAD }

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: the key must be %d bytes, not %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext bound to ad: "v1." + base64url(nonce ‖ ciphertext ‖ tag).
func (b *Box) Seal(plaintext, ad []byte) (string, error) {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secretbox: nonce: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, plaintext, ad)
	return version + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value Seal made with the same key and ad.
func (b *Box) Open(sealed string, ad []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, version)
	if !ok {
		return nil, ErrOpen
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return nil, ErrOpen
	}
	n := b.aead.NonceSize()
	out, err := b.aead.Open(nil, raw[:n], raw[n:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}

// ParseKey reads a 32-byte key written in base64 (standard or URL alphabet,
// padded or not). The error never repeats the value.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("decodes to %d bytes, want %d", len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, errors.New("is not base64")
}
