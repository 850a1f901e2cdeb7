// Package network holds the rules about the VPC in front of the backends:
// firewall rules and policies, proxy-only subnets, reserved addresses and
// the project's quotas.
package network
