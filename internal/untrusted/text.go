package untrusted

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxValue is the most bytes of one untrusted value lbdiag quotes in a
// message or keeps in evidence; the rest is cut with a marker.
const MaxValue = 4 << 10

// Escape makes text safe for a terminal, a CSV cell or a log line: every
// C0 control character but newline and tab, DEL, every C1 control
// character and every byte that is not UTF-8 is written as a Go escape
// (\x1b, \u009b, ...). Escape sequences from data then cannot move the
// cursor, recolour the screen, set the window title or write the
// clipboard.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) {
			return true
		}
		i += size
	}
	return false
}

// Bound cuts s to at most max bytes (on a rune boundary) and says how much
// was cut: at most max bytes and the marker, which a text Bound already
// cut keeps.
func Bound(s string, max int) string {
	if len(s) <= max {
		return s
	}
	// Bounded already (a report read back, text cleaned twice): the
	// marker keeps the first count. Its count has at most 19 digits, so
	// a forged marker cannot carry more.
	if m := cutMarker.FindStringIndex(s); m != nil && m[0] <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…[%d more bytes cut by lbdiag]", len(s)-cut)
}

// cutMarker is the end Bound gives a text it cut.
var cutMarker = regexp.MustCompile(`…\[\d{1,19} more bytes cut by lbdiag\]$`)

// Redacted replaces a secret lbdiag removed from text.
const Redacted = "REDACTED"

var (
	bearer      = regexp.MustCompile(`(?i)(bearer|\bbasic)\s+[A-Za-z0-9._~+/=-]{4,}`)
	googleToken = regexp.MustCompile(`\bya29\.[A-Za-z0-9._-]+`)
	urlPattern  = regexp.MustCompile(`\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>` + "`" + `]+`)
	secretParam = regexp.MustCompile(`(?i)\b(access_token|id_token|refresh_token|token|password|passwd|secret|client_secret|api[_-]?key|key|sig|signature|auth)=[^&\s"']+`)
)

// Scrub removes credentials from untrusted text: the given secrets (the
// access token lbdiag sent, say), anything after "Bearer " or "Basic ",
// Google OAuth tokens, the user information and query values of URLs, and
// values of token=, password=, key= and the like. Names, hosts and paths
// stay, so that the text still says what happened.
func Scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
	}
	// Each pattern runs only on text that holds what it needs: most text
	// holds none, and the patterns are most of a report's CPU time.
	// (The pattern folds case as Unicode does: "ſ" is an "s".)
	if containsFold(s, "bearer") || containsFold(s, "basic") || strings.Contains(s, "ſ") {
		s = bearer.ReplaceAllString(s, "$1 "+Redacted)
	}
	if strings.Contains(s, "ya29.") {
		s = googleToken.ReplaceAllString(s, "ya29."+Redacted)
	}
	// scrubURL changes only a URL with user information or a query.
	if strings.Contains(s, "://") && strings.ContainsAny(s, "@?") {
		s = urlPattern.ReplaceAllStringFunc(s, scrubURL)
	}
	if strings.Contains(s, "=") {
		s = secretParam.ReplaceAllString(s, "$1="+Redacted)
	}
	return s
}

// containsFold reports whether s holds the lower-case ASCII word w in any
// case.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i]|0x20 == w[0] && strings.EqualFold(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

// scrubURL drops a URL's user information and the values of its query.
func scrubURL(u string) string {
	scheme, rest, _ := strings.Cut(u, "://")
	host, path, hasPath := strings.Cut(rest, "/")
	if at := strings.LastIndex(host, "@"); at >= 0 {
		host = Redacted + "@" + host[at+1:]
	}
	out := scheme + "://" + host
	if hasPath {
		out += "/" + path
	}
	base, query, hasQuery := strings.Cut(out, "?")
	if !hasQuery {
		return out
	}
	frag := ""
	if i := strings.Index(query, "#"); i >= 0 {
		query, frag = query[:i], query[i:]
	}
	parts := strings.Split(query, "&")
	for i, p := range parts {
		if k, _, ok := strings.Cut(p, "="); ok {
			parts[i] = k + "=" + Redacted
		}
	}
	return base + "?" + strings.Join(parts, "&") + frag
}

// Clean is what every untrusted text goes through before lbdiag prints or
// keeps it: scrubbed of credentials, bounded to MaxValue, and escaped.
func Clean(s string, secrets ...string) string {
	return CleanN(s, MaxValue, secrets...)
}

// CleanN is Clean with a bound of its own.
func CleanN(s string, max int, secrets ...string) string {
	return Escape(Bound(Scrub(s, secrets...), max))
}

// ScrubParams redacts the values of query parameters that look like
// credentials (token=, key=, sig=, password= and the like) and keeps the
// others: a URL a user traces stays recognizable, its secrets do not
// reach a report.
func ScrubParams(s string) string {
	return secretParam.ReplaceAllString(s, "$1="+Redacted)
}
