package lb

import (
	"fmt"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

const docHealthChecks = "https://cloud.google.com/load-balancing/docs/health-check-concepts"

// servingPorts are the ports a backend group receives the backend
// service's traffic on, as far as lbdiag can tell: an instance group's
// named port of the backend service's portName, a zonal NEG's default
// port, or the Pod port of the Service a GKE NEG was made for. what says
// where they come from; ok is false when lbdiag cannot tell (and the pass
// records it when that is because the NEG's cluster's Services were not
// read).
type servingPorts struct {
	ports []int
	what  string
}

func servingPortsOf(p *inspect.Pass, x *core.Index, bs *compute.BackendService, group string) (servingPorts, bool) {
	if ig := x.InstanceGroup(group); ig != nil {
		name := bs.PortName
		if name == "" {
			name = "http"
		}
		var ports []int
		for _, np := range ig.NamedPorts {
			if np.Name == name {
				ports = append(ports, int(np.Port))
			}
		}
		return servingPorts{ports: ports, what: fmt.Sprintf("instance group %s's named port %q", ig.Name, name)}, true
	}
	neg := x.NEG(group)
	if neg == nil || neg.NetworkEndpointType != "GCE_VM_IP_PORT" {
		return servingPorts{}, false
	}
	if neg.DefaultPort > 0 {
		return servingPorts{ports: []int{int(neg.DefaultPort)}, what: fmt.Sprintf("NEG %s's default port", neg.Name)}, true
	}
	// A GKE NEG: the Pod port of the Service port it was made for.
	var d struct {
		ClusterUID string `json:"cluster-uid"`
		Namespace  string `json:"namespace"`
		Service    string `json:"service-name"`
		Port       string `json:"port"`
	}
	if !gke.DecodeJSON("neg-description", neg.Description, &d) || d.Service == "" {
		return servingPorts{}, false
	}
	for _, cl := range x.Inv.Clusters {
		if cl.KubeSystemUID != d.ClusterUID || !p.Known(inventory.KubeServices, cl.Scope()) {
			continue
		}
		svc := core.FindService(cl, d.Namespace, d.Service)
		if svc == nil {
			return servingPorts{}, false
		}
		for _, sp := range svc.Spec.Ports {
			if strconv.Itoa(int(sp.Port)) == d.Port {
				if pp, ok := core.PodPort(cl, svc, sp); ok {
					return servingPorts{ports: []int{pp}, what: fmt.Sprintf("the Pod port of Service %s/%s port %s", d.Namespace, d.Service, core.PortName(sp))}, true
				}
			}
		}
	}
	return servingPorts{}, false
}

// hcFix is how to change a health check: through the Kubernetes object
// that owns it when GKE made it, else with gcloud.
func hcFix(bs *compute.BackendService, hc *compute.HealthCheck, gcloudArgs, k8s string) string {
	if maker, _ := gke.BackendServiceMaker(bs); maker != "" && k8s != "" {
		return k8s
	}
	return fmt.Sprintf("gcloud compute health-checks update %s %s %s %s --project %s", strings.ToLower(hcTypeOrTCP(hc)), hc.Name, core.GCloudLocationFlag(hc.SelfLink), gcloudArgs, inventory.ProjectOf(hc.SelfLink))
}

func hcTypeOrTCP(hc *compute.HealthCheck) string {
	if hc.Type == "" {
		return "tcp"
	}
	return hc.Type
}

// healthChecksKnown reports whether the lists the health-check rules need
// were read, recording that the rule could not check the project when
// not.
func healthChecksKnown(p *inspect.Pass) bool {
	s := inventory.ProjectScope(p.Inventory.Project)
	return p.Known(inventory.ComputeBackendServices, s) && p.Known(inventory.ComputeHealthChecks, s)
}
