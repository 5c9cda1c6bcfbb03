// Pagination cursors: signed, bound to the listing they came from.

package ddbstore

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

// cursorCodec turns a LastEvaluatedKey into an opaque, tamper-evident cursor
// bound to the listing it came from: base64url(JSON of the key) "." base64url
// (HMAC-SHA256 over the listing's scope and the JSON).
type cursorCodec struct{ secret []byte }

func (c cursorCodec) mac(scope string, payload []byte) []byte {
	h := hmac.New(sha256.New, c.secret)
	h.Write([]byte(scope))
	h.Write([]byte{0})
	h.Write(payload)
	return h.Sum(nil)[:16]
}

// errNoCursorSecret: a store built without a cursor key (the mailer, which
// lists nothing) never signs or accepts a cursor.
var errNoCursorSecret = errors.New("cursor: this function has no cursor key (CURSOR_SECRET_ARN)")

func (c cursorCodec) encode(scope string, key map[string]types.AttributeValue) (string, error) {
	if len(c.secret) == 0 {
		return "", errNoCursorSecret
	}
	plain := make(map[string]string, len(key))
	for name, v := range key {
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return "", fmt.Errorf("cursor: key attribute %s is not a string", name)
		}
		plain[name] = s.Value
	}
	payload, err := json.Marshal(plain)
	if err != nil {
		return "", fmt.Errorf("cursor: %w", err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(c.mac(scope, payload)), nil
}

func (c cursorCodec) decode(scope, cursor string) (map[string]types.AttributeValue, error) {
	if cursor == "" {
		return nil, nil
	}
	if len(c.secret) == 0 {
		return nil, errNoCursorSecret
	}
	enc := base64.RawURLEncoding
	body, sig, ok := strings.Cut(cursor, ".")
	if !ok {
		return nil, collab.BadCursor()
	}
	payload, err1 := enc.DecodeString(body)
	mac, err2 := enc.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, c.mac(scope, payload)) {
		return nil, collab.BadCursor()
	}
	var plain map[string]string
	if err := json.Unmarshal(payload, &plain); err != nil {
		return nil, collab.BadCursor()
	}
	key := make(map[string]types.AttributeValue, len(plain))
	for name, v := range plain {
		key[name] = &types.AttributeValueMemberS{Value: v}
	}
	return key, nil
}
