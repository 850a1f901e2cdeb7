package events

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// eventWindow is how old a Warning event may be, before the collection time,
// to count as current. Kubernetes keeps events one hour by default; the
// window leaves room for clusters that keep them longer.
const eventWindow = 6 * time.Hour

// syncCause is a known cause of a controller's sync failure.
type syncCause struct {
	Label string
	// Rule explains the cause, when lbdiag has one.
	Rule string
	// fragments are stable inner parts of the message (any matches);
	// patterns match where a fragment cannot.
	fragments []string
	patterns  []*regexp.Regexp
	// subject finds the resource the explaining rule reports on, given the
	// event's object; nil means the event's object itself.
	subject func(cl *inventory.Cluster, obj inspect.Resource, msg string) (inspect.Resource, bool)
	fix     string
}

var quotedService = regexp.MustCompile(`service "([^"/]+)/([^"]+)"`)

// serviceInMessage is the Service the message quotes as "ns/name".
func serviceInMessage(cl *inventory.Cluster, obj inspect.Resource, msg string) (inspect.Resource, bool) {
	m := quotedService.FindStringSubmatch(msg)
	if m == nil {
		return inspect.Resource{}, false
	}
	r := obj
	r.Kind, r.Namespace, r.Name = "Service", m[1], m[2]
	return r, true
}

var quotedPolicy = regexp.MustCompile(`(?:security policy from "[^"]*" to "([^"]+)"|security policy "([^"]+)" does not exist)`)

// backendConfigWithPolicy is the BackendConfig, in the object's namespace,
// naming the policy the message quotes.
func backendConfigWithPolicy(cl *inventory.Cluster, obj inspect.Resource, msg string) (inspect.Resource, bool) {
	m := quotedPolicy.FindStringSubmatch(msg)
	if m == nil {
		return inspect.Resource{}, false
	}
	policy := m[1] + m[2]
	for _, bc := range cl.BackendConfigs {
		if bc.Namespace == obj.Namespace && bc.Spec.SecurityPolicy != nil && bc.Spec.SecurityPolicy.Name == policy {
			r := obj
			r.Kind, r.Name = "BackendConfig", bc.Name
			return r, true
		}
	}
	return inspect.Resource{}, false
}

// serviceWithoutILBNEG is the first Service of the Ingress whose NEG
// annotation lacks "ingress": true.
func serviceWithoutILBNEG(cl *inventory.Cluster, obj inspect.Resource, msg string) (inspect.Resource, bool) {
	for i := range cl.Ingresses {
		ing := &cl.Ingresses[i]
		if ing.Namespace != obj.Namespace || ing.Name != obj.Name {
			continue
		}
		for _, b := range core.BackendsOf(ing) {
			if svc := core.FindService(cl, ing.Namespace, b.Service.Name); svc != nil {
				if a, set, err := core.ParseNEG(svc); err == nil && !(set && a.Ingress) {
					r := obj
					r.Kind, r.Name = "Service", svc.Name
					return r, true
				}
			}
		}
	}
	return inspect.Resource{}, false
}

