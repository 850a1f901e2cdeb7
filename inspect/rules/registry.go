// Package rules holds lbdiag's rules, one per file, and the registry that
// lists them. Each rule is a declared inspect.Rule value.
package rules

import "github.com/lbdiag/lbdiag/inspect"

// All returns every rule, in catalogue order.
func All() []*inspect.Rule {
	return []*inspect.Rule{
		BackendConfigMissing,
		SecurityPolicyMissing,
		ProxyOnlySubnetMissing,
	}
}
