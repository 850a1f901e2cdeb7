package lb

import (
	"fmt"
	"sort"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

const docBackendService = "https://cloud.google.com/load-balancing/docs/backend-service"

// backendServicesKnown reports whether the project's backend services were
// read.
func backendServicesKnown(inv *inventory.Inventory) bool {
	return inv.Known(inventory.ComputeBackendServices, inventory.ProjectScope(inv.Project))
}

// ownBackendServices are the backend services of the inspected project.
func ownBackendServices(inv *inventory.Inventory) []*compute.BackendService {
	var out []*compute.BackendService
	for _, bs := range inv.Compute.BackendServices {
		if inventory.ProjectOf(bs.SelfLink) == inv.Project {
			out = append(out, bs)
		}
	}
	return out
}

// affinitySet reports whether a backend service has session affinity.
func affinitySet(bs *compute.BackendService) bool {
	return bs.SessionAffinity != "" && bs.SessionAffinity != "NONE"
}

// gkeFix is the Kubernetes change for a backend-service setting GKE
// manages, by who made the backend service; "" when GKE did not.
func gkeFix(bs *compute.BackendService, ingress, gateway string) string {
	switch maker, svc := core.GKEBackendService(bs); maker {
	case "Ingress":
		return strings.ReplaceAll(ingress, "SERVICE", core.OrDash(svc))
	case "Gateway":
		return gateway
	}
	return ""
}

// SessionAffinityUtilization reports session affinity with the
// UTILIZATION balancing mode.
var SessionAffinityUtilization = &inspect.Rule{
	ID:       "session-affinity-utilization",
	Severity: inspect.Warning,
	Title:    "No backend service combines session affinity with the UTILIZATION balancing mode",
	Doc: inspect.Doc{
		Why:     `Session affinity sends a client's requests to the same backend; the UTILIZATION balancing mode moves new requests away from backend groups as their CPU utilization rises. Together, the load balancer favours its utilization target over affinity: sessions move to other backends as load changes (logged-out users, lost carts, cache misses), while some backends stay overloaded. RATE (HTTP and HTTPS) or CONNECTION (TCP and SSL) keep affinity stable.`,
		Fix:     `gcloud compute backend-services update-backend BS --instance-group=IG --instance-group-zone=ZONE --balancing-mode=RATE --max-rate-per-instance=N --global (CONNECTION with --max-connections-per-instance for TCP and SSL).`,
		Sources: []string{"Backend services overview: session affinity and balancing modes (" + docBackendService + "#session_affinity)", "gcpdiag lb/BP/2026_001"},
		URL:     docBackendService + "#session_affinity",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !backendServicesKnown(inv) {
			return
		}
		for _, bs := range ownBackendServices(inv) {
			if !affinitySet(bs) {
				continue
			}
			var groups []string
			for _, b := range bs.Backends {
				if b.BalancingMode == "UTILIZATION" {
					groups = append(groups, inventory.LastSegment(b.Group)+" ("+inventory.LocationOf(b.Group)+")")
				}
			}
			if len(groups) == 0 {
				continue
			}
			mode, flag := "RATE", "--max-rate-per-instance=100"
			if bs.Protocol == "TCP" || bs.Protocol == "SSL" {
				mode, flag = "CONNECTION", "--max-connections-per-instance=100"
			}
			first := bs.Backends[0]
			for _, b := range bs.Backends {
				if b.BalancingMode == "UTILIZATION" {
					first = b
					break
				}
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("Backend service %s has session affinity %s, but %s %s the UTILIZATION balancing mode: as utilization changes, sessions move to other backends",
					bs.Name, bs.SessionAffinity, strings.Join(groups, ", "), agree(len(groups), "uses", "use")),
				Resource: core.BackendServiceResource(bs),
				Evidence: map[string]any{"sessionAffinity": bs.SessionAffinity, "utilizationBackends": groups},
				Remediation: fmt.Sprintf("gcloud compute backend-services update-backend %s %s --instance-group=%s --instance-group-%s --balancing-mode=%s %s --project %s   # each group listed; the numbers are the capacity per instance",
					bs.Name, core.GCloudScope(bs), inventory.LastSegment(first.Group), strings.TrimPrefix(core.GCloudLocationFlag(first.Group), "--"), mode, flag, inventory.ProjectOf(bs.SelfLink)),
			})
		}
	},
}