// syncCauses classify controller messages; the first match wins.
var syncCauses = []syncCause{
	{Label: "BackendConfig not found", Rule: "backendconfig-missing", fragments: []string{"no BackendConfig for service port exists"}, subject: serviceInMessage},
	{Label: "BackendConfig annotation malformed", Rule: "backendconfig-annotation-invalid", fragments: []string{"BackendConfig annotation is invalid json", "no BackendConfig's found in annotation"}, subject: serviceInMessage},
	{Label: "Cloud Armor policy on a regional load balancer", fragments: []string{"security policies not supported for Regional"},
		fix: "remove spec.securityPolicy from the BackendConfig: GKE attaches Cloud Armor policies only to global (gce) load balancers"},
	{Label: "Cloud Armor security policy missing", Rule: "security-policy-missing", fragments: []string{"security policy", "securityPolicies"}, subject: backendConfigWithPolicy},
	{Label: "proxy-only subnet missing", Rule: "proxy-only-subnet-missing", fragments: []string{"proxy-only subnetwork is required", "A reserved and active subnetwork is required"}},
	{Label: "static IP in use", Rule: "static-ip-in-use", fragments: []string{"Specified IP address is in-use", "IP_IN_USE_BY_ANOTHER_RESOURCE"}},
	{Label: "static IP not found", Rule: "static-ip-missing", fragments: []string{"doesn't translate to an existing static IP"}},
	{Label: "HTTP disabled without TLS", Rule: "allow-http-without-tls", fragments: []string{"both HTTP and HTTPS are disabled", "usage of the 'kubernetes.io/ingress.allow-http' annotation"}},
	{Label: "TLS entry without secretName", Rule: "ingress-tls-secret-name-missing", fragments: []string{`secret "" does not exist`}},
	{Label: "TLS secret missing", fragments: []string{"secrets \"", "Could not find TLS certificate", "does not specify cert as string data", "does not specify private key as string data"},
		fix: "create the TLS secret (keys tls.crt and tls.key) in the Ingress's namespace, or correct spec.tls[].secretName"},
	{Label: "NEG not found", Rule: "ilb-neg-annotation-missing", fragments: []string{"networkEndpointGroups/"}, subject: serviceWithoutILBNEG},
	{Label: "Service not found", Rule: "ingress-service-missing", fragments: []string{"could not find service"}},
	{Label: "Service port not found", Rule: "ingress-service-port-missing", fragments: []string{"could not find port"}},
	{Label: "Service type invalid", Rule: "service-type-invalid", fragments: []string{`expected "NodePort" or "LoadBalancer"`}, subject: serviceInMessage},
	{Label: "app-protocols annotation invalid", Rule: "app-protocols-invalid", fragments: []string{"invalid port application protocol"}, subject: serviceInMessage},
	{Label: "FrontendConfig not found", Rule: "frontendconfig-missing", fragments: []string{"no FrontendConfig for Ingress exists"}},
	{Label: "NEG annotation invalid", Rule: "neg-annotation-invalid", fragments: []string{`specified in "cloud.google.com/neg" doesn't exist`, "NEG annotation is invalid"}},
	{Label: "invalid path", fragments: []string{"failed to validate prefix path", "failed to validate exact path", "invalid wildcard", "unsupported path type", "Ingress Backend is not a service"},
		fix: "correct the path: Prefix and Exact paths may not contain *, and every backend must be a Service"},
}

// Classify returns the cause of a controller message, or nil.
func Classify(msg string) *syncCause {
	return classifyAmong(syncCauses, msg)
}

func classifyAmong(causes []syncCause, msg string) *syncCause {
	for i := range causes {
		for _, f := range causes[i].fragments {
			if strings.Contains(msg, f) {
				return &causes[i]
			}
		}
		for _, re := range causes[i].patterns {
			if re.MatchString(msg) {
				return &causes[i]
			}
		}
	}
	return nil
}

// isSyncFailure selects the Warning events that report failed syncs.
func isSyncFailure(e *corev1.Event) bool {
	if e.Type != corev1.EventTypeWarning {
		return false
	}
	switch inventory.EventReporter(e) {
	case "loadbalancer-controller":
		return (e.Reason == "Sync" || e.Reason == "Translate") && (e.InvolvedObject.Kind == "Ingress" || e.InvolvedObject.Kind == "Service")
	case "neg-controller":
		return e.InvolvedObject.Kind == "Ingress" || e.InvolvedObject.Kind == "Service"
	case "sc-gateway-controller":
		return e.InvolvedObject.Kind == "Gateway" || e.InvolvedObject.Kind == "HTTPRoute"
	}
	return false
}

// truncateKey bounds a fingerprint key taken from a message.
func truncateKey(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}

// LBSyncError reports the controllers' recent sync failures.
var LBSyncError = &inspect.Rule{
	ID:       "lb-sync-error",
	Severity: inspect.Error,
	Title:    "No Ingress, Service or Gateway has a recent sync failure from GKE's load-balancing controllers",
	Doc: inspect.Doc{
		Why:     `GKE's controllers (loadbalancer-controller, neg-controller, sc-gateway-controller) report failures as Warning events: "Translation failed: ...", "Error syncing to GCP: ...", the older "Error during sync: ...". While they repeat, the load balancer does not follow the manifest, and the ingress.kubernetes.io/* annotations describe the last successful sync, not the current spec. lbdiag classifies each message against the known causes and, when a configuration rule already reported that cause on that resource, adds the event to that finding as evidence instead of a separate row. Unknown messages are reported verbatim.`,
		Fix:     `Fix the cause the message names (lbdiag explain RULE for the rule it points to), then watch the events clear: kubectl describe ingress ING -n NS`,
		Sources: []string{"kubernetes/ingress-gce pkg/controller/controller.go, pkg/controller/errors/errors.go (event texts)", core.SrcTroubleshoot},
		URL:     core.DocTroubleshootLB,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			for _, g := range groupFailures(inv, cl, isSyncFailure, Classify) {
				p.Report(syncFinding(cl, g.obj, g.cause, g.events))
			}
		}
	},
}

