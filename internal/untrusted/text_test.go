package untrusted

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"plain text stays", "Error syncing to GCP: ok\n\tnext", "Error syncing to GCP: ok\n\tnext"},
		{"ESC of a colour sequence", "a\x1b[31mred", `a\x1b[31mred`},
		{"OSC 52 clipboard write with BEL", "\x1b]52;c;ZWNobyBoaQ==\x07", `\x1b]52;c;ZWNobyBoaQ==\x07`},
		{"window title", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"carriage return and backspace", "ok\rno\b", `ok\x0dno\x08`},
		{"DEL", "a\x7fb", `a\x7fb`},
		{"C1 CSI as UTF-8", "a\u009b31mb", `a\u009b31mb`},
		{"C1 as a raw byte", "a\x9b31mb", `a\x9b31mb`},
		{"non-ASCII letters stay", "Zürich — 東京", "Zürich — 東京"},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("%s: Escape(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		secrets  []string
		gone     []string
		kept     []string
	}{
		{"echoed authorization header", `401: header "Authorization: Bearer ya29.a0AfH6SMB-secret" rejected`, nil,
			[]string{"a0AfH6SMB-secret"}, []string{"Authorization: Bearer REDACTED", "401"}},
		{"lbdiag's own token anywhere", "token opaque-token-1234 was rejected", []string{"opaque-token-1234"},
			[]string{"opaque-token-1234"}, []string{"was rejected"}},
		{"URL credentials and query", "fetching https://user:pa55@backend.example.com/hook?access_token=abc123&x=1 failed", nil,
			[]string{"pa55", "abc123", "user:"}, []string{"https://REDACTED@backend.example.com/hook?access_token=REDACTED&x=REDACTED"}},
		{"a parameter outside a URL", "config password=hunter2 key=AIzaSyXX", nil, []string{"hunter2", "AIzaSyXX"}, []string{"password=REDACTED"}},
		{"basic auth", "Authorization: Basic dXNlcjpwYXNz", nil, []string{"dXNlcjpwYXNz"}, []string{"Basic REDACTED"}},
		{"plain controller message stays", `Translation failed: invalid ingress spec: could not find service "shop/cart"`, nil, nil,
			[]string{`could not find service "shop/cart"`}},
	} {
		got := Scrub(tc.in, tc.secrets...)
		for _, g := range tc.gone {
			if strings.Contains(got, g) {
				t.Errorf("%s: %q still holds %q", tc.name, got, g)
			}
		}
		for _, k := range tc.kept {
			if !strings.Contains(got, k) {
				t.Errorf("%s: %q lost %q", tc.name, got, k)
			}
		}
	}
}

func TestBoundAndClean(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("é", 3000) // 6000 bytes
	got := Bound(big, MaxValue)
	if len(got) > MaxValue+64 || !strings.Contains(got, "more bytes cut by lbdiag") || !strings.HasPrefix(big, strings.Split(got, "…")[0]) {
		t.Errorf("Bound: %d bytes, %q...", len(got), got[len(got)-40:])
	}
	// Bounding again keeps the first cut's count (a report read back).
	if again := Bound(got, MaxValue); again != got {
		t.Errorf("Bound twice: ...%q, want ...%q", again[len(again)-40:], got[len(got)-40:])
	}
	// A forged marker with a count of a million digits is no way past
	// the bound.
	forged := "x…[" + strings.Repeat("9", 1<<20) + " more bytes cut by lbdiag]"
	if b := Bound(forged, MaxValue); len(b) > MaxValue+64 {
		t.Errorf("Bound of a forged marker: %d bytes", len(b))
	}
	if Bound("short", 10) != "short" {
		t.Error("a short value must stay whole")
	}
	if c := Clean("\x1b[2J" + "Bearer abcdefgh"); c != `\x1b[2JBearer REDACTED` {
		t.Errorf("Clean = %q", c)
	}
}

func TestMarshalKeepsAmpersands(t *testing.T) {
	t.Parallel()
	b, err := Marshal(map[string]string{"fix": "a && b <c>"}, "")
	if err != nil || string(b) != `{"fix":"a && b <c>"}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
}

func TestMarshalEscapesC1(t *testing.T) {
	t.Parallel()
	b, err := Marshal([]string{"a\u009b31m\x7f\x1b"}, "")
	if err != nil || string(b) != `["a\u009b31m\u007f\u001b"]` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
}

func TestScrubParams(t *testing.T) {
	for in, want := range map[string]string{
		"https://shop.example.com/cart?id=7&token=abc.def&sig=xyz": "https://shop.example.com/cart?id=7&token=" + Redacted + "&sig=" + Redacted,
		"a=1&api_key=s3cr3t":                  "a=1&api_key=" + Redacted,
		"lang=en&page=2":                      "lang=en&page=2",
		"monkey=banana":                       "monkey=banana",
		"https://h/p?access_token=ya29.abcde": "https://h/p?access_token=" + Redacted,
	} {
		if got := ScrubParams(in); got != want {
			t.Errorf("ScrubParams(%q) = %q, want %q", in, got, want)
		}
	}
}

// scrubAlways is Scrub without its shortcuts: every pattern on every text.
func scrubAlways(s string) string {
	s = bearer.ReplaceAllString(s, "$1 "+Redacted)
	s = googleToken.ReplaceAllString(s, "ya29."+Redacted)
	s = urlPattern.ReplaceAllStringFunc(s, scrubURL)
	return secretParam.ReplaceAllString(s, "$1="+Redacted)
}

// TestScrubShortcutsChangeNothing: Scrub skips a pattern on text that
// cannot match it; on texts built from the patterns' own pieces it says
// what running every pattern says.
func TestScrubShortcutsChangeNothing(t *testing.T) {
	t.Parallel()
	pieces := []string{"Bearer ", "BEARER\t", "basic ", "BaſIC ", "bAsIc ", "ya29.", "abcd1234", "https://", "user:pw@", "host.example.com",
		"/path", "?", "q=1", "&token=", "key=", "KEY=", "Key=", "sig=", "#frag", " ", "\"", "'", "=", "@", "é", "k8s1-abc", "auth=x"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(8) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := Scrub(s), scrubAlways(s); got != want {
			t.Fatalf("Scrub(%q) = %q, every pattern gives %q", s, got, want)
		}
	}
}
