package core

import compute "google.golang.org/api/compute/v1"

// Probe is what a health check probes: the port by specification
// (USE_SERVING_PORT, USE_FIXED_PORT, USE_NAMED_PORT), and whether it logs.
type Probe struct {
	Spec     string // SERVING, FIXED, NAMED
	Port     int
	PortName string
	Logging  bool
}

// ProbeOf reads a health check's probe.
func ProbeOf(hc *compute.HealthCheck) Probe {
	s := Probe{Logging: hc.LogConfig != nil && hc.LogConfig.Enable}
	var port int64
	var ps, name string
	switch {
	case hc.HttpHealthCheck != nil:
		port, ps, name = hc.HttpHealthCheck.Port, hc.HttpHealthCheck.PortSpecification, hc.HttpHealthCheck.PortName
	case hc.HttpsHealthCheck != nil:
		port, ps, name = hc.HttpsHealthCheck.Port, hc.HttpsHealthCheck.PortSpecification, hc.HttpsHealthCheck.PortName
	case hc.Http2HealthCheck != nil:
		port, ps, name = hc.Http2HealthCheck.Port, hc.Http2HealthCheck.PortSpecification, hc.Http2HealthCheck.PortName
	case hc.TcpHealthCheck != nil:
		port, ps, name = hc.TcpHealthCheck.Port, hc.TcpHealthCheck.PortSpecification, hc.TcpHealthCheck.PortName
	case hc.SslHealthCheck != nil:
		port, ps, name = hc.SslHealthCheck.Port, hc.SslHealthCheck.PortSpecification, hc.SslHealthCheck.PortName
	case hc.GrpcHealthCheck != nil:
		port, ps, name = hc.GrpcHealthCheck.Port, hc.GrpcHealthCheck.PortSpecification, hc.GrpcHealthCheck.PortName
	}
	switch {
	case ps == "USE_SERVING_PORT":
		s.Spec = "SERVING"
	case ps == "USE_NAMED_PORT" || (ps == "" && port == 0 && name != ""):
		s.Spec, s.PortName = "NAMED", name
	case port > 0:
		s.Spec, s.Port = "FIXED", int(port)
	default:
		// Nothing set: the API defaults the port to 80 (443 for HTTPS
		// and SSL); a fixed port all the same.
		s.Spec, s.Port = "FIXED", 80
		if hc.Type == "HTTPS" || hc.Type == "SSL" || hc.Type == "HTTP2" {
			s.Port = 443
		}
	}
	return s
}
