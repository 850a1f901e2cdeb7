// Package core holds what several rule families share: lookups over the
// inventory (index, backend services by Service port, workloads), the
// parsers of GKE's annotations and descriptions, GKE's naming, the
// Services GKE's Ingresses and Gateways reach through NEGs, and the cited
// documentation. It judges nothing.
package core
