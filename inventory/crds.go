package inventory

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The types below are the parts of GKE's custom resources that lbdiag reads.
// They decode the objects' JSON as the API server returns them; fields
// lbdiag does not use are not declared.

// BackendConfig is cloud.google.com/v1 BackendConfig.
type BackendConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              BackendConfigSpec `json:"spec,omitempty"`
}

// BackendConfigSpec is the spec of a BackendConfig. A nil section means the
// controller leaves that setting of the backend service alone.
type BackendConfigSpec struct {
	TimeoutSec         *int64                       `json:"timeoutSec,omitempty"`
	ConnectionDraining *BackendConfigDraining       `json:"connectionDraining,omitempty"`
	SecurityPolicy     *BackendConfigSecurityPolicy `json:"securityPolicy,omitempty"`
	SessionAffinity    *BackendConfigAffinity       `json:"sessionAffinity,omitempty"`
	Logging            *BackendConfigLogging        `json:"logging,omitempty"`
	HealthCheck        *BackendConfigHealthCheck    `json:"healthCheck,omitempty"`
	IAP                *BackendConfigToggle         `json:"iap,omitempty"`
	CDN                *BackendConfigToggle         `json:"cdn,omitempty"`
}

// BackendConfigDraining is spec.connectionDraining.
type BackendConfigDraining struct {
	DrainingTimeoutSec int64 `json:"drainingTimeoutSec,omitempty"`
}

// BackendConfigSecurityPolicy is spec.securityPolicy.
type BackendConfigSecurityPolicy struct {
	Name string `json:"name"`
}

// BackendConfigAffinity is spec.sessionAffinity.
type BackendConfigAffinity struct {
	AffinityType         string `json:"affinityType,omitempty"`
	AffinityCookieTTLSec *int64 `json:"affinityCookieTtlSec,omitempty"`
}

// BackendConfigLogging is spec.logging.
type BackendConfigLogging struct {
	Enable     bool     `json:"enable,omitempty"`
	SampleRate *float64 `json:"sampleRate,omitempty"`
}

// BackendConfigHealthCheck is spec.healthCheck.
type BackendConfigHealthCheck struct {
	CheckIntervalSec   *int64  `json:"checkIntervalSec,omitempty"`
	TimeoutSec         *int64  `json:"timeoutSec,omitempty"`
	HealthyThreshold   *int64  `json:"healthyThreshold,omitempty"`
	UnhealthyThreshold *int64  `json:"unhealthyThreshold,omitempty"`
	Type               *string `json:"type,omitempty"`
	Port               *int64  `json:"port,omitempty"`
	RequestPath        *string `json:"requestPath,omitempty"`
}

// BackendConfigToggle is the "enabled" switch of spec.iap and spec.cdn.
type BackendConfigToggle struct {
	Enabled bool `json:"enabled"`
}

// FrontendConfig is networking.gke.io/v1beta1 FrontendConfig.
type FrontendConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		SSLPolicy       *string `json:"sslPolicy,omitempty"`
		RedirectToHTTPS *struct {
			Enabled          bool   `json:"enabled"`
			ResponseCodeName string `json:"responseCodeName,omitempty"`
		} `json:"redirectToHttps,omitempty"`
	} `json:"spec,omitempty"`
}

// ManagedCertificate is networking.gke.io/v1 ManagedCertificate.
type ManagedCertificate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		Domains []string `json:"domains,omitempty"`
	} `json:"spec,omitempty"`
	Status struct {
		CertificateName   string `json:"certificateName,omitempty"`
		CertificateStatus string `json:"certificateStatus,omitempty"`
		DomainStatus      []struct {
			Domain string `json:"domain"`
			Status string `json:"status"`
		} `json:"domainStatus,omitempty"`
		ExpireTime string `json:"expireTime,omitempty"`
	} `json:"status,omitempty"`
}

