package events

import (
	"fmt"
	"sort"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
)

// isFirewallChangeEvent selects the Normal events in which GKE's
// controllers ask a Shared VPC host project's security admin for a
// firewall change.
func isFirewallChangeEvent(e *corev1.Event) bool {
	if e.Type != corev1.EventTypeNormal || (e.InvolvedObject.Kind != "Ingress" && e.InvolvedObject.Kind != "Service") {
		return false
	}
	r := inventory.EventReporter(e)
	return (e.Reason == gke.ReasonXPN && r == inventory.ReporterLoadBalancer) || (e.Reason == gke.ReasonManualChange && r == inventory.ReporterService)
}

// FirewallChangeRequired reports the firewall changes GKE asked a Shared
// VPC's security admin for that the host project does not have.
var FirewallChangeRequired = &inspect.Rule{
	ID:       "firewall-change-required",
	Severity: inspect.Error,
	Needs:    []inventory.Source{inventory.KubeEvents},
	Title:    "Every firewall change GKE asked a Shared VPC's security admin for is made",
	Doc: inspect.Doc{
		Why:     `In a Shared VPC service project, GKE's controllers usually may not write the host project's firewall rules. The Ingress controller's firewall sync (the k8s-fw-l7--UID rule: the health checkers, the proxy-only subnet, the NodePorts and NEG ports), and the L4 controllers (the k8s2-... rules of LoadBalancer Services), then record a Normal event with reason XPN on each Ingress or on the Service, "Firewall change required by security admin: ` + "`gcloud compute firewall-rules create|update|delete ...`" + `" (the legacy service-controller: reason LoadBalancerManualChange). Being Normal, it is easy to miss, and until someone with rights in the host project runs the command, health checks and traffic from Google's ranges are dropped. lbdiag compares the rule the event asks for with the host project's rule of that name and says what differs; when the firewall rules lbdiag evaluates show the block, the command joins health-check-firewall-missing or proxy-only-firewall-missing on the same Ingress.`,
		Fix:     `Ask the host project's security admin (roles/compute.securityAdmin there) to run the command the event gives, or grant GKE's service account (service-PROJECT_NUMBER@container-engine-robot.iam.gserviceaccount.com) the Compute Security Admin role, or a custom role with compute.firewalls.create, .update and .delete, in the host project.`,
		Sources: []string{"kubernetes/ingress-gce pkg/firewalls (FirewallXPNError, the XPN event)", "kubernetes/cloud-provider-gcp providers/gce/gce_util.go (FirewallToGCloudCreateCmd)", "Setting up clusters with Shared VPC: firewall rules (cloud.google.com/kubernetes-engine/docs/how-to/cluster-shared-vpc)"},
		URL:     "https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-shared-vpc#managing_firewall_resources",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			if !p.Known(inventory.KubeEvents, cl.Scope()) {
				continue
			}
			// Only where GKE may lack the rights is there anything to
			// ask: a service project's clusters.
			if cl.NetworkProject() != cl.Project {
				if p.Inventory.Known(inventory.KubeIngresses, cl.Scope()) {
					core.GKEIngresses(cl, func(ing *networkingv1.Ingress, _ string) {
						p.Judge(core.KubeResource(cl, "Ingress", ing.ObjectMeta))
					})
				}
				judgeL4Services(p, cl)
			}
			for _, c := range firewallChanges(inv, cl) {
				obj := core.KubeResource(cl, c.last.InvolvedObject.Kind, core.MetaOf(c.last.InvolvedObject.Namespace, c.last.InvolvedObject.Name))
				p.Judge(obj)
				reportFirewallChange(p, cl, obj, c)
			}
		}
	},
}

// firewallChange is the newest event of one object asking for one rule's
// change, with the count of all of them.
type firewallChange struct {
	last   *corev1.Event
	change gke.FirewallChange
	parsed bool
	count  int32
}

