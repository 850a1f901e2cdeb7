package trace

import (
	"fmt"
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
)

const bsBase = "https://www.googleapis.com/compute/v1/projects/p/global/backendServices/"

func bs(name string) string { return bsBase + name }

// pathMap is a URL map with one host rule per path matcher: hosts ->
// path rules (path -> service name), every matcher defaulting to "def".
func pathMap(hosts map[string][]string, rules map[string]map[string]string) *compute.UrlMap {
	um := &compute.UrlMap{Name: "m", DefaultService: bs("map-default")}
	for pm, hs := range hosts {
		um.HostRules = append(um.HostRules, &compute.HostRule{Hosts: hs, PathMatcher: pm})
		m := &compute.PathMatcher{Name: pm, DefaultService: bs(pm + "-default")}
		for path, svc := range rules[pm] {
			m.PathRules = append(m.PathRules, &compute.PathRule{Paths: []string{path}, Service: bs(svc)})
		}
		um.PathMatchers = append(um.PathMatchers, m)
	}
	return um
}

// routeMap is a URL map whose host "*" uses route rules.
func routeMap(rules ...*compute.HttpRouteRule) *compute.UrlMap {
	return &compute.UrlMap{Name: "m", DefaultService: bs("map-default"),
		HostRules:    []*compute.HostRule{{Hosts: []string{"*"}, PathMatcher: "routes"}},
		PathMatchers: []*compute.PathMatcher{{Name: "routes", DefaultService: bs("routes-default"), RouteRules: rules}}}
}

func rr(prio int64, svc string, matches ...*compute.HttpRouteRuleMatch) *compute.HttpRouteRule {
	return &compute.HttpRouteRule{Priority: prio, Service: bs(svc), MatchRules: matches}
}

func prefix(p string, hs ...*compute.HttpHeaderMatch) *compute.HttpRouteRuleMatch {
	return &compute.HttpRouteRuleMatch{PrefixMatch: p, HeaderMatches: hs}
}

func query(qs ...*compute.HttpQueryParameterMatch) *compute.HttpRouteRuleMatch {
	return &compute.HttpRouteRuleMatch{PrefixMatch: "/", QueryParameterMatches: qs}
}

// ingressMap renders an Ingress host's paths as ingress-gce does: each
// path of the Ingress becomes the URL-map paths validateAndGetPaths gives.
func ingressMap(host string, paths map[string][]string) *compute.UrlMap {
	um := &compute.UrlMap{Name: "k8s2-um-x", DefaultService: bs("default-http-backend"),
		HostRules: []*compute.HostRule{{Hosts: []string{host}, PathMatcher: "host1"}}}
	pm := &compute.PathMatcher{Name: "host1", DefaultService: bs("default-http-backend")}
	for svc, ps := range paths {
		pm.PathRules = append(pm.PathRules, &compute.PathRule{Paths: ps, Service: bs(svc)})
	}
	um.PathMatchers = []*compute.PathMatcher{pm}
	return um
}

