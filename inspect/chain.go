package inspect

// Chain is one path of traffic lbdiag inspected, from a load balancer's
// Kubernetes object to the backend groups that serve it: an Ingress or
// Gateway, a Service port, the backend service built for it, and its NEGs
// or instance groups.
type Chain struct {
	// Cluster is "location/name".
	Cluster string `json:"cluster"`
	// Owner is "Ingress ns/name" or "Gateway ns/name".
	Owner   string `json:"owner"`
	Class   string `json:"class"`
	Service string `json:"service"`
	Port    string `json:"port"`
	// BackendService is the backend service's name, "" when lbdiag could
	// not tell which one serves this port.
	BackendService string `json:"backendService,omitempty"`
	// Groups are the backend's NEGs or instance groups.
	Groups []ChainGroup `json:"groups,omitempty"`
}

// ChainGroup is one backend group of a chain.
type ChainGroup struct {
	Name string `json:"name"`
	Zone string `json:"zone"`
	// Health is "2 of 3 healthy", or "" when not read.
	Health string `json:"health,omitempty"`
	// Unhealthy is set when the group has endpoints and none is healthy.
	Unhealthy bool `json:"unhealthy,omitempty"`
}
