package rules

import (
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// enrichProject: the Ingress shop/web (class gce) built URL map shop-um,
// in front of backend service shop-bs, which serves 10 requests a second
// over the hour, 5 % of them 5xx; URL map archive-um (backend archive-bs)
// served nothing; a passthrough backend service l4-bs has no Monitoring
// metrics at all. The firewall rule allow-hc was deleted two days ago,
// the URL map shop-um changed an hour ago, and a kubectl apply changed the
// Ingress 3 hours ago.
func enrichProject() *inventory.Inventory {
	cl := ruletest.ProdCluster()
	ing := ruletest.Ingress("shop", "web", gke.ClassGCE, "web")
	ing.Annotations[gke.AnnIngressURLMap] = "shop-um"
	applied := metav1.NewTime(ruletest.Now.Add(-3 * time.Hour))
	status := metav1.NewTime(ruletest.Now.Add(-time.Minute))
	ing.ManagedFields = []metav1.ManagedFieldsEntry{
		{Manager: "kubectl-client-side-apply", Operation: metav1.ManagedFieldsOperationUpdate, Time: &applied, FieldsType: "FieldsV1"},
		{Manager: "glbc", Operation: metav1.ManagedFieldsOperationUpdate, Time: &status, FieldsType: "FieldsV1", Subresource: "status"},
	}
	cl.Ingresses = []networkingv1.Ingress{ing}
	inv := ruletest.Inventory(cl)
	inv.CollectedAt = ruletest.Now
	bs := func(name, scheme string) *compute.BackendService {
		return &compute.BackendService{Name: name, SelfLink: ruletest.G("global/backendServices/" + name), LoadBalancingScheme: scheme}
	}
	inv.Compute.BackendServices = []*compute.BackendService{bs("shop-bs", "EXTERNAL_MANAGED"), bs("archive-bs", "EXTERNAL_MANAGED"), bs("l4-bs", "EXTERNAL")}
	inv.Compute.URLMaps = []*compute.UrlMap{{Name: "shop-um", SelfLink: ruletest.G("global/urlMaps/shop-um"), DefaultService: ruletest.G("global/backendServices/shop-bs")},
		{Name: "archive-um", SelfLink: ruletest.G("global/urlMaps/archive-um"), DefaultService: ruletest.G("global/backendServices/archive-bs")}}
	inv.Metrics = &inventory.Metrics{Since: ruletest.Now.Add(-time.Hour), Until: ruletest.Now, Max5xxRatio: 0.01, Traffic: map[string]*inventory.Traffic{
		"UrlMap/global/shop-um":         {Requests: 36000, Errors5xx: 1800, P95Ms: 120, HasP95: true},
		"BackendService/global/shop-bs": {Requests: 36000, Errors5xx: 1800, P95Ms: 120, HasP95: true},
	}}
	p := "projects/" + ruletest.Project
	inv.Changes = &inventory.Changes{Since: ruletest.Now.Add(-7 * 24 * time.Hour), Until: ruletest.Now, ByResource: map[string][]inventory.Change{
		p + "/global/firewalls/allow-hc": {{At: ruletest.Now.Add(-48 * time.Hour), Method: "v1.compute.firewalls.delete", Principal: "…@example.com", Resource: p + "/global/firewalls/allow-hc"}},
		p + "/global/urlMaps/shop-um":    {{At: ruletest.Now.Add(-time.Hour), Method: "v1.compute.urlMaps.patch", Principal: "…@acme-ci.iam.gserviceaccount.com", Resource: p + "/global/urlMaps/shop-um"}},
	}}
	return inv
}

func finding(rule string, sev inspect.Severity, r inspect.Resource) inspect.Finding {
	return inspect.Finding{Rule: rule, Severity: sev, Resource: r, Message: rule + " on " + r.Name}
}

func TestEnrichImpactAndOrder(t *testing.T) {
	t.Parallel()
	inv := enrichProject()
	cl := inv.Clusters[0]
	fs := []inspect.Finding{
		finding("a-rule", inspect.Error, core.ResourceOf("BackendService", ruletest.G("global/backendServices/archive-bs"))),
		finding("b-rule", inspect.Error, core.ResourceOf("BackendService", ruletest.G("global/backendServices/l4-bs"))),
		finding("c-rule", inspect.Error, core.KubeResource(cl, "Ingress", metav1.ObjectMeta{Namespace: "shop", Name: "web"})),
		finding("d-rule", inspect.Warning, core.ResourceOf("UrlMap", ruletest.G("global/urlMaps/shop-um"))),
	}
	Enrich(inv, fs)
	// Errors first; among them the Ingress's busy load balancer, then the
	// passthrough one (no metrics: unknown), then the idle one.
	var order []string
	for _, f := range fs {
		order = append(order, f.Rule)
	}
	if strings.Join(order, " ") != "c-rule b-rule a-rule d-rule" {
		t.Fatalf("order %v", order)
	}
	ing := fs[0].Impact
	if ing == nil || ing.Window != "1h" || ing.RequestsPerSecond != 10 || ing.Ratio5xx != 0.05 || ing.P95LatencyMs == nil || *ing.P95LatencyMs != 120 ||
		ing.Idle || strings.Join(ing.Resources, ",") != "UrlMap shop-um" {
		t.Errorf("the Ingress's impact %+v", ing)
	}
	if fs[1].Impact != nil {
		t.Errorf("a passthrough backend service got an impact: %+v", fs[1].Impact)
	}
	if im := fs[2].Impact; im == nil || !im.Idle || !strings.Contains(fs[2].Message, "(idle: BackendService archive-bs served no request in the last 1h, so this hurts no user now)") {
		t.Errorf("the idle one: %+v %s", im, fs[2].Message)
	}
	// Without --metrics: no impact, the order of severity and rule.
	inv.Metrics = nil
	fs2 := []inspect.Finding{finding("a-rule", inspect.Error, fs[2].Resource)}
	Enrich(inv, fs2)
	if fs2[0].Impact != nil || strings.Contains(fs2[0].Message, "idle") {
		t.Errorf("impact without metrics: %+v", fs2[0])
	}
}

func TestEnrichChanges(t *testing.T) {
	t.Parallel()
	inv := enrichProject()
	cl := inv.Clusters[0]
	ingress := core.KubeResource(cl, "Ingress", metav1.ObjectMeta{Namespace: "shop", Name: "web"})
	fs := []inspect.Finding{
		finding("health-check-firewall-missing", inspect.Error, ingress),
		finding("backendconfig-missing", inspect.Error, ingress),
		finding("ssl-certificate-unattached", inspect.Info, core.ResourceOf("SslCertificate", ruletest.G("global/sslCertificates/old"))),
	}
	inv.Metrics = nil
	Enrich(inv, fs)
	byRule := map[string]inspect.Finding{}
	for _, f := range fs {
		byRule[f.Rule] = f
	}
	// A firewall finding hears of the firewall's deletion, and of the URL
	// map behind the Ingress, newest first, with the Ingress's own last
	// kubectl apply (glbc's status write, newer, is bookkeeping).
	fw := byRule["health-check-firewall-missing"]
	if len(fw.Changes) != 3 || fw.Changes[0].Method != "v1.compute.urlMaps.patch" || fw.Changes[1].By != "kubectl-client-side-apply" ||
		fw.Changes[1].Method != "Update" || fw.Changes[2].Method != "v1.compute.firewalls.delete" {
		t.Errorf("firewall finding's changes %+v", fw.Changes)
	}
	// Its message names the firewall change, the one that bears on it.
	if !strings.Contains(fw.Message, "; last change: firewalls allow-hc was deleted at 2026-11-26T09:00Z by …@example.com (v1.compute.firewalls.delete)") {
		t.Errorf("message %s", fw.Message)
	}
	// Another rule on the Ingress does not hear of firewalls: its message
	// names the URL map's change.
	bc := byRule["backendconfig-missing"]
	for _, c := range bc.Changes {
		if strings.Contains(c.Resource, "firewalls") {
			t.Errorf("a firewall change on backendconfig-missing: %+v", c)
		}
	}
	if !strings.Contains(bc.Message, "; last change: urlMaps shop-um was changed at 2026-11-28T08:00Z by …@acme-ci.iam.gserviceaccount.com (v1.compute.urlMaps.patch)") {
		t.Errorf("message %s", bc.Message)
	}
	if c := byRule["ssl-certificate-unattached"].Changes; len(c) != 0 {
		t.Errorf("changes of an unchanged certificate: %+v", c)
	}
	// Without --changes, nothing.
	inv.Changes = nil
	fs = []inspect.Finding{finding("health-check-firewall-missing", inspect.Error, ingress)}
	Enrich(inv, fs)
	if fs[0].Changes != nil || strings.Contains(fs[0].Message, "last change") {
		t.Errorf("changes without --changes: %+v", fs[0])
	}
}

// TestEnrichServedBackends: a finding on an Ingress or a Gateway hears of
// changes to the backend services its controller's annotation names, and
// not of another's; two findings on one Ingress both do (the served
// backends are indexed once per cluster).
func TestEnrichServedBackends(t *testing.T) {
	t.Parallel()
	inv := enrichProject()
	cl := inv.Clusters[0]
	api := ruletest.Ingress("shop", "api", gke.ClassGCE, "api")
	api.Annotations[gke.AnnIngressBackends] = `{"k8s1-0a1b2c3d-shop-api-80-4e5f6a7b":"HEALTHY"}`
	cl.Ingresses = append(cl.Ingresses, api)
	gw := ruletest.Gateway("shop", "gw", "gke-l7-global-external-managed")
	gw.Annotations = map[string]string{gke.AnnGatewayBackendServices: "gkegw1-0a1b-shop-store-8080-xyz"}
	cl.Gateways = append(cl.Gateways, gw)
	p := "projects/" + ruletest.Project
	for _, name := range []string{"k8s1-0a1b2c3d-shop-api-80-4e5f6a7b", "gkegw1-0a1b-shop-store-8080-xyz"} {
		inv.Compute.BackendServices = append(inv.Compute.BackendServices, &compute.BackendService{Name: name, SelfLink: ruletest.G("global/backendServices/" + name)})
		inv.Changes.ByResource[p+"/global/backendServices/"+name] = []inventory.Change{{At: ruletest.Now.Add(-2 * time.Hour), Method: "v1.compute.backendServices.patch",
			Principal: "…@example.com", Resource: p + "/global/backendServices/" + name}}
	}
	inv.Metrics = nil
	ingress := core.KubeResource(cl, "Ingress", metav1.ObjectMeta{Namespace: "shop", Name: "api"})
	gateway := core.KubeResource(cl, "Gateway", metav1.ObjectMeta{Namespace: "shop", Name: "gw"})
	fs := []inspect.Finding{finding("a-rule", inspect.Error, ingress), finding("b-rule", inspect.Error, ingress), finding("c-rule", inspect.Error, gateway)}
	Enrich(inv, fs)
	want := map[string]string{"a-rule": "k8s1-0a1b2c3d-shop-api-80-4e5f6a7b", "b-rule": "k8s1-0a1b2c3d-shop-api-80-4e5f6a7b", "c-rule": "gkegw1-0a1b-shop-store-8080-xyz"}
	for _, f := range fs {
		var got []string
		for _, c := range f.Changes {
			if strings.Contains(c.Resource, "/backendServices/") {
				got = append(got, inventory.LastSegment(c.Resource))
			}
		}
		if len(got) != 1 || got[0] != want[f.Rule] {
			t.Errorf("%s on %s: backend service changes %v, want %s", f.Rule, f.Resource, got, want[f.Rule])
		}
	}
}
