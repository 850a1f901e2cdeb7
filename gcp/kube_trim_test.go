package gcp

import (
	"reflect"
	"runtime"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsjson "sigs.k8s.io/json"

	"github.com/lbdiag/lbdiag/inventory"
)

// decodeOne decodes one list item as the collector does, by the resource's
// decoder.
func decodeOne(t testing.TB, source inventory.Source, c *inventory.Cluster, raw string) {
	t.Helper()
	for _, r := range kubeResources {
		if r.source == source {
			if _, _, err := r.decode(c, []byte(raw)); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no resource %s", source)
}

// TestDecodeTrimsWhatNoRuleReads: the field sets of managedFields, and
// all of a node but its name, UID and creation time, are dropped as items are decoded; the
// managers, operations and times, which the changes read, stay.
func TestDecodeTrimsWhatNoRuleReads(t *testing.T) {
	t.Parallel()
	var c inventory.Cluster
	decodeOne(t, inventory.KubeServices, &c, `{"metadata":{"name":"web","namespace":"shop","managedFields":[
	  {"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"v1","time":"2026-11-30T10:00:00Z","fieldsType":"FieldsV1",
	   "fieldsV1":{"f:metadata":{"f:annotations":{".":{},"f:cloud.google.com/neg":{}}},"f:spec":{"f:ports":{".":{},"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:targetPort":{}}},"f:selector":{}}}},
	  {"manager":"glbc","operation":"Update","apiVersion":"v1","time":"2026-11-30T10:01:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{"f:cloud.google.com/neg-status":{}}}}}]},
	  "spec":{"selector":{"app":"web"},"ports":[{"port":80,"targetPort":8080}]}}`)
	decodeOne(t, inventory.KubeNodes, &c, realNode)
	if len(c.Services) != 1 || len(c.Nodes) != 1 {
		t.Fatalf("%d services, %d nodes", len(c.Services), len(c.Nodes))
	}
	mf := c.Services[0].ManagedFields
	if len(mf) != 2 || mf[0].Manager != "kubectl-client-side-apply" || mf[1].Manager != "glbc" || mf[1].Time == nil || mf[1].Time.UTC().Minute() != 1 || mf[0].Operation != "Update" {
		t.Fatalf("managedFields = %+v", mf)
	}
	for _, e := range mf {
		if e.FieldsV1 != nil {
			t.Errorf("%s's fieldsV1 kept: %s", e.Manager, e.FieldsV1.Raw)
		}
	}
	if c.Services[0].Spec.Selector["app"] != "web" || len(c.Services[0].Spec.Ports) != 1 {
		t.Errorf("the spec was lost: %+v", c.Services[0].Spec)
	}
	// A node keeps its name, UID and creation time: rules read its name
	// and count the nodes.
	want := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "gke-shop-default-pool-3f1c2b9e-x1z2", UID: "6d1f0e2a-3b4c-4d5e-8f9a-0b1c2d3e4f5a",
		CreationTimestamp: c.Nodes[0].CreationTimestamp}}
	if !reflect.DeepEqual(c.Nodes[0], want) || c.Nodes[0].CreationTimestamp.UTC().Year() != 2026 {
		t.Errorf("node = %+v", c.Nodes[0])
	}
}

