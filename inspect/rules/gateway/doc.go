// Package gateway holds the rules of the Gateway API on GKE: Gateways,
// GatewayClasses, routes, ReferenceGrants and GKE's policies, judged as
// the Gateway API spec and the GKE Gateway controller decide.
package gateway