// firewallChanges are a cluster's recent firewall-change events, the
// newest per object and rule.
func firewallChanges(inv *inventory.Inventory, cl *inventory.Cluster) []*firewallChange {
	byKey := map[string]*firewallChange{}
	var keys []string
	for i := range cl.Events {
		e := &cl.Events[i]
		if !isFirewallChangeEvent(e) {
			continue
		}
		if t := inventory.EventTime(e); !inv.CollectedAt.IsZero() && !t.IsZero() && inv.CollectedAt.Sub(t) > eventWindow {
			continue
		}
		fc, ok := gke.ParseFirewallChange(e.Message)
		key := e.InvolvedObject.Kind + "/" + e.InvolvedObject.Namespace + "/" + e.InvolvedObject.Name + "/" + fc.Name
		if !ok {
			key += "/unparsed/" + truncateKey(e.Message)
		}
		c := byKey[key]
		if c == nil {
			c = &firewallChange{}
			byKey[key] = c
			keys = append(keys, key)
		}
		c.count += inventory.EventCount(e)
		if c.last == nil || !inventory.EventTime(e).Before(inventory.EventTime(c.last)) {
			c.last, c.change, c.parsed = e, fc, ok
		}
	}
	sort.Strings(keys)
	out := make([]*firewallChange, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k])
	}
	return out
}

func reportFirewallChange(p *inspect.Pass, cl *inventory.Cluster, obj inspect.Resource, c *firewallChange) {
	when := inventory.EventTime(c.last).UTC().Format(time.RFC3339)
	ev := map[string]any{"reason": c.last.Reason, "component": inventory.EventReporter(c.last), "count": c.count, "lastTimestamp": when}
	// The firewall findings on the object take this as their evidence.
	attach := &inspect.Attachment{Rule: "health-check-firewall-missing", Resource: obj, Or: []inspect.Attachment{
		{Rule: "proxy-only-firewall-missing", Resource: obj}, {Rule: "l4-health-check-firewall-missing", Resource: obj}}}
	// Anyone who may write events can write this one: a command is
	// repeated only when it is about a rule named as GKE names its own
	// (k8s-fw-l7--UID, k8s2-..., k8s-...-node-hc), in the cluster's
	// own VPC and host project.
	fc := c.change
	if c.parsed && (fc.Project != cl.NetworkProject() || (fc.Network != "" && fc.Network != inventory.LastSegment(cl.NetworkURL())) || !strings.HasPrefix(fc.Name, "k8s")) {
		c.parsed = false
	}
	if !c.parsed {
		msg := untrusted.Bound(c.last.Message, 300)
		ev["message"] = msg
		// Not compared with the host project's rules: a warning, as an
		// unverified request is (it may be anyone's text, or a command
		// GKE renders that lbdiag will not repeat, one without target
		// tags).
		p.Report(inspect.Finding{
			Severity:    inspect.Warning,
			Key:         "unparsed:" + truncateKey(c.last.Message),
			Message:     fmt.Sprintf("Normal %s from %s (%d×, last %s) asks the security admin for a firewall change that is not one GKE makes for this cluster's VPC (%s/%s), or that lbdiag cannot read: %s", c.last.Reason, inventory.EventReporter(c.last), c.count, when, cl.NetworkProject(), inventory.LastSegment(cl.NetworkURL()), msg),
			Resource:    obj,
			Evidence:    ev,
			Remediation: describeFix(obj, "check the command in the event before anyone runs it"),
			AttachTo:    attach,
			AttachNote:  "GKE asks the security admin for a firewall change (event " + c.last.Reason + ")",
		})
		return
	}
	ev["command"], ev["firewallRule"], ev["hostProject"] = fc.Command(), fc.Name, fc.Project
	ev["requested"] = map[string]any{"allow": fc.Allow, "sourceRanges": fc.SourceRanges, "targetTags": fc.TargetTags, "network": fc.Network}
	// What the host project has: the rule of that name, when its
	// firewall rules were read.
	known := p.Known(inventory.ComputeFirewalls, inventory.ProjectScope(fc.Project))
	var existing *compute.Firewall
	for _, fw := range p.Inventory.Compute.Firewalls {
		if fw.Name == fc.Name && inventory.ProjectOf(fw.SelfLink) == fc.Project {
			existing = fw
		}
	}
	state := "lbdiag could not read the host project's firewall rules to compare"
	// Unverified, the request is a warning: the admin may have made the
	// change since (Shared VPC callers often cannot list the host's rules).
	severity := inspect.Warning
	var diffs []string
	switch {
	case !known:
	case fc.Verb == "delete" && existing == nil:
		return // done
	case fc.Verb == "delete":
		state, severity = fmt.Sprintf("firewall rule %s, which GKE no longer needs, still exists in %s", fc.Name, fc.Project), inspect.Error
	case existing == nil:
		state, severity = fmt.Sprintf("firewall rule %s does not exist in %s", fc.Name, fc.Project), inspect.Error
	default:
		diffs = firewallDiffs(fc, existing)
		if len(diffs) == 0 {
			return // made: the event is older than the change
		}
		state, severity = fmt.Sprintf("firewall rule %s in %s differs: %s", fc.Name, fc.Project, strings.Join(diffs, "; ")), inspect.Error
		ev["differences"] = diffs
	}
	ev["hostRule"] = state
	p.Report(inspect.Finding{
		Severity: severity,
		Key:      "rule:" + fc.Name,
		Message: fmt.Sprintf("GKE cannot change the Shared VPC host project's firewall and asks its security admin to %s firewall rule %s (Normal %s from %s, %d×, last %s): %s",
			fc.Verb, fc.Name, c.last.Reason, inventory.EventReporter(c.last), c.count, when, state),
		Resource:    obj,
		Evidence:    ev,
		Remediation: fc.Command() + "   # in the host project, by its security admin",
		AttachTo:    attach,
		AttachNote:  fmt.Sprintf("GKE asks the host project's security admin (event %s, last %s) to run: %s (%s)", c.last.Reason, when, fc.Command(), state),
	})
}

