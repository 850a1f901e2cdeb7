package inventory

import "time"

// MonitoringTraffic is the coverage source of the Application Load
// Balancers' traffic read from Cloud Monitoring (--metrics).
const MonitoringTraffic Source = "monitoring.timeSeries"

// Metrics is what Cloud Monitoring said of the project's Application Load
// Balancers over a window before the collection (--metrics): requests,
// server errors and backend latency, per URL map, backend service and
// forwarding rule. A resource that served nothing has no entry: Monitoring
// writes no series for it.
type Metrics struct {
	Since, Until time.Time
	// Traffic is keyed by TrafficKey.
	Traffic map[string]*Traffic
	// Max5xxRatio is the ratio of server errors above which a load
	// balancer's error rate is a finding (--max-5xx-ratio).
	Max5xxRatio float64
}

// Traffic is one load-balancing resource's traffic over the window.
type Traffic struct {
	// Requests and Errors5xx count the requests, and those answered with
	// a 5xx status, over the window.
	Requests, Errors5xx float64
	// P95Ms is the 95th percentile of the backend latency in
	// milliseconds, when HasP95.
	P95Ms  float64
	HasP95 bool
}

// Traffic kinds: the monitored-resource labels that name them.
const (
	TrafficURLMap         = "UrlMap"
	TrafficBackend        = "BackendService"
	TrafficForwardingRule = "ForwardingRule"
)

// TrafficKey names a resource's traffic: its kind, its region ("global"
// for the global load balancers' resources) and its name.
func TrafficKey(kind, region, name string) string {
	return kind + "/" + region + "/" + name
}

// TrafficKeyOf is the TrafficKey of a resource URL.
func TrafficKeyOf(kind, selfLink string) string {
	region := "global"
	if loc := LocationOf(selfLink); loc != "" {
		region = RegionOfLocation(loc)
	}
	return TrafficKey(kind, region, LastSegment(selfLink))
}
