package lb

import (
	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// hcBackend is a proxy backend service on an instance group with a named
// port, and its health check.
func hcBackend(protocol string, namedPort int64, hcType string, spec *compute.HTTPHealthCheck) *inventory.Inventory {
	inv := ruletest.LBProject()
	bs := &compute.BackendService{Name: "web", SelfLink: ruletest.G("global/backendServices/web"), LoadBalancingScheme: "EXTERNAL_MANAGED", Protocol: protocol, PortName: "http",
		Backends: []*compute.Backend{{Group: ruletest.G("zones/us-east1-b/instanceGroups/web-ig"), BalancingMode: "RATE"}}, HealthChecks: []string{ruletest.G("global/healthChecks/web-hc")}}
	hc := &compute.HealthCheck{Name: "web-hc", Type: hcType, SelfLink: ruletest.G("global/healthChecks/web-hc")}
	switch hcType {
	case "HTTP":
		hc.HttpHealthCheck = spec
	case "TCP":
		hc.TcpHealthCheck = &compute.TCPHealthCheck{Port: spec.Port, PortSpecification: spec.PortSpecification}
	}
	inv.Compute.BackendServices = []*compute.BackendService{bs}
	inv.Compute.HealthChecks = []*compute.HealthCheck{hc}
	inv.Compute.InstanceGroups = []*compute.InstanceGroup{{Name: "web-ig", SelfLink: ruletest.G("zones/us-east1-b/instanceGroups/web-ig"),
		NamedPorts: []*compute.NamedPort{{Name: "http", Port: namedPort}}}}
	return inv
}

// fixedPort is an HTTP health check of a fixed port.
func fixedPort(port int64) *compute.HTTPHealthCheck {
	return &compute.HTTPHealthCheck{Port: port, PortSpecification: "USE_FIXED_PORT", RequestPath: "/healthz"}
}

// servingPort is an HTTP health check of the serving port.
var servingPort = &compute.HTTPHealthCheck{PortSpecification: "USE_SERVING_PORT", RequestPath: "/"}

// addBackend adds to a project a backend service like hcBackend's, named
// name, of protocol, on group, with its own health check hc.
func addBackend(inv *inventory.Inventory, name, protocol, group string, hc *compute.HealthCheck) {
	hc.SelfLink = ruletest.G("global/healthChecks/" + hc.Name)
	inv.Compute.HealthChecks = append(inv.Compute.HealthChecks, hc)
	inv.Compute.BackendServices = append(inv.Compute.BackendServices, &compute.BackendService{Name: name, SelfLink: ruletest.G("global/backendServices/" + name),
		LoadBalancingScheme: "EXTERNAL_MANAGED", Protocol: protocol, PortName: "http", Backends: []*compute.Backend{{Group: group, BalancingMode: "RATE"}},
		HealthChecks: []string{hc.SelfLink}})
}

// webIG is hcBackend's instance group.
var webIG = ruletest.G("zones/us-east1-b/instanceGroups/web-ig")