// SessionAffinityLocalityPolicy reports session affinity that the
// backend service's locality policy ignores.
var SessionAffinityLocalityPolicy = &inspect.Rule{
	ID:       "session-affinity-locality-policy",
	Severity: inspect.Warning,
	Title:    "Every Envoy-based backend service with session affinity uses the MAGLEV or RING_HASH locality policy",
	Doc: inspect.Doc{
		Why: `For the Envoy-based load balancers (schemes EXTERNAL_MANAGED, INTERNAL_MANAGED and INTERNAL_SELF_MANAGED), the Compute Engine API says that when sessionAffinity is not NONE and localityLbPolicy is not MAGLEV or RING_HASH, the session affinity settings do not take effect: requests of one client spread over all backends, as if affinity were NONE. The default policy is ROUND_ROBIN.`,
		Fix: `gcloud compute backend-services update BS --locality-lb-policy=RING_HASH --global (or MAGLEV). For a GKE Gateway, set localityLbAlgorithm in a GCPTrafficDistributionPolicy targeting the Service.`,
		Sources: []string{"Compute Engine API backendServices: localityLbPolicy (\"If sessionAffinity is not NONE, and this field is not set to MAGLEV or RING_HASH, session affinity settings will not take effect\")",
			"gcpdiag lb/BP/2022_001"},
		URL: "https://cloud.google.com/compute/docs/reference/rest/v1/backendServices",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !backendServicesKnown(inv) {
			return
		}
		for _, bs := range ownBackendServices(inv) {
			switch bs.LoadBalancingScheme {
			case "EXTERNAL_MANAGED", "INTERNAL_MANAGED", "INTERNAL_SELF_MANAGED":
			default:
				continue
			}
			if !affinitySet(bs) || bs.LocalityLbPolicy == "MAGLEV" || bs.LocalityLbPolicy == "RING_HASH" {
				continue
			}
			policy := bs.LocalityLbPolicy
			if policy == "" {
				policy = "unset (ROUND_ROBIN)"
			}
			fix := gkeFix(bs, "", "kubectl apply -f - <<'EOF'   # a GCPTrafficDistributionPolicy for the Service\napiVersion: networking.gke.io/v1\nkind: GCPTrafficDistributionPolicy\nmetadata:\n  name: SERVICE-affinity\n  namespace: NS\nspec:\n  targetRefs:\n  - group: \"\"\n    kind: Service\n    name: SERVICE\n  default:\n    localityLbAlgorithm: RING_HASH\nEOF")
			if fix == "" {
				fix = fmt.Sprintf("gcloud compute backend-services update %s %s --locality-lb-policy=RING_HASH --project %s", bs.Name, core.GCloudScope(bs), inventory.ProjectOf(bs.SelfLink))
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("Backend service %s (%s) has session affinity %s, but its localityLbPolicy is %s: the affinity does not take effect",
					bs.Name, bs.LoadBalancingScheme, bs.SessionAffinity, policy),
				Resource:    core.BackendServiceResource(bs),
				Evidence:    map[string]any{"sessionAffinity": bs.SessionAffinity, "localityLbPolicy": bs.LocalityLbPolicy, "loadBalancingScheme": bs.LoadBalancingScheme},
				Remediation: fix,
			})
		}
	},
}

// ConnectionDrainingDisabled reports proxy load balancers with instance
// group backends and no connection draining.
var ConnectionDrainingDisabled = &inspect.Rule{
	ID:       "connection-draining-disabled",
	Severity: inspect.Warning,
	Title:    "Every proxy load balancer with instance-group backends drains connections",
	Doc: inspect.Doc{
		Why:     `When an instance leaves an instance group (scale-in, a rolling update, autohealing) or the group leaves the backend service, connectionDraining.drainingTimeoutSec is how long requests in flight may finish. With 0, the load balancer cuts them at once: clients see 502s at every scale-in and deployment. It is 0 unless set (also on the backend services GKE's Ingress builds for instance groups). The NEG case is neg-drain-timeout-unset.`,
		Fix:     `gcloud compute backend-services update BS --connection-draining-timeout=60 --global. For a GKE Ingress, set spec.connectionDraining.drainingTimeoutSec in the Service port's BackendConfig.`,
		Sources: []string{"Enable connection draining (cloud.google.com/load-balancing/docs/enabling-connection-draining)", "gcpdiag lb/BP/2025_003"},
		URL:     "https://cloud.google.com/load-balancing/docs/enabling-connection-draining",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !backendServicesKnown(inv) {
			return
		}
		for _, bs := range ownBackendServices(inv) {
			if !core.IsProxyBackendService(bs) || (bs.ConnectionDraining != nil && bs.ConnectionDraining.DrainingTimeoutSec > 0) {
				continue
			}
			var igs []string
			for _, b := range bs.Backends {
				if strings.Contains(b.Group, "/instanceGroups/") {
					igs = append(igs, inventory.LastSegment(b.Group))
				}
			}
			if len(igs) == 0 {
				continue
			}
			fix := gkeFix(bs, `kubectl patch backendconfig BACKENDCONFIG -n NS --type merge -p '{"spec":{"connectionDraining":{"drainingTimeoutSec":60}}}'   # the BackendConfig of Service SERVICE's port`, "")
			if fix == "" {
				fix = fmt.Sprintf("gcloud compute backend-services update %s %s --connection-draining-timeout=60 --project %s", bs.Name, core.GCloudScope(bs), inventory.ProjectOf(bs.SelfLink))
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("Backend service %s (%s, %s) has connectionDraining.drainingTimeoutSec 0 and instance-group backends (%s): requests in flight on an instance that leaves its group are cut (502 at every scale-in and rolling update)",
					bs.Name, bs.LoadBalancingScheme, bs.Protocol, strings.Join(core.SortedUnique(igs), ", ")),
				Resource:    core.BackendServiceResource(bs),
				Evidence:    map[string]any{"connectionDraining.drainingTimeoutSec": 0, "instanceGroups": igs},
				Remediation: fix,
			})
		}
	},
}

