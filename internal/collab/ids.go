package collab

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// RandomIDs makes time-ordered ids: prefix, 48 bits of milliseconds from
// Clock (the system clock when nil), 80 random bits, in lower-case Crockford
// base32.
type RandomIDs struct{ Clock Clock }

// New returns a fresh id such as "org_01jd...".
func (r RandomIDs) New(prefix string) string {
	var clock Clock = SystemClock{}
	if r.Clock != nil {
		clock = r.Clock
	}
	var b [16]byte
	ms := uint64(clock.Now().UnixMilli())
	binary.BigEndian.PutUint64(b[:8], ms<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}
