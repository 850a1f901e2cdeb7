package rules

import (
	"fmt"
	"runtime"
	"testing"

	compute "google.golang.org/api/compute/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// largeProject builds a project of clusters × services NEG-backed
// Services, each behind an Ingress, with their backend services, NEGs in
// three zones, Deployments, nodes and firewall rules.
func largeProject(clusters, services int) *inventory.Inventory {
	var cls []*inventory.Cluster
	var bss []*compute.BackendService
	var negs []*compute.NetworkEndpointGroup
	var hcs []*compute.HealthCheck
	var instances []*compute.Instance
	zones := []string{"europe-west1-b", "europe-west1-c", "europe-west1-d"}
	for c := 0; c < clusters; c++ {
		cl := ruletest.Cluster(fmt.Sprintf("c%d", c), "europe-west1", ruletest.Project, "vpc", "nodes")
		tag := fmt.Sprintf("gke-c%d-node", c)
		for n := 0; n < 9; n++ {
			name := fmt.Sprintf("gke-c%d-pool-%d", c, n)
			cl.Nodes = append(cl.Nodes, corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}})
			instances = append(instances, &compute.Instance{Name: name, Tags: &compute.Tags{Items: []string{tag}}})
		}
		for s := 0; s < services; s++ {
			ns, name := fmt.Sprintf("team%d", s%20), fmt.Sprintf("svc%d", s)
			neg := fmt.Sprintf("k8s1-%08d-%s-%s-80-abcdef%02d", c, ns, name, s%100)
			svc := ruletest.Service(ns, name, map[string]string{gke.AnnNEG: `{"ingress":true}`, gke.AnnBackendConfig: `{"default":"bc"}`,
				gke.AnnNEGStatus: `{"network_endpoint_groups":{"80":"` + neg + `"},"zones":["europe-west1-b","europe-west1-c","europe-west1-d"]}`},
				corev1.ServicePort{Name: "http", Port: 80, TargetPort: intstr.FromInt(8080)})
			cl.Services = append(cl.Services, svc)
			ing := ruletest.Ingress(ns, name, "", name)
			ing.Annotations[gke.AnnIngressBackends] = `{"` + neg + `":"HEALTHY"}`
			cl.Ingresses = append(cl.Ingresses, ing)
			dep := appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
			dep.Spec.Template.Labels = map[string]string{"app": name}
			dep.Spec.Template.Spec.Containers = []corev1.Container{{Name: name, Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 90}}},
				Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromString("http"), Scheme: corev1.URISchemeHTTP}}, PeriodSeconds: 10, TimeoutSeconds: 1}}}
			cl.Deployments = append(cl.Deployments, dep)
			bs := &compute.BackendService{Name: neg, SelfLink: ruletest.ComputeBase + ruletest.Project + "/global/backendServices/" + neg,
				Description:        `{"kubernetes.io/service-name":"` + ns + "/" + name + `","kubernetes.io/service-port":"\u0026ServiceBackendPort{Name:,Number:80,}"}`,
				ConnectionDraining: &compute.ConnectionDraining{DrainingTimeoutSec: 30}, LogConfig: &compute.BackendServiceLogConfig{Enable: true},
				HealthChecks: []string{ruletest.ComputeBase + ruletest.Project + "/global/healthChecks/" + neg}}
			hcs = append(hcs, &compute.HealthCheck{Name: neg, CheckIntervalSec: 15, TimeoutSec: 15, Type: "HTTP",
				HttpHealthCheck: &compute.HTTPHealthCheck{PortSpecification: "USE_SERVING_PORT", RequestPath: "/"},
				SelfLink:        ruletest.ComputeBase + ruletest.Project + "/global/healthChecks/" + neg})
			for _, z := range zones {
				g := ruletest.ComputeBase + ruletest.Project + "/zones/" + z + "/networkEndpointGroups/" + neg
				bs.Backends = append(bs.Backends, &compute.Backend{Group: g})
				negs = append(negs, &compute.NetworkEndpointGroup{Name: neg, SelfLink: g})
			}
			bss = append(bss, bs)
		}
		for ns := 0; ns < 20; ns++ {
			cl.BackendConfigs = append(cl.BackendConfigs, ruletest.BackendConfig(fmt.Sprintf("team%d", ns), "bc",
				inventory.BackendConfigSpec{HealthCheck: &inventory.BackendConfigHealthCheck{TimeoutSec: ruletest.Ptr[int64](5)}}))
		}
		cls = append(cls, cl)
	}
	inv := ruletest.Inventory(cls...)
	inv.Compute.BackendServices, inv.Compute.NEGs, inv.Compute.Instances, inv.Compute.HealthChecks = bss, negs, instances, hcs
	for i := 0; i < 300; i++ {
		inv.Compute.Firewalls = append(inv.Compute.Firewalls, &compute.Firewall{Name: fmt.Sprintf("fw-%d", i), Network: ruletest.ComputeBase + ruletest.Project + "/global/networks/vpc",
			Direction: "INGRESS", Priority: 1000, SourceRanges: []string{fmt.Sprintf("10.%d.0.0/16", i%250)}, Allowed: []*compute.FirewallAllowed{{IPProtocol: "tcp", Ports: []string{"8080"}}}})
	}
	return inv
}

// BenchmarkAllRulesLargeProject runs the whole catalogue over 20 clusters
// of 500 NEG-backed Services each (10,000 Ingresses, 10,000 backend
// services with their health checks, 30,000 NEGs, 10,000 Deployments with
// readiness probes, 300 firewall rules): the L scale of the scale
// benchmark.
func BenchmarkAllRulesLargeProject(b *testing.B) {
	inv := largeProject(20, 500)
	retained, verdicts := resultHeap(inv)
	b.ReportAllocs()
	for b.Loop() {
		if res := inspect.Run(inv, All()); len(res.Failures) > 0 {
			b.Fatal(res.Failures)
		}
	}
	b.ReportMetric(retained, "result-MiB")
	b.ReportMetric(float64(verdicts), "verdicts")
}

// resultHeap is the heap the rules leave once they are done: the result
// (findings, verdicts and the judged resources they point to, checks),
// which the report holds to the end of the run, the clusters' lookup
// indexes, and the gke package's memo of decoded texts. The memo lives
// as long as the process, so only the first measurement in a process
// counts it (-count 1).
func resultHeap(inv *inventory.Inventory) (mib float64, verdicts int) {
	// Two collections empty the pools' victim caches as well.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := inspect.Run(inv, All())
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(res)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / (1 << 20), len(res.Verdicts)
}
