package events

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// eventWindow is how old a Warning event may be, before the collection time,
// to count as current. Kubernetes keeps events one hour by default; the
// window leaves room for clusters that keep them longer.
const eventWindow = 6 * time.Hour

// truncateKey bounds a fingerprint key taken from a message.
func truncateKey(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}

// failureGroup is the recent Warning events of one object with one cause
// (or one unknown message).
type failureGroup struct {
	obj    inspect.Resource
	cause  *core.SyncCause
	events []*corev1.Event
}

// groupFailures groups a cluster's recent Warning events that select picks
// by object and cause, in the order they first occur; none when the
// cluster's events could not be read (the pass records it: read is false).
func groupFailures(p *inspect.Pass, cl *inventory.Cluster, selected func(*corev1.Event) bool, classify func(string) *core.SyncCause) (groups []*failureGroup, read bool) {
	inv := p.Inventory
	if !p.Known(inventory.KubeEvents, cl.Scope()) {
		return nil, false
	}
	byKey := map[string]*failureGroup{}
	var order []*failureGroup
	for i := range cl.Events {
		e := &cl.Events[i]
		if !selected(e) {
			continue
		}
		if t := inventory.EventTime(e); !inv.CollectedAt.IsZero() && !t.IsZero() && inv.CollectedAt.Sub(t) > eventWindow {
			continue
		}
		obj := core.KubeResource(cl, e.InvolvedObject.Kind, core.MetaOf(e.InvolvedObject.Namespace, e.InvolvedObject.Name))
		cause := classify(e.Message)
		key := obj.Kind + "/" + obj.Namespace + "/" + obj.Name + "/"
		if cause != nil {
			key += cause.Label
		} else {
			key += "unknown/" + e.Message
		}
		g, ok := byKey[key]
		if !ok {
			g = &failureGroup{obj: obj, cause: cause}
			byKey[key] = g
			order = append(order, g)
		}
		g.events = append(g.events, e)
	}
	return order, true
}

// What the events rules judge: in each cluster whose events were read,
// every object of the lists that were read that the rule's controller
// manages (an object with a failure is judged through its finding, listed
// or not). The lists only name the objects that passed: a list that was
// not read is no gap, the events are what the verdict rests on.

// judgeIngressObjects judges a cluster's GKE Ingresses, and the Services
// GKE's Ingress and NEG controllers manage: those a GKE Ingress routes to,
// and those with a cloud.google.com/neg annotation.
func judgeIngressObjects(p *inspect.Pass, cl *inventory.Cluster) {
	inv := p.Inventory
	ingresses, services := inv.Known(inventory.KubeIngresses, cl.Scope()), inv.Known(inventory.KubeServices, cl.Scope())
	managed := map[string]bool{}
	if ingresses {
		core.GKEIngresses(cl, func(ing *networkingv1.Ingress, _ string) {
			p.Judge(core.KubeResource(cl, "Ingress", ing.ObjectMeta))
			for _, b := range core.BackendsOf(ing) {
				managed[ing.Namespace+"/"+b.Service.Name] = true
			}
		})
	}
	if !services {
		return
	}
	for i := range cl.Services {
		svc := &cl.Services[i]
		if _, neg, _ := gke.ParseNEG(svc); neg || managed[svc.Namespace+"/"+svc.Name] {
			p.Judge(core.KubeResource(cl, "Service", svc.ObjectMeta))
		}
	}
}

// judgeL4Services judges a cluster's GKE LoadBalancer Services.
func judgeL4Services(p *inspect.Pass, cl *inventory.Cluster) {
	if !p.Inventory.Known(inventory.KubeServices, cl.Scope()) {
		return
	}
	for i := range cl.Services {
		if svc := &cl.Services[i]; gke.IsGKEL4(svc) {
			p.Judge(core.KubeResource(cl, "Service", svc.ObjectMeta))
		}
	}
}

// judgeGatewayObjects judges a cluster's Gateways of GKE's classes, and
// the HTTPRoutes and GRPCRoutes that name one as a parent.
func judgeGatewayObjects(p *inspect.Pass, cl *inventory.Cluster) {
	inv := p.Inventory
	if !inv.Known(inventory.KubeGateways, cl.Scope()) {
		return
	}
	for i := range cl.Gateways {
		if gw := &cl.Gateways[i]; gke.IsGKEGatewayClass(gw.Spec.GatewayClassName) {
			p.Judge(core.KubeResource(cl, "Gateway", gw.ObjectMeta))
		}
	}
	ofGKE := func(routeNS string, refs []inventory.ParentReference) bool {
		for _, ref := range refs {
			if ns, ok := inventory.ParentGateway(routeNS, ref); ok {
				if gw := core.FindGateway(cl, ns, ref.Name); gw != nil && gke.IsGKEGatewayClass(gw.Spec.GatewayClassName) {
					return true
				}
			}
		}
		return false
	}
	if inv.Known(inventory.KubeHTTPRoutes, cl.Scope()) {
		for i := range cl.HTTPRoutes {
			if r := &cl.HTTPRoutes[i]; ofGKE(r.Namespace, r.Spec.ParentRefs) {
				p.Judge(core.KubeResource(cl, core.KindHTTP, r.ObjectMeta))
			}
		}
	}
	if inv.Known(inventory.KubeGRPCRoutes, cl.Scope()) {
		for i := range cl.GRPCRoutes {
			if r := &cl.GRPCRoutes[i]; ofGKE(r.Namespace, r.Spec.ParentRefs) {
				p.Judge(core.KubeResource(cl, core.KindGRPC, r.ObjectMeta))
			}
		}
	}
}

func syncFinding(cl *inventory.Cluster, obj inspect.Resource, cause *core.SyncCause, events []*corev1.Event) inspect.Finding {
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
		f.Remediation = describeFix(obj, "read the controller's message above and fix what it names")
	case cause.Rule == "":
		ev["cause"] = cause.Label
		f.Message = msg + " — cause: " + cause.Label
		f.Remediation = cause.Fix
	default:
		ev["cause"] = cause.Label
		ev["explainedBy"] = cause.Rule
		f.Message = fmt.Sprintf("%s — cause: %s (rule %s)", msg, cause.Label, cause.Rule)
		f.Remediation = fmt.Sprintf("fix the %s: lbdiag explain %s", cause.Label, cause.Rule)
		target := obj
		ok := true
		if cause.Subject != nil {
			target, ok = cause.Subject(cl, obj, last.Message)
		}
		if ok {
			f.AttachTo = &inspect.Attachment{Rule: cause.Rule, Resource: target}
		}
	}
	return f
}

// describeFix is the kubectl command that shows an event's object, with a
// note. The object is the event's involvedObject, which anyone who may
// write events writes, unchecked: a kind, name or namespace that could not
// name an object becomes a placeholder, not shell text.
func describeFix(obj inspect.Resource, note string) string {
	return fmt.Sprintf("kubectl describe %s %s -n %s   # %s", core.NameOr(strings.ToLower(obj.Kind), "KIND"), core.NameOr(obj.Name, "NAME"),
		core.NameOr(obj.Namespace, "NAMESPACE"), note)
}
