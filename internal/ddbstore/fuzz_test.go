package ddbstore

// Fuzz target of the page cursors (cursor.go); no local stack needed:
//
//	go test -short -run '^$' -fuzz '^FuzzCursor$' -fuzztime 20s ./internal/ddbstore

import (
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

// FuzzCursor: a cursor decodes to the key it was made from, only for its
// own listing; anything else a client sends back (tampered, truncated,
// re-encoded, another listing's, another secret's) is refused as a bad
// cursor (400 naming cursor), never a panic or another error.
func FuzzCursor(f *testing.F) {
	codec := cursorCodec{secret: []byte("fuzz-cursor-secret-fuzz")}
	other := cursorCodec{secret: []byte("another-cursor-secret")}
	for _, s := range []struct{ scope, pk, sk, sent string }{
		{"ORG#o1|members", "ORG#o1", "MEMBER#u1", ""},
		{"PRJ#p1|items", "PRJ#p1", "ITEM#2024-01-01T00:00:00Z#i1", "e30.AAAAAAAAAAAAAAAAAAAAAA"},
		{"s", "", "", "."},
		{"s", "\x00", "\xff", "...."},
		{"s", "a", "b", "eyJQSyI6ImEifQ"},
		{"s", "a", "b", "eyJQSyI6ImEifQ.=="},
		{"s", "a", "b", "bnVsbA.AAAAAAAAAAAAAAAAAAAAAA"},
	} {
		f.Add(s.scope, s.pk, s.sk, s.sent)
	}
	f.Fuzz(func(t *testing.T, scope, pk, sk, sent string) {
		key := map[string]types.AttributeValue{
			attrPK: &types.AttributeValueMemberS{Value: pk},
			attrSK: &types.AttributeValueMemberS{Value: sk},
		}
		cur, err := codec.encode(scope, key)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		got, err := codec.decode(scope, cur)
		if err != nil {
			t.Fatalf("decode of its own cursor %q: %v", cur, err)
		}
		// JSON carries strings as UTF-8: each invalid byte comes back as
		// U+FFFD, as string([]rune(s)) does.
		want := map[string]types.AttributeValue{
			attrPK: &types.AttributeValueMemberS{Value: string([]rune(pk))},
			attrSK: &types.AttributeValueMemberS{Value: string([]rune(sk))},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decode(%q) = %v, want %v", cur, got, want)
		}
		for _, wrong := range []struct {
			what string
			err  error
		}{
			{"another listing", func() error { _, err := codec.decode(scope+"x", cur); return err }()},
			{"another secret", func() error { _, err := other.decode(scope, cur); return err }()},
			{"truncated", func() error { _, err := codec.decode(scope, cur[:len(cur)-1]); return err }()},
		} {
			if !isBadCursor(wrong.err) {
				t.Fatalf("%s: %q accepted or refused with %v, want a bad cursor", wrong.what, cur, wrong.err)
			}
		}
		if sent == "" || sent == cur {
			return
		}
		if k, err := codec.decode(scope, sent); err != nil && !isBadCursor(err) {
			t.Fatalf("decode(%q): %v, want a bad cursor", sent, err)
		} else if err == nil {
			// Only a cursor this codec made for this scope decodes; the
			// fuzzer may find another spelling of it (base64 is lenient
			// about trailing bits), never another key.
			again, err := codec.encode(scope, k)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := codec.decode(scope, again); err != nil {
				t.Fatalf("%q decoded to %v, which does not encode back: %v", sent, k, err)
			}
		}
	})
}

func isBadCursor(err error) bool {
	var de *collab.Error
	return errors.As(err, &de) && de.Code == collab.CodeInvalid && len(de.Fields) == 1 && de.Fields[0].Field == "cursor"
}