// firewallDiffs says how an existing rule differs from the change asked:
// the ports, source ranges and target tags the controller compares, and
// the network.
func firewallDiffs(fc gke.FirewallChange, fw *compute.Firewall) []string {
	var allowed []string
	for _, a := range fw.Allowed {
		if len(a.Ports) == 0 {
			allowed = append(allowed, a.IPProtocol)
		}
		for _, port := range a.Ports {
			allowed = append(allowed, a.IPProtocol+":"+port)
		}
	}
	var out []string
	diff := func(what string, want, have []string) {
		missing, extra := setDiff(want, have), setDiff(have, want)
		if len(missing) > 0 {
			out = append(out, fmt.Sprintf("%s lacks %s", what, strings.Join(missing, ",")))
		}
		if len(extra) > 0 {
			out = append(out, fmt.Sprintf("%s has %s, which GKE does not ask for", what, strings.Join(extra, ",")))
		}
	}
	if fc.Network != "" && inventory.LastSegment(fw.Network) != fc.Network {
		out = append(out, fmt.Sprintf("it is on network %s, not %s", inventory.LastSegment(fw.Network), fc.Network))
	}
	diff("--allow", fc.Allow, allowed)
	diff("--source-ranges", fc.SourceRanges, fw.SourceRanges)
	diff("--target-tags", fc.TargetTags, fw.TargetTags)
	if fw.Disabled {
		out = append(out, "it is disabled")
	}
	return out
}

// setDiff lists the values of a that b lacks, sorted.
func setDiff(a, b []string) []string {
	have := map[string]bool{}
	for _, v := range b {
		have[v] = true
	}
	var out []string
	for _, v := range a {
		if !have[v] {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return core.SortedUnique(out)
}