// TestRoute is Google's documented matching, case by case: host rules,
// path rules, route rules with every predicate, redirects, rewrites,
// splits, and the paths ingress-gce renders for each Ingress pathType.
func TestRoute(t *testing.T) {
	t.Parallel()
	hostMap := pathMap(map[string][]string{
		"exact": {"shop.example.com"}, "wild": {"*.example.com"}, "deeper": {"*.api.example.com"}, "dash": {"*-eu.example.net"}, "star": {"*"},
	}, map[string]map[string]string{"exact": {"/*": "shop"}, "wild": {"/*": "wild"}, "deeper": {"/*": "deeper"}, "dash": {"/*": "dash"}, "star": {"/*": "star"}})
	noStar := pathMap(map[string][]string{"exact": {"shop.example.com"}, "port": {"shop.example.com:8080"}},
		map[string]map[string]string{"exact": {"/*": "shop"}, "port": {"/*": "shop-8080"}})
	paths := pathMap(map[string][]string{"pm": {"*"}}, map[string]map[string]string{"pm": {
		"/foo": "foo-exact", "/foo/*": "foo-prefix", "/a/*": "a", "/a/b/*": "ab", "/video/hd/*": "hd", "/video/hd/movie1": "movie1",
	}})
	slashAll := pathMap(map[string][]string{"pm": {"*"}}, map[string]map[string]string{"pm": {"/*": "all"}})
	// ingress-gce pkg/controller/translator validateAndGetPaths: Prefix
	// /foo -> /foo, /foo/*; Prefix / -> /*; Exact and ImplementationSpecific
	// unchanged.
	prefixIngress := ingressMap("shop.example.com", map[string][]string{"cart": {"/cart", "/cart/*"}, "web": {"/*"}})
	exactIngress := ingressMap("shop.example.com", map[string][]string{"health": {"/healthz"}})
	implSpecific := ingressMap("shop.example.com", map[string][]string{"static": {"/static/*"}})

	hdr := func(name string, edit func(*compute.HttpHeaderMatch)) *compute.HttpHeaderMatch {
		h := &compute.HttpHeaderMatch{HeaderName: name}
		edit(h)
		return h
	}
	exact := func(v string) func(*compute.HttpHeaderMatch) {
		return func(h *compute.HttpHeaderMatch) { h.ExactMatch = v }
	}
	inverted := func(f func(*compute.HttpHeaderMatch)) func(*compute.HttpHeaderMatch) {
		return func(h *compute.HttpHeaderMatch) { f(h); h.InvertMatch = true }
	}
	present := func(h *compute.HttpHeaderMatch) { h.PresentMatch = true }
	between := func(a, b int64) func(*compute.HttpHeaderMatch) {
		return func(h *compute.HttpHeaderMatch) { h.RangeMatch = &compute.Int64RangeMatch{RangeStart: a, RangeEnd: b} }
	}
	headerRoute := func(h *compute.HttpHeaderMatch) *compute.UrlMap { return routeMap(rr(1, "matched", prefix("/", h))) }
	queryRoute := func(q *compute.HttpQueryParameterMatch) *compute.UrlMap { return routeMap(rr(1, "matched", query(q))) }
	redirectRule := func(m *compute.HttpRouteRuleMatch, ra *compute.HttpRedirectAction) *compute.UrlMap {
		return routeMap(&compute.HttpRouteRule{Priority: 1, MatchRules: []*compute.HttpRouteRuleMatch{m}, UrlRedirect: ra})
	}
	redirectOnly := &compute.UrlMap{Name: "k8s2-rm-x", DefaultUrlRedirect: &compute.HttpRedirectAction{HttpsRedirect: true, RedirectResponseCode: "MOVED_PERMANENTLY_DEFAULT"}}

	tests := []struct {
		name    string
		um      *compute.UrlMap
		url     string
		headers []string
		method  string
		classic bool
		// want is the action ("service NAME", "redirect CODE LOCATION",
		// "weighted A=share,B=share", "bucket NAME", "abort CODE"), with
		// " rewrite HOST PATH" when the backend gets another URL.
		want string
		// match, when set, is "hostRule/pathMatcher/pathRule|priority|default".
		match string
	}{
		// Host rules.
		{name: "exact host", um: hostMap, url: "https://shop.example.com/", want: "service shop", match: "shop.example.com/exact//*"},
		{name: "wildcard host", um: hostMap, url: "https://a.example.com/", want: "service wild"},
		{name: "a wildcard matches several labels", um: hostMap, url: "https://a.b.example.com/", want: "service wild"},
		{name: "a wildcard does not match its bare suffix", um: hostMap, url: "https://example.com/", want: "service star"},
		{name: "exact beats wildcard", um: hostMap, url: "https://shop.example.com/x", want: "service shop"},
		{name: "the longest wildcard wins", um: hostMap, url: "https://v1.api.example.com/", want: "service deeper"},
		{name: "a dash wildcard", um: hostMap, url: "https://shop-eu.example.net/", want: "service dash"},
		{name: "* catches the rest", um: hostMap, url: "https://other.test/", want: "service star"},
		{name: "no host rule: the map default", um: noStar, url: "https://other.test/", want: "service map-default", match: "default"},
		{name: "host names are case-insensitive", um: hostMap, url: "https://Shop.Example.COM/", want: "service shop"},
		{name: "classic ignores the port", um: noStar, url: "http://shop.example.com:8080/", classic: true, want: "service shop"},
		{name: "Envoy-based: a host:port rule", um: noStar, url: "http://shop.example.com:8080/", want: "service shop-8080"},
		{name: "Envoy-based: the default port matches the bare host", um: noStar, url: "https://shop.example.com:443/", want: "service shop"},
		{name: "a Host header overrides the URL's host", um: hostMap, url: "https://34.111.42.7/", headers: []string{"Host: shop.example.com"}, want: "service shop"},
		{name: "an IP address only meets *", um: hostMap, url: "https://34.111.42.7/", want: "service star"},

		// Path rules: exact first, then the longest /x/* prefix.
		{name: "exact path", um: paths, url: "http://h/foo", want: "service foo-exact", match: "*/pm//foo"},
		{name: "/foo/* does not match /foo", um: pathMap(map[string][]string{"pm": {"*"}}, map[string]map[string]string{"pm": {"/foo/*": "p"}}), url: "http://h/foo", want: "service pm-default", match: "default"},
		{name: "/foo/* matches below /foo/", um: paths, url: "http://h/foo/bar/baz", want: "service foo-prefix"},
		{name: "/foo/* matches /foo/", um: paths, url: "http://h/foo/", want: "service foo-prefix"},
		{name: "the longest prefix wins", um: paths, url: "http://h/a/b/c", want: "service ab"},
		{name: "exact beats a prefix", um: paths, url: "http://h/video/hd/movie1", want: "service movie1"},
		{name: "a prefix for the rest", um: paths, url: "http://h/video/hd/movie2", want: "service hd"},
		{name: "/* matches everything", um: slashAll, url: "http://h/anything/at/all", want: "service all"},
		{name: "no path rule: the path matcher default", um: paths, url: "http://h/b", want: "service pm-default", match: "default"},
		{name: "the query is not part of the path", um: paths, url: "http://h/foo?x=1", want: "service foo-exact"},
		{name: "paths are case-sensitive", um: paths, url: "http://h/Foo", want: "service pm-default"},
		{name: "no percent-decoding", um: paths, url: "http://h/a%2Fb/c", want: "service pm-default"},
		{name: "a trailing slash is not the exact path", um: pathMap(map[string][]string{"pm": {"*"}}, map[string]map[string]string{"pm": {"/foo": "x"}}), url: "http://h/foo/", want: "service pm-default"},

		// What ingress-gce renders.
		{name: "Prefix /cart: /cart", um: prefixIngress, url: "https://shop.example.com/cart", want: "service cart"},
		{name: "Prefix /cart: /cart/", um: prefixIngress, url: "https://shop.example.com/cart/", want: "service cart"},
		{name: "Prefix /cart: /cart/items", um: prefixIngress, url: "https://shop.example.com/cart/items", want: "service cart"},
		{name: "Prefix /cart: not /cartoon", um: prefixIngress, url: "https://shop.example.com/cartoon", want: "service web"},
		{name: "Prefix /: everything else", um: prefixIngress, url: "https://shop.example.com/", want: "service web"},
		{name: "Exact /healthz", um: exactIngress, url: "https://shop.example.com/healthz", want: "service health"},
		{name: "Exact /healthz: not below it", um: exactIngress, url: "https://shop.example.com/healthz/x", want: "service default-http-backend", match: "default"},
		{name: "ImplementationSpecific /static/*", um: implSpecific, url: "https://shop.example.com/static/app.js", want: "service static"},
		{name: "ImplementationSpecific /static/*: not /static", um: implSpecific, url: "https://shop.example.com/static", want: "service default-http-backend"},
		{name: "another host: the Ingress default backend", um: prefixIngress, url: "https://www.example.com/cart", want: "service default-http-backend", match: "default"},

		// Route rules: ascending priority, first match; OR across
		// matchRules, AND within one.
		{name: "the lower priority wins", um: routeMap(rr(20, "later", prefix("/")), rr(10, "first", prefix("/api"))), url: "http://h/api/x", want: "service first", match: "10"},
		{name: "close priorities, any order", um: routeMap(rr(2, "two", prefix("/de")), rr(1, "one", prefix("/de"))), url: "http://h/de", want: "service one", match: "1"},
		{name: "prefixMatch is a string prefix", um: routeMap(rr(1, "west", prefix("/west"))), url: "http://h/western", want: "service west"},
		{name: "a * in prefixMatch is literal", um: routeMap(rr(1, "star", prefix("/a*"))), url: "http://h/abc", want: "service routes-default"},
		{name: "fullPathMatch", um: routeMap(rr(1, "full", &compute.HttpRouteRuleMatch{FullPathMatch: "/west"})), url: "http://h/west?x=1", want: "service full"},
		{name: "fullPathMatch is exact", um: routeMap(rr(1, "full", &compute.HttpRouteRuleMatch{FullPathMatch: "/west"})), url: "http://h/west/", want: "service routes-default", match: "default"},
		{name: "fullPathMatch ignoreCase", um: routeMap(rr(1, "full", &compute.HttpRouteRuleMatch{FullPathMatch: "/West", IgnoreCase: true})), url: "http://h/WEST", want: "service full"},
		{name: "prefixMatch ignoreCase", um: routeMap(rr(1, "p", &compute.HttpRouteRuleMatch{PrefixMatch: "/API/", IgnoreCase: true})), url: "http://h/api/v1", want: "service p"},
		{name: "regexMatch matches the whole path", um: routeMap(rr(1, "re", &compute.HttpRouteRuleMatch{RegexMatch: "/videos/hd.*"})), url: "http://h/videos/hd/1", want: "service re"},
		{name: "regexMatch is not a search", um: routeMap(rr(1, "re", &compute.HttpRouteRuleMatch{RegexMatch: "/videos"})), url: "http://h/videos/hd", want: "service routes-default"},
		{name: "pathTemplateMatch: * is one segment", um: routeMap(rr(1, "tpl", &compute.HttpRouteRuleMatch{PathTemplateMatch: "/users/*/cart"})), url: "http://h/users/ann/cart", want: "service tpl"},
		{name: "pathTemplateMatch: * is not two", um: routeMap(rr(1, "tpl", &compute.HttpRouteRuleMatch{PathTemplateMatch: "/users/*/cart"})), url: "http://h/users/a/b/cart", want: "service routes-default"},
		{name: "pathTemplateMatch: ** is any depth", um: routeMap(rr(1, "tpl", &compute.HttpRouteRuleMatch{PathTemplateMatch: "/static/**"})), url: "http://h/static/a/b/c.js", want: "service tpl"},
		{name: "pathTemplateRewrite uses the captures", um: routeMap(&compute.HttpRouteRule{Priority: 1, Service: bs("carts"),
			MatchRules:  []*compute.HttpRouteRuleMatch{{PathTemplateMatch: "/users/{username=*}/carts/{cartid=**}"}},
			RouteAction: &compute.HttpRouteAction{UrlRewrite: &compute.UrlRewrite{PathTemplateRewrite: "/{username}-{cartid}/"}}}),
			url: "http://h/users/abc@xyz.com/carts/FL01/entries/SJ?fields=FULL", want: "service carts rewrite h /abc@xyz.com-FL01/entries/SJ/"},
		{name: "matchRules are ORed", um: routeMap(rr(1, "either", prefix("/a"), prefix("/b"))), url: "http://h/b/x", want: "service either"},
		{name: "predicates are ANDed", um: routeMap(rr(1, "canary", prefix("/", hdr("env", exact("canary"))))), url: "http://h/", want: "service routes-default"},
		{name: "no route rule: the path matcher default", um: routeMap(rr(1, "api", prefix("/api"))), url: "http://h/web", want: "service routes-default", match: "default"},

		// Header predicates.
		{name: "header exactMatch", um: headerRoute(hdr("env", exact("canary"))), url: "http://h/", headers: []string{"env: canary"}, want: "service matched"},
		{name: "header exactMatch, another value", um: headerRoute(hdr("env", exact("canary"))), url: "http://h/", headers: []string{"env: prod"}, want: "service routes-default"},
		{name: "inverted exactMatch, another value", um: headerRoute(hdr("env", inverted(exact("canary")))), url: "http://h/", headers: []string{"env: prod"}, want: "service matched"},
		{name: "inverted exactMatch, header absent", um: headerRoute(hdr("env", inverted(exact("canary")))), url: "http://h/", want: "service routes-default"},
		{name: "header prefixMatch", um: headerRoute(hdr("user-agent", func(h *compute.HttpHeaderMatch) { h.PrefixMatch = "Mozilla/" })), url: "http://h/", headers: []string{"User-Agent: Mozilla/5.0"}, want: "service matched"},
		{name: "header suffixMatch", um: headerRoute(hdr("user-agent", func(h *compute.HttpHeaderMatch) { h.SuffixMatch = "-hd" })), url: "http://h/", headers: []string{"User-Agent: app-hd"}, want: "service matched"},
		{name: "header regexMatch", um: headerRoute(hdr("user-agent", func(h *compute.HttpHeaderMatch) { h.RegexMatch = ".*Android.*" })), url: "http://h/", headers: []string{"User-Agent: x Android 14"}, want: "service matched"},
		{name: "header presentMatch", um: headerRoute(hdr("x-debug", present)), url: "http://h/", headers: []string{"X-Debug: "}, want: "service matched"},
		{name: "header presentMatch, absent", um: headerRoute(hdr("x-debug", present)), url: "http://h/", want: "service routes-default"},
		{name: "inverted presentMatch, absent", um: headerRoute(hdr("x-debug", inverted(present))), url: "http://h/", want: "service matched"},
		{name: "inverted presentMatch, present", um: headerRoute(hdr("x-debug", inverted(present))), url: "http://h/", headers: []string{"X-Debug: 1"}, want: "service routes-default"},
		{name: "rangeMatch includes its start", um: headerRoute(hdr("x-version", between(-5, 0))), url: "http://h/", headers: []string{"x-version: -5"}, want: "service matched"},
		{name: "rangeMatch excludes its end", um: headerRoute(hdr("x-version", between(-5, 0))), url: "http://h/", headers: []string{"x-version: 0"}, want: "service routes-default"},
		{name: "rangeMatch needs an integer", um: headerRoute(hdr("x-version", between(-5, 0))), url: "http://h/", headers: []string{"x-version: -3someString"}, want: "service routes-default"},
		{name: "inverted rangeMatch", um: headerRoute(hdr("x-version", inverted(between(1, 5)))), url: "http://h/", headers: []string{"x-version: 7"}, want: "service matched"},
		{name: ":method", um: headerRoute(hdr(":method", exact("POST"))), url: "http://h/", method: "post", want: "service matched"},
		{name: ":authority", um: headerRoute(hdr(":authority", exact("h:8080"))), url: "http://h:8080/", want: "service matched"},
		{name: "header names are case-insensitive", um: headerRoute(hdr("X-ENV", exact("canary"))), url: "http://h/", headers: []string{"x-env: canary"}, want: "service matched"},
		{name: "several values are joined", um: headerRoute(hdr("x-tag", exact("a,b"))), url: "http://h/", headers: []string{"x-tag: a", "x-tag: b"}, want: "service matched"},

		// Query predicates.
		{name: "query exactMatch", um: queryRoute(&compute.HttpQueryParameterMatch{Name: "v", ExactMatch: "2"}), url: "http://h/?v=2", want: "service matched"},
		{name: "query exactMatch, another value", um: queryRoute(&compute.HttpQueryParameterMatch{Name: "v", ExactMatch: "2"}), url: "http://h/?v=3", want: "service routes-default"},
		{name: "query presentMatch without a value", um: queryRoute(&compute.HttpQueryParameterMatch{Name: "debug", PresentMatch: true}), url: "http://h/?debug", want: "service matched"},
		{name: "query absent", um: queryRoute(&compute.HttpQueryParameterMatch{Name: "debug", PresentMatch: true}), url: "http://h/?x=1", want: "service routes-default"},
		{name: "query regexMatch", um: queryRoute(&compute.HttpQueryParameterMatch{Name: "q", RegexMatch: "param_value_.*-hd"}), url: "http://h/?q=param_value_123abc-hd", want: "service matched"},
		{name: "a repeated parameter: the first value", um: queryRoute(&compute.HttpQueryParameterMatch{Name: "v", ExactMatch: "1"}), url: "http://h/?v=2&v=1", want: "service routes-default"},
		{name: "query values are decoded", um: queryRoute(&compute.HttpQueryParameterMatch{Name: "q", ExactMatch: "a b"}), url: "http://h/?q=a%20b", want: "service matched"},

		// Redirects.
		{name: "the HTTPS redirect map (FrontendConfig)", um: redirectOnly, url: "http://shop.example.com/cart?id=1", want: "redirect 301 https://shop.example.com/cart?id=1", match: "default"},
		{name: "an HTTPS redirect drops the default port", um: redirectOnly, url: "http://shop.example.com:80/", want: "redirect 301 https://shop.example.com/"},
		{name: "stripQuery", um: redirectRule(prefix("/old"), &compute.HttpRedirectAction{PathRedirect: "/new", StripQuery: true}), url: "http://h/old?a=1", want: "redirect 301 http://h/new"},
		{name: "hostRedirect and 302", um: redirectRule(prefix("/"), &compute.HttpRedirectAction{HostRedirect: "www.example.com", RedirectResponseCode: "FOUND"}), url: "https://example.com/a?b=c", want: "redirect 302 https://www.example.com/a?b=c"},
		{name: "prefixRedirect replaces the matched prefix", um: redirectRule(prefix("/v1/"), &compute.HttpRedirectAction{PrefixRedirect: "/v2/", RedirectResponseCode: "TEMPORARY_REDIRECT"}), url: "http://h/v1/users?id=3", want: "redirect 307 http://h/v2/users?id=3"},
		{name: "prefixRedirect on a path rule /old/*", um: &compute.UrlMap{Name: "m", DefaultService: bs("d"), HostRules: []*compute.HostRule{{Hosts: []string{"*"}, PathMatcher: "pm"}},
			PathMatchers: []*compute.PathMatcher{{Name: "pm", DefaultService: bs("d"), PathRules: []*compute.PathRule{{Paths: []string{"/old/*"},
				UrlRedirect: &compute.HttpRedirectAction{PrefixRedirect: "/new/", RedirectResponseCode: "PERMANENT_REDIRECT"}}}}}},
			url: "http://h/old/a/b", want: "redirect 308 http://h/new/a/b"},
		{name: "a default prefixRedirect prefixes the path", um: &compute.UrlMap{Name: "m", DefaultUrlRedirect: &compute.HttpRedirectAction{HttpsRedirect: true, HostRedirect: "www.example.com", PrefixRedirect: "/newPrefix"}},
			url: "http://any.example/originalPath", want: "redirect 301 https://www.example.com/newPrefix/originalPath"},
		{name: "303", um: redirectRule(prefix("/"), &compute.HttpRedirectAction{PathRedirect: "/x", RedirectResponseCode: "SEE_OTHER"}), url: "http://h/", want: "redirect 303 http://h/x"},
		{name: "dot segments: the load balancer's own 302", um: paths, url: "http://h/video/../foo", want: "redirect 302 http://h/foo"},

		// Other actions.
		{name: "a weighted split", um: routeMap(&compute.HttpRouteRule{Priority: 1, MatchRules: []*compute.HttpRouteRuleMatch{prefix("/")},
			RouteAction: &compute.HttpRouteAction{WeightedBackendServices: []*compute.WeightedBackendService{{BackendService: bs("v1"), Weight: 90}, {BackendService: bs("v2"), Weight: 10}}}}),
			url: "http://h/", want: "weighted v1=0.90,v2=0.10"},
		{name: "a rewrite of host and prefix", um: routeMap(&compute.HttpRouteRule{Priority: 1, Service: bs("api"), MatchRules: []*compute.HttpRouteRuleMatch{prefix("/api/")},
			RouteAction: &compute.HttpRouteAction{UrlRewrite: &compute.UrlRewrite{HostRewrite: "internal.example", PathPrefixRewrite: "/"}}}),
			url: "http://h/api/v1/users", want: "service api rewrite internal.example /v1/users"},
		{name: "a backend bucket", um: pathMap(map[string][]string{"pm": {"*"}}, nil), url: "http://h/", want: "service pm-default"},
		{name: "a bucket on a path rule", um: &compute.UrlMap{Name: "m", DefaultService: bs("d"), HostRules: []*compute.HostRule{{Hosts: []string{"*"}, PathMatcher: "pm"}},
			PathMatchers: []*compute.PathMatcher{{Name: "pm", DefaultService: bs("d"), PathRules: []*compute.PathRule{{Paths: []string{"/static/*"}, Service: "https://www.googleapis.com/compute/v1/projects/p/global/backendBuckets/assets"}}}}},
			url: "http://h/static/x.png", want: "bucket assets"},
		{name: "GKE Gateway's 404: fault injection", um: &compute.UrlMap{Name: "gkegw1-m", DefaultRouteAction: &compute.HttpRouteAction{
			FaultInjectionPolicy:    &compute.HttpFaultInjection{Abort: &compute.HttpFaultAbort{HttpStatus: 404, Percentage: 100}},
			WeightedBackendServices: []*compute.WeightedBackendService{{BackendService: bs("gw-serve404"), Weight: 1}}}}, url: "http://h/", want: "abort 404"},
	}
	if len(tests) < 60 {
		t.Fatalf("%d cases: the matcher's table holds at least 60", len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := ParseRequest(tc.url, tc.method, tc.headers)
			if err != nil {
				t.Fatal(err)
			}
			m, a := Route(tc.um, req, tc.classic)
			if got := actionString(a); got != tc.want {
				t.Errorf("action %q, want %q", got, tc.want)
			}
			if tc.match != "" {
				if got := matchString(m); got != tc.match {
					t.Errorf("match %q, want %q", got, tc.match)
				}
			}
		})
	}
}