// realNode is a GKE node as the API server returns it: GKE's and the
// kubelet's labels and annotations, managed fields, capacity, conditions
// (the node problem detector's too), addresses, node info and images.
const realNode = `{"kind":"Node","apiVersion":"v1","metadata":{"name":"gke-shop-default-pool-3f1c2b9e-x1z2","uid":"6d1f0e2a-3b4c-4d5e-8f9a-0b1c2d3e4f5a","resourceVersion":"184311","creationTimestamp":"2026-10-02T07:41:19Z",
 "labels":{"beta.kubernetes.io/arch":"amd64","beta.kubernetes.io/instance-type":"e2-standard-4","beta.kubernetes.io/os":"linux","cloud.google.com/gke-boot-disk":"pd-balanced",
  "cloud.google.com/gke-container-runtime":"containerd","cloud.google.com/gke-cpu-scaling-level":"4","cloud.google.com/gke-logging-variant":"DEFAULT","cloud.google.com/gke-max-pods-per-node":"110",
  "cloud.google.com/gke-memory-gb-scaling-level":"16","cloud.google.com/gke-nodepool":"default-pool","cloud.google.com/gke-os-distribution":"cos","cloud.google.com/gke-provisioning":"standard",
  "cloud.google.com/gke-stack-type":"IPV4","cloud.google.com/machine-family":"e2","cloud.google.com/private-node":"false","failure-domain.beta.kubernetes.io/region":"us-central1",
  "failure-domain.beta.kubernetes.io/zone":"us-central1-a","kubernetes.io/arch":"amd64","kubernetes.io/hostname":"gke-shop-default-pool-3f1c2b9e-x1z2","kubernetes.io/os":"linux",
  "node.kubernetes.io/instance-type":"e2-standard-4","topology.gke.io/zone":"us-central1-a","topology.kubernetes.io/region":"us-central1","topology.kubernetes.io/zone":"us-central1-a"},
 "annotations":{"container.googleapis.com/instance_id":"4410327757146022913","csi.volume.kubernetes.io/nodeid":"{\"pd.csi.storage.gke.io\":\"projects/shop/zones/us-central1-a/instances/gke-shop-default-pool-3f1c2b9e-x1z2\"}",
  "node.alpha.kubernetes.io/ttl":"0","node.gke.io/last-applied-node-labels":"cloud.google.com/gke-boot-disk=pd-balanced,cloud.google.com/gke-container-runtime=containerd,cloud.google.com/gke-nodepool=default-pool",
  "node.gke.io/last-applied-node-taints":"","volumes.kubernetes.io/controller-managed-attach-detach":"true"},
 "managedFields":[{"manager":"kubelet","operation":"Update","apiVersion":"v1","time":"2026-10-02T07:41:19Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:kubernetes.io/hostname":{}}}}},
  {"manager":"kube-controller-manager","operation":"Update","apiVersion":"v1","time":"2026-10-02T07:41:40Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:podCIDR":{},"f:podCIDRs":{".":{},"v:\"10.8.1.0/24\"":{}}}}},
  {"manager":"node-problem-detector","operation":"Update","apiVersion":"v1","time":"2026-12-01T09:12:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:conditions":{}}},"subresource":"status"}]},
 "spec":{"podCIDR":"10.8.1.0/24","podCIDRs":["10.8.1.0/24"],"providerID":"gce://shop/us-central1-a/gke-shop-default-pool-3f1c2b9e-x1z2"},
 "status":{"capacity":{"cpu":"4","ephemeral-storage":"98831908Ki","hugepages-1Gi":"0","hugepages-2Mi":"0","memory":"16393228Ki","pods":"110"},
  "allocatable":{"cpu":"3920m","ephemeral-storage":"47060071478","hugepages-1Gi":"0","hugepages-2Mi":"0","memory":"13594636Ki","pods":"110"},
  "conditions":[
   {"type":"FrequentContainerdRestart","status":"False","lastHeartbeatTime":"2026-12-01T09:12:00Z","lastTransitionTime":"2026-10-02T07:41:23Z","reason":"NoFrequentContainerdRestart","message":"containerd is functioning properly"},
   {"type":"KernelDeadlock","status":"False","lastHeartbeatTime":"2026-12-01T09:12:00Z","lastTransitionTime":"2026-10-02T07:41:23Z","reason":"KernelHasNoDeadlock","message":"kernel has no deadlock"},
   {"type":"ReadonlyFilesystem","status":"False","lastHeartbeatTime":"2026-12-01T09:12:00Z","lastTransitionTime":"2026-10-02T07:41:23Z","reason":"FilesystemIsNotReadOnly","message":"Filesystem is not read-only"},
   {"type":"FrequentUnregisterNetDevice","status":"False","lastHeartbeatTime":"2026-12-01T09:12:00Z","lastTransitionTime":"2026-10-02T07:41:23Z","reason":"NoFrequentUnregisterNetDevice","message":"node is functioning properly"},
   {"type":"FrequentKubeletRestart","status":"False","lastHeartbeatTime":"2026-12-01T09:12:00Z","lastTransitionTime":"2026-10-02T07:41:23Z","reason":"NoFrequentKubeletRestart","message":"kubelet is functioning properly"},
   {"type":"NetworkUnavailable","status":"False","lastHeartbeatTime":"2026-10-02T07:41:40Z","lastTransitionTime":"2026-10-02T07:41:40Z","reason":"RouteCreated","message":"NodeController create implicit route"},
   {"type":"MemoryPressure","status":"False","lastHeartbeatTime":"2026-12-01T09:14:02Z","lastTransitionTime":"2026-10-02T07:41:19Z","reason":"KubeletHasSufficientMemory","message":"kubelet has sufficient memory available"},
   {"type":"DiskPressure","status":"False","lastHeartbeatTime":"2026-12-01T09:14:02Z","lastTransitionTime":"2026-10-02T07:41:19Z","reason":"KubeletHasNoDiskPressure","message":"kubelet has no disk pressure"},
   {"type":"PIDPressure","status":"False","lastHeartbeatTime":"2026-12-01T09:14:02Z","lastTransitionTime":"2026-10-02T07:41:19Z","reason":"KubeletHasSufficientPID","message":"kubelet has sufficient PID available"},
   {"type":"Ready","status":"True","lastHeartbeatTime":"2026-12-01T09:14:02Z","lastTransitionTime":"2026-10-02T07:41:40Z","reason":"KubeletReady","message":"kubelet is posting ready status"}],
  "addresses":[{"type":"InternalIP","address":"10.128.0.14"},{"type":"ExternalIP","address":"34.56.78.90"},{"type":"InternalDNS","address":"gke-shop-default-pool-3f1c2b9e-x1z2.us-central1-a.c.shop.internal"},{"type":"Hostname","address":"gke-shop-default-pool-3f1c2b9e-x1z2.us-central1-a.c.shop.internal"}],
  "daemonEndpoints":{"kubeletEndpoint":{"Port":10250}},
  "nodeInfo":{"machineID":"8c4e0c2a1f3b4d5e6f7a8b9c0d1e2f3a","systemUUID":"8c4e0c2a-1f3b-4d5e-6f7a-8b9c0d1e2f3a","bootID":"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d","kernelVersion":"6.6.56+",
   "osImage":"Container-Optimized OS from Google","containerRuntimeVersion":"containerd://1.7.24","kubeletVersion":"v1.33.5-gke.1080000","kubeProxyVersion":"v1.33.5-gke.1080000","operatingSystem":"linux","architecture":"amd64"},
  "images":[{"names":["us-docker.pkg.dev/shop/web/web@sha256:4b1c9e2f0a7d3c5e8f6a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e","us-docker.pkg.dev/shop/web/web:1.4.2"],"sizeBytes":182734112},
   {"names":["gke.gcr.io/gke-metrics-agent@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"],"sizeBytes":90123456},
   {"names":["registry.k8s.io/pause@sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097","registry.k8s.io/pause:3.10"],"sizeBytes":320368}],
  "config":{}}}`