// BackendTimeoutTooLong reports external backend services with a timeout
// over a day.
var BackendTimeoutTooLong = &inspect.Rule{
	ID:       "backend-timeout-too-long",
	Severity: inspect.Warning,
	Title:    "No external backend service has a timeout over 86,400 seconds",
	Doc: inspect.Doc{
		Why:     `Google recommends no backend service timeout above 24 hours (86,400 s) for external Application Load Balancers: Google Cloud restarts its front ends periodically for updates and maintenance, so connections cannot live that long anyway, and a longer timeout only lets a stuck backend hold a request for days.`,
		Fix:     `gcloud compute backend-services update BS --timeout=86400 --global. For GKE, lower spec.timeoutSec in the BackendConfig (Ingress) or spec.default.timeoutSec in the GCPBackendPolicy (Gateway).`,
		Sources: []string{"Backend service timeout (" + docBackendService + "#timeout-setting)", "gcpdiag lb/BP/2025_002"},
		URL:     docBackendService + "#timeout-setting",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !backendServicesKnown(inv) {
			return
		}
		for _, bs := range ownBackendServices(inv) {
			if (bs.LoadBalancingScheme != "EXTERNAL" && bs.LoadBalancingScheme != "EXTERNAL_MANAGED") || !core.IsProxyBackendService(bs) || bs.TimeoutSec <= 86400 {
				continue
			}
			fix := gkeFix(bs, `kubectl patch backendconfig BACKENDCONFIG -n NS --type merge -p '{"spec":{"timeoutSec":86400}}'   # the BackendConfig of Service SERVICE's port`,
				`kubectl patch gcpbackendpolicy POLICY -n NS --type merge -p '{"spec":{"default":{"timeoutSec":86400}}}'   # the GCPBackendPolicy of the Service`)
			if fix == "" {
				fix = fmt.Sprintf("gcloud compute backend-services update %s %s --timeout=86400 --project %s", bs.Name, core.GCloudScope(bs), inventory.ProjectOf(bs.SelfLink))
			}
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("Backend service %s (%s) has timeoutSec %d, over the 86,400 s (24 h) Google recommends at most: front-end restarts cut such connections anyway", bs.Name, bs.LoadBalancingScheme, bs.TimeoutSec),
				Resource:    core.BackendServiceResource(bs),
				Evidence:    map[string]any{"timeoutSec": bs.TimeoutSec},
				Remediation: fix,
			})
		}
	},
}

// InstanceGroupDuplicateNamedPort reports instance groups with two named
// ports of the same name.
var InstanceGroupDuplicateNamedPort = &inspect.Rule{
	ID:       "instance-group-duplicate-named-port",
	Severity: inspect.Warning,
	Title:    "No instance group has two named ports of the same name",
	Doc: inspect.Doc{
		Why:     `A backend service reaches an instance group on the port its portName names. When the group defines that name twice with different ports, which one the load balancer uses is not defined: traffic and health checks can go to the wrong port, and change when the group is updated.`,
		Fix:     `Keep one port per name: gcloud compute instance-groups set-named-ports IG --named-ports=NAME:PORT[,OTHER:PORT] --zone ZONE (the command replaces the whole list).`,
		Sources: []string{"Instance groups: assigning named ports (cloud.google.com/compute/docs/instance-groups/creating-groups-of-unmanaged-instances#assign_named_ports)", "gcpdiag test project lb2 (instance-group-1)"},
		URL:     "https://cloud.google.com/compute/docs/instance-groups/creating-groups-of-unmanaged-instances#assign_named_ports",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !inv.Known(inventory.ComputeInstanceGroups, inventory.ProjectScope(inv.Project)) {
			return
		}
		for _, ig := range inv.Compute.InstanceGroups {
			ports := map[string][]int64{}
			for _, np := range ig.NamedPorts {
				ports[np.Name] = append(ports[np.Name], np.Port)
			}
			var dups []string
			keep := []string{}
			for _, name := range core.SortedKeys(ports) {
				v := ports[name]
				keep = append(keep, fmt.Sprintf("%s:%d", name, v[0]))
				if len(v) > 1 {
					sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
					var s []string
					for _, n := range v {
						s = append(s, fmt.Sprint(n))
					}
					dups = append(dups, fmt.Sprintf("%q on ports %s", name, strings.Join(s, " and ")))
				}
			}
			if len(dups) == 0 {
				continue
			}
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("Instance group %s defines named port %s: a backend service using that name reaches an undefined one of them", ig.Name, strings.Join(dups, ", ")),
				Resource:    core.ResourceOf("InstanceGroup", ig.SelfLink),
				Evidence:    map[string]any{"namedPorts": ig.NamedPorts},
				Remediation: fmt.Sprintf("gcloud compute instance-groups set-named-ports %s --named-ports=%s %s --project %s   # keep the port each name should mean", ig.Name, strings.Join(keep, ","), core.GCloudLocationFlag(ig.SelfLink), inventory.ProjectOf(ig.SelfLink)),
			})
		}
	},
}