func actionString(a Action) string {
	tail := func(s string) string { return s[strings.LastIndex(s, "/")+1:] }
	var s string
	switch a.Type {
	case ActionService:
		s = "service " + tail(a.BackendService)
	case ActionBucket:
		s = "bucket " + tail(a.BackendBucket)
	case ActionRedirect:
		s = fmt.Sprintf("redirect %d %s", a.Code, a.Location)
	case ActionAbort:
		s = fmt.Sprintf("abort %d", a.Code)
	case ActionWeighted:
		var parts []string
		for _, b := range a.Backends {
			parts = append(parts, fmt.Sprintf("%s=%.2f", tail(b.BackendService), b.Share))
		}
		s = "weighted " + strings.Join(parts, ",")
	default:
		s = a.Type
	}
	if a.Rewrite != nil {
		s += " rewrite " + a.Rewrite.Host + " " + a.Rewrite.Path
	}
	return s
}

func matchString(m Match) string {
	switch {
	case m.Default:
		return "default"
	case m.RouteRulePriority != nil:
		return fmt.Sprint(*m.RouteRulePriority)
	}
	return strings.Join(m.HostRule, ",") + "/" + m.PathMatcher + "/" + strings.Join(m.PathRule, ",")
}

// TestCheckTests runs a map's own tests: Google stored the map because
// they pass, so the matcher must agree with each; a matcher bug shows as
// a disagreement naming the test.
func TestCheckTests(t *testing.T) {
	t.Parallel()
	um := ingressMap("shop.example.com", map[string][]string{"cart": {"/cart", "/cart/*"}, "web": {"/*"}})
	um.Tests = []*compute.UrlMapTest{
		{Host: "shop.example.com", Path: "/cart/items?id=1", Service: "projects/p/global/backendServices/cart"},
		{Host: "shop.example.com", Path: "/", Service: bs("web")},
		{Host: "other.example.com", Path: "/cart", Service: "global/backendServices/default-http-backend"},
	}
	if d := CheckTests(um, true); len(d) != 0 {
		t.Errorf("disagreements: %+v", d)
	}
	um.Tests = append(um.Tests, &compute.UrlMapTest{Host: "shop.example.com", Path: "/cartoon", Service: bs("cart"), Description: "a wrong belief"})
	d := CheckTests(um, true)
	if len(d) != 1 || !strings.Contains(d[0].Test, "/cartoon") || d[0].Want != "service global/backendServices/cart" || d[0].Got != "service global/backendServices/web" {
		t.Errorf("disagreements: %+v", d)
	}
	redirect := &compute.UrlMap{Name: "r", DefaultUrlRedirect: &compute.HttpRedirectAction{HttpsRedirect: true},
		Tests: []*compute.UrlMapTest{{Host: "a.example", Path: "/x?y=1", ExpectedRedirectResponseCode: 301, ExpectedOutputUrl: "https://a.example/x?y=1"}}}
	if d := CheckTests(redirect, true); len(d) != 0 {
		t.Errorf("redirect test: %+v", d)
	}
	rewrite := routeMap(&compute.HttpRouteRule{Priority: 1, Service: bs("api"), MatchRules: []*compute.HttpRouteRuleMatch{prefix("/api/")},
		RouteAction: &compute.HttpRouteAction{UrlRewrite: &compute.UrlRewrite{PathPrefixRewrite: "/"}}})
	rewrite.Tests = []*compute.UrlMapTest{{Host: "h", Path: "/api/users", Service: bs("api"), ExpectedOutputUrl: "http://h/users"}}
	if d := CheckTests(rewrite, false); len(d) != 0 {
		t.Errorf("rewrite test: %+v", d)
	}
}