// realDeployment is a Deployment as the API server returns it for a
// typical web workload: env, resources, volumes, a sidecar, an init
// container, security contexts, affinity and its status.
const realDeployment = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop","uid":"3f1c2b9e-8a51-4a8e-9b0c-5d2f7e6a1c44","resourceVersion":"184467","generation":12,"creationTimestamp":"2026-09-14T08:12:03Z",
 "labels":{"app":"web","team":"shop","tier":"frontend"},"annotations":{"deployment.kubernetes.io/revision":"12"},
 "managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"apps/v1","time":"2026-11-20T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:replicas":{}}}},
  {"manager":"kube-controller-manager","operation":"Update","apiVersion":"apps/v1","time":"2026-11-20T10:01:10Z","fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:replicas":{}}},"subresource":"status"}]},
 "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}},"revisionHistoryLimit":10,"progressDeadlineSeconds":600,
  "template":{"metadata":{"labels":{"app":"web","team":"shop"},"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-20T10:00:00Z"}},
   "spec":{"serviceAccountName":"web","terminationGracePeriodSeconds":60,"securityContext":{"runAsNonRoot":true,"fsGroup":2000,"seccompProfile":{"type":"RuntimeDefault"}},
    "affinity":{"podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":100,"podAffinityTerm":{"labelSelector":{"matchLabels":{"app":"web"}},"topologyKey":"kubernetes.io/hostname"}}]}},
    "tolerations":[{"key":"cloud.google.com/gke-spot","operator":"Equal","value":"true","effect":"NoSchedule"}],
    "nodeSelector":{"cloud.google.com/gke-nodepool":"default-pool"},
    "initContainers":[{"name":"migrate","image":"us-docker.pkg.dev/shop/web/migrate:1.4.2","command":["/migrate","up"],"env":[{"name":"DB_HOST","value":"10.20.0.5"}],"resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}],
    "containers":[{"name":"web","image":"us-docker.pkg.dev/shop/web/web:1.4.2","imagePullPolicy":"IfNotPresent",
      "ports":[{"name":"http","containerPort":8080,"protocol":"TCP"},{"name":"metrics","containerPort":9090,"protocol":"TCP"}],
      "env":[{"name":"PORT","value":"8080"},{"name":"DB_HOST","value":"10.20.0.5"},{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}},{"name":"POD_NAME","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"}}},{"name":"OTEL_EXPORTER_OTLP_ENDPOINT","value":"http://otel-collector.observability:4317"}],
      "envFrom":[{"configMapRef":{"name":"web-config"}}],
      "resources":{"requests":{"cpu":"250m","memory":"256Mi"},"limits":{"cpu":"1","memory":"512Mi"}},
      "volumeMounts":[{"name":"config","mountPath":"/etc/web","readOnly":true},{"name":"tmp","mountPath":"/tmp"}],
      "readinessProbe":{"httpGet":{"path":"/healthz","port":"http","scheme":"HTTP"},"periodSeconds":10,"timeoutSeconds":1,"successThreshold":1,"failureThreshold":3},
      "livenessProbe":{"httpGet":{"path":"/livez","port":"http","scheme":"HTTP"},"initialDelaySeconds":10,"periodSeconds":20,"timeoutSeconds":1,"successThreshold":1,"failureThreshold":3},
      "lifecycle":{"preStop":{"exec":{"command":["sh","-c","sleep 40"]}}},
      "securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}},
      "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"},
     {"name":"cloud-sql-proxy","image":"gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.0","args":["--structured-logs","--port=5432","shop:us-central1:db"],
      "resources":{"requests":{"cpu":"50m","memory":"64Mi"}},"securityContext":{"runAsNonRoot":true}}],
    "volumes":[{"name":"config","configMap":{"name":"web-config","defaultMode":420}},{"name":"tmp","emptyDir":{}}],
    "restartPolicy":"Always","dnsPolicy":"ClusterFirst","schedulerName":"default-scheduler"}}},
 "status":{"observedGeneration":12,"replicas":3,"updatedReplicas":3,"readyReplicas":3,"availableReplicas":3,
  "conditions":[{"type":"Available","status":"True","lastUpdateTime":"2026-11-20T10:01:10Z","lastTransitionTime":"2026-09-14T08:13:00Z","reason":"MinimumReplicasAvailable","message":"Deployment has minimum availability."},
   {"type":"Progressing","status":"True","lastUpdateTime":"2026-11-20T10:01:10Z","lastTransitionTime":"2026-09-14T08:12:03Z","reason":"NewReplicaSetAvailable","message":"ReplicaSet \"web-7d9f8c6b5d\" has successfully progressed."}]}}`

// TestDecodeTrimsWorkloads: a workload keeps its name, namespace and
// managed fields, and of its Pod template the metadata, grace period and
// each container's name, ports, readiness probe and lifecycle hooks, which
// the rules read; its labels, annotations, selector, status and the rest
// of the template are dropped as it is decoded.
func TestDecodeTrimsWorkloads(t *testing.T) {
	t.Parallel()
	var c inventory.Cluster
	decodeOne(t, inventory.KubeDeployments, &c, realDeployment)
	sts := strings.Replace(strings.Replace(realDeployment, `"kind":"Deployment"`, `"kind":"StatefulSet"`, 1), `"revisionHistoryLimit":10,`,
		`"serviceName":"web","volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"10Gi"}}}}],`, 1)
	decodeOne(t, inventory.KubeStatefulSets, &c, sts)
	// A DaemonSet an operator made: its owner and finalizer go too.
	decodeOne(t, inventory.KubeDaemonSets, &c, strings.Replace(strings.Replace(realDeployment, `"kind":"Deployment"`, `"kind":"DaemonSet"`, 1), `"generation":12,`,
		`"generation":12,"ownerReferences":[{"apiVersion":"agents.example.com/v1","kind":"Agent","name":"web","uid":"7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f","controller":true,"blockOwnerDeletion":true}],"finalizers":["agents.example.com/cleanup"],`, 1))
	if len(c.Deployments) != 1 || len(c.StatefulSets) != 1 || len(c.DaemonSets) != 1 {
		t.Fatalf("%d deployments, %d statefulsets, %d daemonsets", len(c.Deployments), len(c.StatefulSets), len(c.DaemonSets))
	}
	d := c.Deployments[0]
	if d.Name != "web" || d.Namespace != "shop" || len(d.ManagedFields) == 0 || *d.Spec.Replicas != 3 {
		t.Errorf("metadata lost: %+v", d.ObjectMeta)
	}
	for _, m := range []metav1.ObjectMeta{d.ObjectMeta, c.StatefulSets[0].ObjectMeta, c.DaemonSets[0].ObjectMeta} {
		if m.Labels != nil || m.Annotations != nil || m.OwnerReferences != nil || m.Finalizers != nil {
			t.Errorf("a workload keeps labels or annotations no rule reads: %+v", m)
		}
	}
	if d.Spec.Selector != nil || c.StatefulSets[0].Spec.Selector != nil || c.DaemonSets[0].Spec.Selector != nil {
		t.Errorf("a workload keeps its selector: %+v", d.Spec.Selector)
	}
	if c.StatefulSets[0].Spec.VolumeClaimTemplates != nil || c.StatefulSets[0].Spec.ServiceName != "web" {
		t.Errorf("statefulset spec = %+v", c.StatefulSets[0].Spec)
	}
	if len(d.Status.Conditions) != 0 || c.StatefulSets[0].Status.Replicas != 0 || c.DaemonSets[0].Status.NumberReady != 0 {
		t.Error("a workload's status was kept")
	}
	for _, tmpl := range []corev1.PodTemplateSpec{d.Spec.Template, c.StatefulSets[0].Spec.Template, c.DaemonSets[0].Spec.Template} {
		if tmpl.Labels["team"] != "shop" || tmpl.Annotations["kubectl.kubernetes.io/restartedAt"] == "" {
			t.Errorf("template metadata lost: %+v", tmpl.ObjectMeta)
		}
		spec := tmpl.Spec
		if spec.TerminationGracePeriodSeconds == nil || *spec.TerminationGracePeriodSeconds != 60 || len(spec.Containers) != 2 {
			t.Fatalf("template spec = %+v", spec)
		}
		web, proxy := spec.Containers[0], spec.Containers[1]
		if web.Name != "web" || len(web.Ports) != 2 || web.Ports[0].Name != "http" || web.Ports[1].ContainerPort != 9090 ||
			web.ReadinessProbe == nil || web.ReadinessProbe.HTTPGet.Path != "/healthz" || web.ReadinessProbe.HTTPGet.Port.StrVal != "http" || web.ReadinessProbe.PeriodSeconds != 10 ||
			web.Lifecycle == nil || web.Lifecycle.PreStop == nil || strings.Join(web.Lifecycle.PreStop.Exec.Command, " ") != "sh -c sleep 40" || proxy.Name != "cloud-sql-proxy" {
			t.Errorf("what the rules read was lost: %+v", web)
		}
		want := corev1.Container{Name: web.Name, Ports: web.Ports, ReadinessProbe: web.ReadinessProbe, Lifecycle: web.Lifecycle}
		if !reflect.DeepEqual(web, want) || !reflect.DeepEqual(proxy, corev1.Container{Name: "cloud-sql-proxy"}) {
			t.Errorf("containers keep more than the rules read: %+v, %+v", web, proxy)
		}
		if !reflect.DeepEqual(spec, corev1.PodSpec{Containers: spec.Containers, TerminationGracePeriodSeconds: spec.TerminationGracePeriodSeconds}) {
			t.Errorf("the Pod spec keeps more than the rules read: %+v", spec)
		}
	}
}

