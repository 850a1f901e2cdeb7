package events

import (
	"fmt"
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
// cluster's events could not be read.
func groupFailures(inv *inventory.Inventory, cl *inventory.Cluster, selected func(*corev1.Event) bool, classify func(string) *core.SyncCause) []*failureGroup {
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
		f.Remediation = fmt.Sprintf("kubectl describe %s %s -n %s   # read the controller's message above and fix what it names", strings.ToLower(obj.Kind), obj.Name, obj.Namespace)
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