// InternalForwardingRuleGlobalAccess reports internal forwarding rules
// without global access that clients in other regions are shown to use.
var InternalForwardingRuleGlobalAccess = &inspect.Rule{
	ID:       "internal-forwarding-rule-global-access",
	Severity: inspect.Info,
	Title:    "Internal load balancers that clients in other regions use allow global access",
	Doc: inspect.Doc{
		Why:     `An internal load balancer's forwarding rule answers only clients in its own region unless allowGlobalAccess is true; connections from other regions of the VPC (or of peered VPCs) time out. lbdiag reports it only with evidence that such clients exist: a Kubernetes Service in a cluster of another region whose endpoints are the forwarding rule's address (a selector-less Service pointing at the load balancer). gcpdiag flags every regional internal forwarding rule without global access; lbdiag does not, because a regional load balancer is often meant to be regional.`,
		Fix:     `gcloud compute forwarding-rules update FR --region REGION --allow-global-access. For a GKE internal LoadBalancer Service, set the annotation networking.gke.io/internal-load-balancer-allow-global-access: "true"; for a gce-internal Ingress or an internal Gateway, a FrontendConfig or GCPGatewayPolicy with allowGlobalAccess.`,
		Sources: []string{"Internal passthrough Network Load Balancer: global access (cloud.google.com/load-balancing/docs/internal#client_access)", "gcpdiag lb/BP/2024_002"},
		URL:     "https://cloud.google.com/load-balancing/docs/internal#client_access",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !inv.Known(inventory.ComputeForwardingRules, inventory.ProjectScope(inv.Project)) {
			return
		}
		for _, fr := range inv.Compute.ForwardingRules {
			if fr.Region == "" || fr.AllowGlobalAccess || fr.IPAddress == "" || (fr.LoadBalancingScheme != "INTERNAL" && fr.LoadBalancingScheme != "INTERNAL_MANAGED") {
				continue
			}
			region := inventory.LastSegment(fr.Region)
			var clients []string
			for _, cl := range inv.Clusters {
				if cl.Region() == region || !inventory.SameResource(cl.NetworkURL(), fr.Network) || !inv.Known(inventory.KubeEndpointSlices, cl.Scope()) {
					continue
				}
				for _, es := range cl.EndpointSlices {
					for _, ep := range es.Endpoints {
						if core.Contains(ep.Addresses, fr.IPAddress) {
							svc := es.Labels["kubernetes.io/service-name"]
							clients = append(clients, fmt.Sprintf("Service %s/%s in cluster %s/%s (region %s)", es.Namespace, core.OrDash(svc), cl.Location(), cl.Name(), cl.Region()))
						}
					}
				}
			}
			if len(clients) == 0 {
				continue
			}
			clients = core.SortedUnique(clients)
			fix := fmt.Sprintf("gcloud compute forwarding-rules update %s --region %s --allow-global-access --project %s", fr.Name, region, inventory.ProjectOf(fr.SelfLink))
			if svc := core.L4ServiceOfDescription(fr.Description); svc != "" {
				ns, name, _ := strings.Cut(svc, "/")
				fix = fmt.Sprintf(`kubectl annotate service %s -n %s networking.gke.io/internal-load-balancer-allow-global-access="true" --overwrite   # in the cluster that owns the Service`, name, ns)
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("Internal forwarding rule %s (%s, region %s) does not allow global access, but %s %s it from another region: those connections time out",
					fr.Name, fr.IPAddress, region, strings.Join(clients, ", "), agree(len(clients), "sends to", "send to")),
				Resource:    core.ResourceOf("ForwardingRule", fr.SelfLink),
				Evidence:    map[string]any{"allowGlobalAccess": false, "IPAddress": fr.IPAddress, "clients": clients},
				Remediation: fix,
			})
		}
	},
}