// realEndpointSlice is an EndpointSlice as the API server returns it for a
// Helm-installed Service of three Pods: the controller's labels with the
// Service's copied on, its annotation, owner, managed fields, and each
// endpoint's Pod, node, zone, conditions and (topology-aware routing)
// hints.
const realEndpointSlice = `{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"web-x7k2p","generateName":"web-","namespace":"shop",
 "uid":"9b2f0c61-7e3d-4f4a-a8b5-1c2d3e4f5a6b","resourceVersion":"184502","generation":42,"creationTimestamp":"2026-09-14T08:12:05Z",
 "labels":{"app.kubernetes.io/instance":"web","app.kubernetes.io/managed-by":"Helm","app.kubernetes.io/name":"web","app.kubernetes.io/version":"1.4.2",
  "endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io","helm.sh/chart":"web-0.3.1","kubernetes.io/service-name":"web"},
 "annotations":{"endpoints.kubernetes.io/last-change-trigger-time":"2026-11-20T10:01:08Z"},
 "ownerReferences":[{"apiVersion":"v1","kind":"Service","name":"web","uid":"5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9","controller":true,"blockOwnerDeletion":true}],
 "managedFields":[{"manager":"kube-controller-manager","operation":"Update","apiVersion":"discovery.k8s.io/v1","time":"2026-11-20T10:01:09Z","fieldsType":"FieldsV1",
  "fieldsV1":{"f:addressType":{},"f:endpoints":{},"f:metadata":{"f:annotations":{".":{},"f:endpoints.kubernetes.io/last-change-trigger-time":{}},"f:generateName":{},"f:labels":{".":{},"f:kubernetes.io/service-name":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9\"}":{}}},"f:ports":{}}}]},
 "addressType":"IPv4",
 "endpoints":[
  {"addresses":["10.8.1.14"],"conditions":{"ready":true,"serving":true,"terminating":false},"nodeName":"gke-shop-default-pool-3f1c2b9e-x1z2",
   "targetRef":{"kind":"Pod","namespace":"shop","name":"web-7d9f8c6b5d-abcde","uid":"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"},"zone":"us-central1-a","hints":{"forZones":[{"name":"us-central1-a"}]}},
  {"addresses":["10.8.2.7"],"conditions":{"ready":true,"serving":true,"terminating":false},"nodeName":"gke-shop-default-pool-7a8b9c0d-k3m4",
   "targetRef":{"kind":"Pod","namespace":"shop","name":"web-7d9f8c6b5d-fghij","uid":"1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e"},"zone":"us-central1-b","hints":{"forZones":[{"name":"us-central1-b"}]}},
  {"addresses":["10.8.3.22"],"conditions":{"ready":false,"serving":true,"terminating":true},"nodeName":"gke-shop-default-pool-c4d5e6f7-p5q6",
   "targetRef":{"kind":"Pod","namespace":"shop","name":"web-7d9f8c6b5d-klmno","uid":"2c3d4e5f-6a7b-4c8d-0e9f-1a2b3c4d5e6f"},"zone":"us-central1-c","hints":{"forZones":[{"name":"us-central1-c"}]}}],
 "ports":[{"name":"http","protocol":"TCP","port":8080}]}`

