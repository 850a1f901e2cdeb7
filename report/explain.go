package report

import (
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
)

// ResourceQuery names resources for --explain-passed: "KIND NS/NAME",
// "KIND/NS/NAME", "KIND/NAME", "NS/NAME", "NAME" (NAME may be a glob), or a
// Compute Engine resource URL. Kinds compare without case.
type ResourceQuery struct {
	Kind, Namespace, Name, Project string
	// nsOrKind is the first part of "A/NAME": a kind or a namespace.
	nsOrKind string
}

// ParseResourceQuery reads a resource query.
func ParseResourceQuery(q string) (ResourceQuery, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return ResourceQuery{}, fmt.Errorf("name a resource: KIND NAMESPACE/NAME, NAMESPACE/NAME, NAME or a resource URL")
	}
	if strings.Contains(q, "://") || strings.HasPrefix(q, "projects/") {
		return ResourceQuery{Project: inventory.ProjectOf(q), Name: inventory.LastSegment(q)}, nil
	}
	var rq ResourceQuery
	if kind, rest, ok := strings.Cut(q, " "); ok {
		rq.Kind, q = kind, strings.TrimSpace(rest)
	}
	parts := strings.Split(q, "/")
	switch {
	case len(parts) == 1:
		rq.Name = parts[0]
	case len(parts) == 2 && rq.Kind != "":
		rq.Namespace, rq.Name = parts[0], parts[1]
	case len(parts) == 2:
		rq.nsOrKind, rq.Name = parts[0], parts[1]
	case len(parts) == 3 && rq.Kind == "":
		rq.Kind, rq.Namespace, rq.Name = parts[0], parts[1], parts[2]
	default:
		return rq, fmt.Errorf("%q: want KIND NAMESPACE/NAME, KIND/NAMESPACE/NAME, NAMESPACE/NAME, NAME or a resource URL", q)
	}
	if _, err := path.Match(rq.Name, ""); err != nil || rq.Name == "" {
		return rq, fmt.Errorf("%q: the name is not a valid glob", rq.Name)
	}
	return rq, nil
}

// Matches reports whether the query names the resource.
func (q ResourceQuery) Matches(r inspect.Resource) bool {
	if ok, _ := path.Match(q.Name, r.Name); !ok {
		return false
	}
	switch {
	case q.Kind != "" && !strings.EqualFold(q.Kind, r.Kind):
		return false
	case q.Namespace != "" && q.Namespace != r.Namespace:
		return false
	case q.Project != "" && q.Project != r.Project:
		return false
	case q.nsOrKind != "" && !strings.EqualFold(q.nsOrKind, r.Kind) && q.nsOrKind != r.Namespace:
		return false
	}
	return true
}

// ExplainPassed writes, for each resource the query names, every rule
// that judged it and its verdict (passed, failed with the finding's
// fingerprint, or suppressed), then the rules that could not check in its
// cluster or project and why. It returns how many resources matched.
func ExplainPassed(w io.Writer, r *Report, q ResourceQuery) (int, error) {
	byRes := map[inspect.Resource][]inspect.Verdict{}
	var order []inspect.Resource
	for _, v := range r.Verdicts {
		res := *v.Resource
		if !q.Matches(res) {
			continue
		}
		if _, ok := byRes[res]; !ok {
			order = append(order, res)
		}
		byRes[res] = append(byRes[res], v)
	}
	sort.SliceStable(order, func(i, j int) bool { return resourceKey(order[i]) < resourceKey(order[j]) })
	findings := map[string][]inspect.Finding{} // rule + resource key
	for _, f := range r.Findings {
		findings[f.Rule+"\x00"+resourceKey(f.Resource)] = append(findings[f.Rule+"\x00"+resourceKey(f.Resource)], f)
	}
	suppressed := map[string]string{}
	for _, s := range r.Suppressed {
		suppressed[s.Rule+"\x00"+resourceKey(s.Resource)] = fmt.Sprintf("%s (%s:%d, until %s: %s)", s.Fingerprint, s.SuppressedBy.File, s.SuppressedBy.Line,
			s.SuppressedBy.Expires.Format("2006-01-02"), untrusted.Bound(s.SuppressedBy.Reason, 120))
	}
	if len(order) == 0 {
		fmt.Fprintf(w, "No rule of this run judged a resource matching %q in project %s.\n", untrusted.Escape(queryText(q)), r.Project)
	}
	for _, res := range order {
		vs := byRes[res]
		where := "project " + res.Project
		if res.Cluster != "" {
			where = "cluster " + res.Location + "/" + res.Cluster + ", " + where
		} else if res.Location != "" {
			where = res.Location + ", " + where
		}
		fmt.Fprintf(w, "%s (%s): judged by %d rules\n", untrusted.Escape(res.String()), untrusted.Escape(where), len(vs))
		for _, v := range vs {
			key := v.Rule + "\x00" + resourceKey(res)
			switch {
			case len(findings[key]) > 0:
				for _, f := range findings[key] {
					fmt.Fprintf(w, "  FAILED      %-40s %s %s: %s\n", v.Rule, f.Severity, f.Fingerprint, untrusted.Bound(f.Message, 200))
				}
			case suppressed[key] != "":
				fmt.Fprintf(w, "  suppressed  %-40s %s\n", v.Rule, suppressed[key])
			case v.Failed:
				fmt.Fprintf(w, "  FAILED      %-40s (its evidence is folded into another finding, or below --min-severity)\n", v.Rule)
			default:
				fmt.Fprintf(w, "  passed      %s\n", v.Rule)
			}
		}
	}
	// Where rules could not decide: the matched resources' clusters and
	// project, or, with no match, everywhere (the resource may be in a
	// cluster lbdiag could not read).
	scopes := map[string]bool{}
	for _, res := range order {
		scopes[inventory.ProjectScope(res.Project)] = true
		if res.Cluster != "" {
			scopes[inventory.ProjectScope(res.Project)+"/locations/"+res.Location+"/clusters/"+res.Cluster] = true
		}
	}
	var gaps []string
	for _, c := range r.Checks {
		for _, g := range c.Gaps {
			if len(order) == 0 || inScopes(g.Scope, scopes) {
				gaps = append(gaps, fmt.Sprintf("  could not check  %-40s %s: %s", c.Rule, untrusted.Escape(g.Scope), untrusted.Clean(g.Reason)))
			}
		}
	}
	if len(gaps) > 0 {
		fmt.Fprintln(w, "\nRules that could not check there:")
		for _, g := range gaps {
			fmt.Fprintln(w, g)
		}
	}
	return len(order), nil
}

func inScopes(scope string, scopes map[string]bool) bool {
	for s := range scopes {
		if scope == s || strings.HasPrefix(scope, s+"/") {
			return true
		}
	}
	return false
}

func resourceKey(r inspect.Resource) string {
	return strings.Join([]string{r.Project, r.Location, r.Cluster, r.Kind, r.Namespace, r.Name}, "\x00")
}

func queryText(q ResourceQuery) string {
	s := q.Name
	if q.Namespace != "" {
		s = q.Namespace + "/" + s
	}
	if q.nsOrKind != "" {
		s = q.nsOrKind + "/" + s
	}
	if q.Kind != "" {
		s = q.Kind + " " + s
	}
	return s
}
