package trace

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"
)

// Disagreement is a test of a URL map that lbdiag's matcher answers
// differently from Google. Compute Engine stores a map only when every
// one of its tests passes, so a disagreement means lbdiag's matcher is
// wrong for that map, never the map.
type Disagreement struct {
	// Test says which test: its host, path and headers.
	Test string
	// Want is what the test (and Google) expect; Got what lbdiag computed.
	Want, Got string
}

// CheckTests runs a URL map's own tests through the matcher.
func CheckTests(um *compute.UrlMap, classic bool) []Disagreement {
	var out []Disagreement
	for _, t := range um.Tests {
		if t == nil {
			continue
		}
		req, err := testRequest(t)
		if err != nil {
			out = append(out, Disagreement{Test: describeTest(t), Want: "a request", Got: err.Error()})
			continue
		}
		_, a := Route(um, req, classic)
		if want, got, ok := compareTest(t, req, a); !ok {
			out = append(out, Disagreement{Test: describeTest(t), Want: want, Got: got})
		}
	}
	return out
}

// testRequest is the request a test describes. Its scheme is http: a
// test's expected URL names the scheme only for redirects.
func testRequest(t *compute.UrlMapTest) (Request, error) {
	var headers []string
	host := t.Host
	for _, h := range t.Headers {
		if strings.EqualFold(h.Name, "Host") && host == "" {
			host = h.Value
			continue
		}
		if !strings.EqualFold(h.Name, "Host") {
			headers = append(headers, h.Name+": "+h.Value)
		}
	}
	path := t.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return ParseRequest("http://"+host+path, http.MethodGet, headers)
}

func describeTest(t *compute.UrlMapTest) string {
	s := "host " + t.Host + " path " + t.Path
	for _, h := range t.Headers {
		s += ", header " + h.Name + ": " + h.Value
	}
	if t.Description != "" {
		s += " (" + t.Description + ")"
	}
	return s
}

// compareTest checks one test against the action lbdiag computed.
func compareTest(t *compute.UrlMapTest, r Request, a Action) (want, got string, ok bool) {
	switch {
	case t.ExpectedRedirectResponseCode != 0:
		want = fmt.Sprintf("a %d redirect", t.ExpectedRedirectResponseCode)
		if t.ExpectedOutputUrl != "" {
			want += " to " + t.ExpectedOutputUrl
		}
		got = describeAction(a)
		if a.Type != ActionRedirect || int64(a.Code) != t.ExpectedRedirectResponseCode {
			return want, got, false
		}
		if t.ExpectedOutputUrl != "" && !sameURL(t.ExpectedOutputUrl, a.Location, true) {
			return want, got, false
		}
		return want, got, true
	case t.Service != "":
		want, got = "service "+resourceTail(t.Service), describeAction(a)
		target := a.BackendService
		if a.Type == ActionBucket {
			target = a.BackendBucket
		}
		if (a.Type != ActionService && a.Type != ActionBucket) || resourceTail(target) != resourceTail(t.Service) {
			return want, got, false
		}
		if t.ExpectedOutputUrl != "" {
			out := r
			if a.Rewrite != nil {
				out.Host, out.Path = a.Rewrite.Host, a.Rewrite.Path
				out.ExplicitPort = false
			}
			want += " receiving " + t.ExpectedOutputUrl
			got += " receiving " + out.URL()
			if !sameURL(t.ExpectedOutputUrl, out.URL(), false) {
				return want, got, false
			}
		}
		return want, got, true
	case t.ExpectedOutputUrl != "":
		// A test of the output URL alone: the forwarded request.
		want, got = "output "+t.ExpectedOutputUrl, describeAction(a)
		loc := a.Location
		if a.Type != ActionRedirect {
			out := r
			if a.Rewrite != nil {
				out.Host, out.Path, out.ExplicitPort = a.Rewrite.Host, a.Rewrite.Path, false
			}
			loc = out.URL()
		}
		return want, got, sameURL(t.ExpectedOutputUrl, loc, a.Type == ActionRedirect)
	}
	return "", "", true
}

// sameURL compares two URLs, with or without their schemes.
func sameURL(a, b string, scheme bool) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	if scheme && ua.Scheme != ub.Scheme {
		return false
	}
	return strings.EqualFold(ua.Host, ub.Host) && ua.EscapedPath() == ub.EscapedPath() && ua.RawQuery == ub.RawQuery
}

// resourceTail is "scope/collection/name" of a resource reference, full
// or partial, so that references compare whatever their form.
func resourceTail(ref string) string {
	parts := strings.Split(strings.Trim(ref, "/"), "/")
	for i := range parts {
		if parts[i] == "global" && i+2 < len(parts) {
			return strings.Join(parts[i:i+3], "/")
		}
		if parts[i] == "regions" && i+3 < len(parts) {
			return strings.Join(parts[i:i+4], "/")
		}
	}
	return ref
}

// describeAction renders an action for messages.
func describeAction(a Action) string {
	switch a.Type {
	case ActionService:
		return "service " + resourceTail(a.BackendService)
	case ActionBucket:
		return "bucket " + resourceTail(a.BackendBucket)
	case ActionRedirect:
		return strconv.Itoa(a.Code) + " redirect to " + a.Location
	case ActionWeighted:
		var parts []string
		for _, b := range a.Backends {
			parts = append(parts, fmt.Sprintf("%s (weight %d)", resourceTail(b.BackendService), b.Weight))
		}
		return "a split to " + strings.Join(parts, ", ")
	case ActionAbort:
		return fmt.Sprintf("an abort with %d", a.Code)
	}
	return "no action"
}