// TestDecodeTrimsEndpointSlices: a slice keeps its name, namespace,
// creation time, managed fields, service-name label and ports, and of
// each endpoint the addresses, ready condition, node and zone, which the
// rules and traces read; the rest is dropped as it is decoded.
func TestDecodeTrimsEndpointSlices(t *testing.T) {
	t.Parallel()
	var c inventory.Cluster
	decodeOne(t, inventory.KubeEndpointSlices, &c, realEndpointSlice)
	decodeOne(t, inventory.KubeEndpointSlices, &c, `{"metadata":{"name":"api-1","namespace":"shop","labels":{"kubernetes.io/service-name":"api"}},"addressType":"IPv4","endpoints":[{"addresses":["10.8.1.15"]}]}`)
	decodeOne(t, inventory.KubeEndpointSlices, &c, `{"metadata":{"name":"manual","namespace":"shop","labels":{"a":"b","c":"d"}},"addressType":"IPv4"}`)
	decodeOne(t, inventory.KubeEndpointSlices, &c, `{"metadata":{"name":"manual-2","namespace":"shop","labels":{"a":"b"}},"addressType":"IPv4"}`)
	if len(c.EndpointSlices) != 4 {
		t.Fatalf("%d slices", len(c.EndpointSlices))
	}
	es := c.EndpointSlices[0]
	if es.Name != "web-x7k2p" || es.Namespace != "shop" || es.CreationTimestamp.UTC().Day() != 14 || len(es.ManagedFields) != 1 || es.ManagedFields[0].Time == nil {
		t.Errorf("metadata lost: %+v", es.ObjectMeta)
	}
	if !reflect.DeepEqual(es.Labels, map[string]string{"kubernetes.io/service-name": "web"}) || es.Annotations != nil || es.OwnerReferences != nil {
		t.Errorf("labels %v, annotations %v, owners %v", es.Labels, es.Annotations, es.OwnerReferences)
	}
	if len(es.Ports) != 1 || *es.Ports[0].Name != "http" || *es.Ports[0].Port != 8080 {
		t.Errorf("ports = %+v", es.Ports)
	}
	if len(es.Endpoints) != 3 {
		t.Fatalf("endpoints = %+v", es.Endpoints)
	}
	for i, want := range []struct {
		addr, node, zone string
		ready            bool
	}{{"10.8.1.14", "gke-shop-default-pool-3f1c2b9e-x1z2", "us-central1-a", true}, {"10.8.2.7", "gke-shop-default-pool-7a8b9c0d-k3m4", "us-central1-b", true},
		{"10.8.3.22", "gke-shop-default-pool-c4d5e6f7-p5q6", "us-central1-c", false}} {
		ep := es.Endpoints[i]
		kept := discoveryv1.Endpoint{Addresses: []string{want.addr}, Conditions: discoveryv1.EndpointConditions{Ready: &want.ready}, NodeName: &want.node, Zone: &want.zone}
		if !reflect.DeepEqual(ep, kept) {
			t.Errorf("endpoint %d = %+v, want %+v", i, ep, kept)
		}
	}
	if api := c.EndpointSlices[1]; api.Labels["kubernetes.io/service-name"] != "api" || len(api.Endpoints) != 1 || api.Endpoints[0].Addresses[0] != "10.8.1.15" {
		t.Errorf("a slice with only its service-name label = %+v", api)
	}
	for _, manual := range c.EndpointSlices[2:] {
		if manual.Labels != nil {
			t.Errorf("slice %s, of no Service, kept labels %v", manual.Name, manual.Labels)
		}
	}
}