// ServiceNetworkEndpointGroup is networking.gke.io/v1beta1
// ServiceNetworkEndpointGroup, maintained by the NEG controller.
type ServiceNetworkEndpointGroup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Status            struct {
		NetworkEndpointGroups []struct {
			ID                  string `json:"id,omitempty"`
			SelfLink            string `json:"selfLink,omitempty"`
			SubnetURL           string `json:"subnetURL,omitempty"`
			NetworkEndpointType string `json:"networkEndpointType,omitempty"`
			State               string `json:"state,omitempty"`
		} `json:"networkEndpointGroups,omitempty"`
		Conditions   []metav1.Condition `json:"conditions,omitempty"`
		LastSyncTime *metav1.Time       `json:"lastSyncTime,omitempty"`
	} `json:"status,omitempty"`
}

// GatewayClass is gateway.networking.k8s.io/v1 GatewayClass.
type GatewayClass struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		ControllerName string `json:"controllerName"`
	} `json:"spec,omitempty"`
	Status struct {
		Conditions []metav1.Condition `json:"conditions,omitempty"`
	} `json:"status,omitempty"`
}

// Gateway is gateway.networking.k8s.io/v1 Gateway.
type Gateway struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		GatewayClassName string           `json:"gatewayClassName"`
		Listeners        []Listener       `json:"listeners,omitempty"`
		Addresses        []GatewayAddress `json:"addresses,omitempty"`
	} `json:"spec,omitempty"`
	Status struct {
		Addresses  []GatewayAddress   `json:"addresses,omitempty"`
		Conditions []metav1.Condition `json:"conditions,omitempty"`
		Listeners  []struct {
			Name       string             `json:"name"`
			Conditions []metav1.Condition `json:"conditions,omitempty"`
		} `json:"listeners,omitempty"`
	} `json:"status,omitempty"`
}

// GatewayAddress is an address a Gateway asks for (spec) or has (status).
type GatewayAddress struct {
	Type  *string `json:"type,omitempty"`
	Value string  `json:"value"`
}

// Listener is one listener of a Gateway.
type Listener struct {
	Name          string         `json:"name"`
	Hostname      *string        `json:"hostname,omitempty"`
	Port          int32          `json:"port"`
	Protocol      string         `json:"protocol"`
	TLS           *ListenerTLS   `json:"tls,omitempty"`
	AllowedRoutes *AllowedRoutes `json:"allowedRoutes,omitempty"`
}

// ListenerTLS is a listener's TLS configuration: Secrets, or options
// naming GKE certificates (networking.gke.io/pre-shared-certs,
// networking.gke.io/cert-manager-certs).
type ListenerTLS struct {
	Mode            *string           `json:"mode,omitempty"`
	CertificateRefs []ObjectReference `json:"certificateRefs,omitempty"`
	Options         map[string]string `json:"options,omitempty"`
}

// ObjectReference is a Gateway API reference to an object (a Secret).
type ObjectReference struct {
	Group     *string `json:"group,omitempty"`
	Kind      *string `json:"kind,omitempty"`
	Name      string  `json:"name"`
	Namespace *string `json:"namespace,omitempty"`
}

// AllowedRoutes says which routes may attach to a listener.
type AllowedRoutes struct {
	Namespaces *struct {
		From     *string               `json:"from,omitempty"`
		Selector *metav1.LabelSelector `json:"selector,omitempty"`
	} `json:"namespaces,omitempty"`
	Kinds []RouteGroupKind `json:"kinds,omitempty"`
}

// RouteGroupKind is a route kind a listener allows.
type RouteGroupKind struct {
	Group *string `json:"group,omitempty"`
	Kind  string  `json:"kind"`
}

// ParentReference is a Gateway API parentRef.
type ParentReference struct {
	Group       *string `json:"group,omitempty"`
	Kind        *string `json:"kind,omitempty"`
	Namespace   *string `json:"namespace,omitempty"`
	Name        string  `json:"name"`
	SectionName *string `json:"sectionName,omitempty"`
	Port        *int32  `json:"port,omitempty"`
}

