package collab

import "strings"

// asciiLower lower-cases the ASCII letters of s and nothing else, so no
// Unicode look-alike (KELVIN SIGN, dotted capital I) folds onto an ASCII
// letter.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// SameEmail reports whether two addresses are the same mailbox for an
// invitation's binding: equal up to ASCII case, nothing looser (docs/security.md).
func SameEmail(a, b string) bool {
	return asciiLower(strings.TrimSpace(a)) == asciiLower(strings.TrimSpace(b))
}
