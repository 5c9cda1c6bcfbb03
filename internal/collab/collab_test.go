package collab

import (
	"strings"
	"testing"
)

func TestCleanName(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"Acme", "Acme", true},
		{"  Acme Labs ", "Acme Labs", true},
		{"Ünïcödé 研究所", "Ünïcödé 研究所", true},
		{"", "", false},
		{"   ", "", false},
		{strings.Repeat("x", MaxNameLength), strings.Repeat("x", MaxNameLength), true},
		{strings.Repeat("x", MaxNameLength+1), "", false},
		{"tab\there", "", false},
		{"nul\x00", "", false},
		{"\xff\xfe", "", false},
	}
	for _, c := range cases {
		var v Validation
		got := CleanName("name", c.in, &v)
		err := v.Err()
		if c.ok != (err == nil) {
			t.Errorf("CleanName(%q) err = %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if c.ok && got != c.want {
			t.Errorf("CleanName(%q) = %q, want %q", c.in, got, c.want)
		}
		if !c.ok {
			e := err.(*Error)
			if e.Code != CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "name" {
				t.Errorf("CleanName(%q) error %+v does not name the field", c.in, e)
			}
		}
	}
}

func TestPageNormalize(t *testing.T) {
	if p, err := (Page{}).Normalize(); err != nil || p.Limit != DefaultPageLimit {
		t.Fatalf("default page %+v %v", p, err)
	}
	for _, n := range []int{-1, MaxPageLimit + 1} {
		if _, err := (Page{Limit: n}).Normalize(); ErrorCode(err) != CodeInvalid {
			t.Fatalf("limit %d accepted", n)
		}
	}
	if p, err := (Page{Limit: MaxPageLimit}).Normalize(); err != nil || p.Limit != MaxPageLimit {
		t.Fatalf("max page %+v %v", p, err)
	}
}

func TestRandomIDs(t *testing.T) {
	seen := map[string]bool{}
	var prev string
	for range 1000 {
		id := RandomIDs{}.New("org")
		if !strings.HasPrefix(id, "org_") || len(id) != len("org_")+26 {
			t.Fatalf("id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
		if id[4:13] < prev {
			t.Fatalf("ids not time-ordered: %q after %q", id[4:13], prev)
		}
		prev = id[4:13]
	}
}

func TestErrorCodes(t *testing.T) {
	err := Errorf(CodeNotFound, "missing %s", "x")
	if ErrorCode(err) != CodeNotFound || !IsCode(err, CodeNotFound) {
		t.Fatal("code lost")
	}
	if ErrorCode(nil) != CodeInternal || IsCode(nil, CodeInternal) {
		t.Fatal("nil error handling")
	}
	var v Validation
	if v.Err() != nil {
		t.Fatal("empty validation is an error")
	}
	v.Add("a", "bad")
	v.Add("b", "bad")
	e := v.Err().(*Error)
	if len(e.Fields) != 2 || e.Code != CodeInvalid {
		t.Fatalf("validation %+v", e)
	}
	if NormalizeEmail("  A@Example.COM ") != "a@example.com" {
		t.Fatal("NormalizeEmail")
	}
}