// BackendRef is a Gateway API backendRef.
type BackendRef struct {
	Group     *string `json:"group,omitempty"`
	Kind      *string `json:"kind,omitempty"`
	Namespace *string `json:"namespace,omitempty"`
	Name      string  `json:"name"`
	Port      *int32  `json:"port,omitempty"`
	Weight    *int32  `json:"weight,omitempty"`
	// Filters are a backendRef's own filters (HTTPRoute only).
	Filters []RouteFilter `json:"filters,omitempty"`
}

// HTTPRoute is gateway.networking.k8s.io/v1 HTTPRoute.
type HTTPRoute struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		ParentRefs []ParentReference `json:"parentRefs,omitempty"`
		Hostnames  []string          `json:"hostnames,omitempty"`
		Rules      []HTTPRouteRule   `json:"rules,omitempty"`
	} `json:"spec,omitempty"`
	Status struct {
		Parents []struct {
			ParentRef      ParentReference    `json:"parentRef"`
			ControllerName string             `json:"controllerName"`
			Conditions     []metav1.Condition `json:"conditions,omitempty"`
		} `json:"parents,omitempty"`
	} `json:"status,omitempty"`
}

// HTTPRouteRule is one rule of an HTTPRoute.
type HTTPRouteRule struct {
	Name        *string          `json:"name,omitempty"`
	Matches     []HTTPRouteMatch `json:"matches,omitempty"`
	Filters     []RouteFilter    `json:"filters,omitempty"`
	BackendRefs []BackendRef     `json:"backendRefs,omitempty"`
	// Timeouts, Retry and SessionPersistence are kept raw: lbdiag only
	// asks whether they are set.
	Timeouts           json.RawMessage `json:"timeouts,omitempty"`
	Retry              json.RawMessage `json:"retry,omitempty"`
	SessionPersistence json.RawMessage `json:"sessionPersistence,omitempty"`
}

// RouteFilter is one filter of a route rule or backendRef.
type RouteFilter struct {
	Type            string         `json:"type"`
	RequestMirror   *RequestMirror `json:"requestMirror,omitempty"`
	RequestRedirect *struct {
		Scheme     *string `json:"scheme,omitempty"`
		Hostname   *string `json:"hostname,omitempty"`
		Port       *int32  `json:"port,omitempty"`
		StatusCode *int    `json:"statusCode,omitempty"`
		Path       *struct {
			Type string `json:"type"`
		} `json:"path,omitempty"`
	} `json:"requestRedirect,omitempty"`
	URLRewrite *struct {
		Hostname *string `json:"hostname,omitempty"`
		Path     *struct {
			Type string `json:"type"`
		} `json:"path,omitempty"`
	} `json:"urlRewrite,omitempty"`
	CORS json.RawMessage `json:"cors,omitempty"`
}

// RequestMirror is a RequestMirror filter: a copy of each request (or of
// a share) goes to the backend.
type RequestMirror struct {
	BackendRef BackendRef `json:"backendRef"`
	Percent    *int32     `json:"percent,omitempty"`
}

// GRPCRoute is gateway.networking.k8s.io/v1 GRPCRoute: lbdiag checks its
// parents and backends like an HTTPRoute's.
type GRPCRoute struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		ParentRefs []ParentReference `json:"parentRefs,omitempty"`
		Hostnames  []string          `json:"hostnames,omitempty"`
		Rules      []struct {
			BackendRefs []BackendRef `json:"backendRefs,omitempty"`
		} `json:"rules,omitempty"`
	} `json:"spec,omitempty"`
}

// ReferenceGrant is gateway.networking.k8s.io ReferenceGrant (v1, or
// v1beta1 on older CRDs: the same schema). It lives in the namespace of
// the objects it lets others reference.
type ReferenceGrant struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		From []struct {
			Group     string `json:"group"`
			Kind      string `json:"kind"`
			Namespace string `json:"namespace"`
		} `json:"from"`
		To []struct {
			Group string  `json:"group"`
			Kind  string  `json:"kind"`
			Name  *string `json:"name,omitempty"`
		} `json:"to"`
	} `json:"spec"`
}