// heapPerThousand is the heap what decode returns holds, per thousandth:
// decode makes 1,000 objects.
func heapPerThousand(decode func() any) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	keep := decode()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / 1000
}

// retained decodes 1,000 copies of raw as the collector does, and whole
// into T, and returns the heap each holds per object.
func retained[T any](b *testing.B, source inventory.Source, raw string) (trimmed, whole float64) {
	trimmed = heapPerThousand(func() any {
		var c inventory.Cluster
		for range 1000 {
			decodeOne(b, source, &c, raw)
		}
		return &c
	})
	whole = heapPerThousand(func() any {
		out := make([]T, 1000)
		for i := range out {
			if err := sigsjson.UnmarshalCaseSensitivePreserveInts([]byte(raw), &out[i]); err != nil {
				b.Fatal(err)
			}
		}
		return out
	})
	return trimmed, whole
}

// BenchmarkRetained decodes 1,000 realistic objects of a kind (Compute
// Engine instances: ingests them) as the collector does and reports the heap they hold per object, against the
// same objects decoded whole.
func BenchmarkRetained(b *testing.B) {
	for _, c := range []struct {
		name    string
		measure func(*testing.B) (trimmed, whole float64)
	}{
		{"Deployment", func(b *testing.B) (float64, float64) {
			return retained[appsv1.Deployment](b, inventory.KubeDeployments, realDeployment)
		}},
		{"EndpointSlice", func(b *testing.B) (float64, float64) {
			return retained[discoveryv1.EndpointSlice](b, inventory.KubeEndpointSlices, realEndpointSlice)
		}},
		{"Node", func(b *testing.B) (float64, float64) { return retained[corev1.Node](b, inventory.KubeNodes, realNode) }},
		{"Instance", retainedInstances},
	} {
		b.Run(c.name, func(b *testing.B) {
			var trimmed, whole float64
			for b.Loop() {
				trimmed, whole = c.measure(b)
			}
			b.ReportMetric(trimmed, "retained-B/object")
			b.ReportMetric(whole, "whole-B/object")
		})
	}
}
