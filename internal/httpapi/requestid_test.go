package httpapi

import (
	"regexp"
	"strings"
	"testing"
)

// saneRequestID accepts exactly what the regular expression it replaced
// accepted.
func TestSaneRequestIDIsTheRegexp(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	ids := []string{"", "a", "req-1.2_3", "A/B", "x y", "é", "a\n", "\x00", "ok\xff", strings.Repeat("a", 64), strings.Repeat("a", 65),
		strings.Repeat("Z9", 32), strings.Repeat("Z9", 32) + "-", "<script>", "a+b", "a%20b"}
	for c := range 128 {
		ids = append(ids, "id"+string(rune(c)))
	}
	for _, id := range ids {
		if got, want := saneRequestID(id), re.MatchString(id); got != want {
			t.Errorf("saneRequestID(%q) = %v, the regexp says %v", id, got, want)
		}
	}
}