// GCPTrafficDistributionPolicy is networking.gke.io/v1
// GCPTrafficDistributionPolicy; unlike the other policies it has
// targetRefs, local to its namespace.
type GCPTrafficDistributionPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		TargetRefs []PolicyTargetReference `json:"targetRefs"`
	} `json:"spec"`
	Status PolicyStatus `json:"status,omitempty"`
}

// HTTPRouteMatch is one match of an HTTPRoute rule (path, headers, query
// parameters, method); a rule with none matches every request.
type HTTPRouteMatch struct {
	Path *struct {
		Type  *string `json:"type,omitempty"`
		Value *string `json:"value,omitempty"`
	} `json:"path,omitempty"`
	Headers []struct {
		Type  *string `json:"type,omitempty"`
		Name  string  `json:"name"`
		Value string  `json:"value"`
	} `json:"headers,omitempty"`
	QueryParams []struct {
		Type  *string `json:"type,omitempty"`
		Name  string  `json:"name"`
		Value string  `json:"value"`
	} `json:"queryParams,omitempty"`
	Method *string `json:"method,omitempty"`
}

// PolicyTargetReference is the targetRef of GKE's policy objects.
type PolicyTargetReference struct {
	Group     string  `json:"group"`
	Kind      string  `json:"kind"`
	Name      string  `json:"name"`
	Namespace *string `json:"namespace,omitempty"`
}

// PolicyStatus is the status of GKE's policy objects.
type PolicyStatus struct {
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	Ancestors  []struct {
		AncestorRef    ParentReference    `json:"ancestorRef"`
		ControllerName string             `json:"controllerName"`
		Conditions     []metav1.Condition `json:"conditions,omitempty"`
	} `json:"ancestors,omitempty"`
}

// GCPBackendPolicy is networking.gke.io/v1 GCPBackendPolicy.
type GCPBackendPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		TargetRef PolicyTargetReference `json:"targetRef"`
		Default   *struct {
			TimeoutSec         *int64 `json:"timeoutSec,omitempty"`
			ConnectionDraining *struct {
				DrainingTimeoutSec *int64 `json:"drainingTimeoutSec,omitempty"`
			} `json:"connectionDraining,omitempty"`
			Logging *struct {
				Enabled    *bool  `json:"enabled,omitempty"`
				SampleRate *int32 `json:"sampleRate,omitempty"`
			} `json:"logging,omitempty"`
			SecurityPolicy *string `json:"securityPolicy,omitempty"`
		} `json:"default,omitempty"`
	} `json:"spec"`
	Status PolicyStatus `json:"status,omitempty"`
}

// HealthCheckPolicy is networking.gke.io/v1 HealthCheckPolicy.
type HealthCheckPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		TargetRef PolicyTargetReference `json:"targetRef"`
		Default   *struct {
			CheckIntervalSec   *int64 `json:"checkIntervalSec,omitempty"`
			TimeoutSec         *int64 `json:"timeoutSec,omitempty"`
			HealthyThreshold   *int64 `json:"healthyThreshold,omitempty"`
			UnhealthyThreshold *int64 `json:"unhealthyThreshold,omitempty"`
			Config             *struct {
				Type string `json:"type,omitempty"`
			} `json:"config,omitempty"`
		} `json:"default,omitempty"`
	} `json:"spec"`
	Status PolicyStatus `json:"status,omitempty"`
}

// GCPGatewayPolicy is networking.gke.io/v1 GCPGatewayPolicy.
type GCPGatewayPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		TargetRef PolicyTargetReference `json:"targetRef"`
		Default   *struct {
			SSLPolicy         string `json:"sslPolicy,omitempty"`
			AllowGlobalAccess bool   `json:"allowGlobalAccess,omitempty"`
			Region            string `json:"region,omitempty"`
		} `json:"default,omitempty"`
	} `json:"spec"`
	Status PolicyStatus `json:"status,omitempty"`
}
