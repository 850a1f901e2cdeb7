// Package lb holds the rules about load-balancer resources: backend
// services and their health, health checks, certificates and target
// proxies, graceful scale-down behind NEGs, L4 Services, and the resources
// GKE's controllers created, missing or left over.
package lb
