package inventory

import "time"

// AuditChanges is the coverage source of the Admin Activity audit log
// entries of the project's load-balancing resources (--changes).
const AuditChanges Source = "logging.auditChanges"

// Changes are the Admin Activity audit log entries of the project's
// load-balancing resources over a window before the collection
// (--changes): who changed what, and when.
type Changes struct {
	Since, Until time.Time
	// ByResource holds each resource's changes, newest first, by its
	// relative name ("projects/P/global/firewalls/NAME").
	ByResource map[string][]Change
	// Capped is set when the cap of entries stopped the reading: older
	// changes in the window are not known.
	Capped bool
}

// Change is one operation on a resource, as its audit entries tell it.
type Change struct {
	// At is when the operation completed (its last entry), else when it
	// started.
	At time.Time
	// Method is the audit log's methodName, such as
	// "v1.compute.firewalls.delete".
	Method string
	// Principal is who called: the domain of the caller's email
	// ("…@example.com") unless --show-principals.
	Principal string
	// Resource is the relative name the entry names.
	Resource string
	// Certificates are the SSL certificates (relative names) the request
	// sets on a target proxy: setSslCertificates, insert, patch.
	Certificates []string
	// Failed is set when the operation reported an error.
	Failed bool
}

// Verb is the method's last segment: "delete", "insert",
// "setSslCertificates".
func (c Change) Verb() string {
	return c.Method[lastDot(c.Method)+1:]
}

func lastDot(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}
