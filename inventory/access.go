package inventory

// The paths to a cluster's Kubernetes API, in the order --cluster-endpoint
// auto tries them (after a matching kubeconfig context).
const (
	ViaKubeconfig     = "kubeconfig"
	ViaPublic         = "public"
	ViaDNS            = "dns"
	ViaConnectGateway = "connect-gateway"
	ViaPrivate        = "private"
	// ViaNone: no path reached the cluster.
	ViaNone = "none"
)

// Results of one attempt to reach a cluster by one path.
const (
	// ReachOK: the cluster's API server answered (whatever RBAC then
	// allows).
	ReachOK = "ok"
	// ReachTimeout: nothing answered within the connect timeout; what
	// authorized networks do to a caller outside them.
	ReachTimeout = "timeout"
	// ReachRefused: the connection was refused or reset, the name did not
	// resolve, or a proxy would not connect.
	ReachRefused = "refused"
	// ReachTLS: the server's certificate did not verify.
	ReachTLS = "tls"
	// ReachForbidden: a 403, from Google's front end (the DNS endpoint,
	// the Connect gateway) or from the API server.
	ReachForbidden = "forbidden"
	// ReachUnauthorized: a 401: the credentials were rejected.
	ReachUnauthorized = "unauthorized"
	// ReachSkipped: the path was not tried (not usable, not asked for, or
	// an earlier path answered).
	ReachSkipped = "skipped"
)

// ClusterAccess is how lbdiag reached one cluster's Kubernetes API: the
// path it used (ViaNone when none worked), that path's endpoint, and every
// path it considered, in order.
type ClusterAccess struct {
	// Cluster is "<location>/<name>".
	Cluster  string          `json:"cluster"`
	Via      string          `json:"via"`
	Endpoint string          `json:"endpoint,omitempty"`
	Attempts []AccessAttempt `json:"attempts"`
}

// AccessAttempt is one path lbdiag considered for a cluster.
type AccessAttempt struct {
	Via string `json:"via"`
	// Endpoint is the host (or the Connect gateway's URL) of the path; ""
	// when the cluster has none of that kind.
	Endpoint string `json:"endpoint,omitempty"`
	Result   string `json:"result"`
	// Detail says why: the error, the answer, or why the path was
	// skipped.
	Detail string `json:"detail,omitempty"`
}