// failureGroup is the recent Warning events of one object with one cause
// (or one unknown message).
type failureGroup struct {
	obj    inspect.Resource
	cause  *syncCause
	events []*corev1.Event
}

// groupFailures groups a cluster's recent Warning events that select picks
// by object and cause, in the order they first occur; none when the
// cluster's events could not be read.
func groupFailures(inv *inventory.Inventory, cl *inventory.Cluster, selected func(*corev1.Event) bool, classify func(string) *syncCause) []*failureGroup {
	if !inv.Known(inventory.KubeEvents, cl.Scope()) {
		return nil
	}
	groups := map[string]*failureGroup{}
	var order []*failureGroup
	for i := range cl.Events {
		e := &cl.Events[i]
		if !selected(e) {
			continue
		}
		if t := inventory.EventTime(e); !inv.CollectedAt.IsZero() && !t.IsZero() && inv.CollectedAt.Sub(t) > eventWindow {
			continue
		}
		obj := inspect.Resource{Kind: e.InvolvedObject.Kind, Project: cl.Project, Location: cl.Location(), Cluster: cl.Name(),
			Namespace: e.InvolvedObject.Namespace, Name: e.InvolvedObject.Name}
		cause := classify(e.Message)
		key := obj.Kind + "/" + obj.Namespace + "/" + obj.Name + "/"
		if cause != nil {
			key += cause.Label
		} else {
			key += "unknown/" + e.Message
		}
		g, ok := groups[key]
		if !ok {
			g = &failureGroup{obj: obj, cause: cause}
			groups[key] = g
			order = append(order, g)
		}
		g.events = append(g.events, e)
	}
	return order
}

func syncFinding(cl *inventory.Cluster, obj inspect.Resource, cause *syncCause, events []*corev1.Event) inspect.Finding {
	sort.SliceStable(events, func(i, j int) bool { return inventory.EventTime(events[i]).Before(inventory.EventTime(events[j])) })
	last := events[len(events)-1]
	var count int32
	for _, e := range events {
		count += inventory.EventCount(e)
	}
	when := inventory.EventTime(last).UTC().Format(time.RFC3339)
	ev := map[string]any{
		"component": inventory.EventReporter(last), "reason": last.Reason, "message": last.Message,
		"count": count, "lastTimestamp": when,
	}
	msg := fmt.Sprintf("Warning %s from %s (%d×, last %s): %s", last.Reason, inventory.EventReporter(last), count, when, last.Message)
	f := inspect.Finding{Resource: obj, Evidence: ev, Key: "cause:unknown:" + truncateKey(last.Message)}
	if cause != nil {
		f.Key = "cause:" + cause.Label
	}
	switch {
	case cause == nil:
		ev["cause"] = "unknown"
		f.Message = msg + " — a cause lbdiag does not recognise"
		f.Remediation = fmt.Sprintf("kubectl describe %s %s -n %s   # read the controller's message above and fix what it names", strings.ToLower(obj.Kind), obj.Name, obj.Namespace)
	case cause.Rule == "":
		ev["cause"] = cause.Label
		f.Message = msg + " — cause: " + cause.Label
		f.Remediation = cause.fix
	default:
		ev["cause"] = cause.Label
		ev["explainedBy"] = cause.Rule
		f.Message = fmt.Sprintf("%s — cause: %s (rule %s)", msg, cause.Label, cause.Rule)
		f.Remediation = fmt.Sprintf("fix the %s: lbdiag explain %s", cause.Label, cause.Rule)
		target := obj
		ok := true
		if cause.subject != nil {
			target, ok = cause.subject(cl, obj, last.Message)
		}
		if ok {
			f.AttachTo = &inspect.Attachment{Rule: cause.Rule, Resource: target}
		}
	}
	return f
}
