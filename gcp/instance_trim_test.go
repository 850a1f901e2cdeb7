package gcp

import (
	"encoding/json"
	"reflect"
	"testing"

	compute "google.golang.org/api/compute/v1"
)

// realInstance is a GKE node as instances.aggregatedList returns it, its
// metadata values redacted as lbdiag's transport redacts them: boot disk,
// metadata keys, network interface with an access config and alias
// range, service account and scopes, GKE's labels, scheduling, shielded
// VM settings.
const realInstance = `{"kind":"compute#instance","id":"4410327757146022913","creationTimestamp":"2026-10-02T00:40:51.182-07:00",
 "name":"gke-shop-default-pool-3f1c2b9e-x1z2","tags":{"items":["gke-shop-3f1c2b9e-node"],"fingerprint":"Ii7tJ8K9l0M="},
 "machineType":"https://www.googleapis.com/compute/v1/projects/shop/zones/us-central1-a/machineTypes/e2-standard-4","status":"RUNNING",
 "zone":"https://www.googleapis.com/compute/v1/projects/shop/zones/us-central1-a","canIpForward":true,
 "networkInterfaces":[{"kind":"compute#networkInterface","network":"https://www.googleapis.com/compute/v1/projects/shop/global/networks/shop-vpc",
  "subnetwork":"https://www.googleapis.com/compute/v1/projects/shop/regions/us-central1/subnetworks/shop-nodes","networkIP":"10.128.0.14","name":"nic0",
  "accessConfigs":[{"kind":"compute#accessConfig","type":"ONE_TO_ONE_NAT","name":"external-nat","natIP":"34.56.78.90","networkTier":"PREMIUM"}],
  "aliasIpRanges":[{"ipCidrRange":"10.8.1.0/24","subnetworkRangeName":"gke-shop-pods-3f1c2b9e"}],"fingerprint":"a1B2c3D4e5F=","stackType":"IPV4_ONLY"}],
 "disks":[{"kind":"compute#attachedDisk","type":"PERSISTENT","mode":"READ_WRITE",
  "source":"https://www.googleapis.com/compute/v1/projects/shop/zones/us-central1-a/disks/gke-shop-default-pool-3f1c2b9e-x1z2","deviceName":"persistent-disk-0",
  "index":0,"boot":true,"autoDelete":true,"licenses":["https://www.googleapis.com/compute/v1/projects/cos-cloud/global/licenses/cos-pcid","https://www.googleapis.com/compute/v1/projects/cos-cloud-shielded/global/licenses/shielded-cos","https://www.googleapis.com/compute/v1/projects/cos-cloud/global/licenses/cos","https://www.googleapis.com/compute/v1/projects/gke-node-images/global/licenses/gke-node"],
  "interface":"SCSI","guestOsFeatures":[{"type":"SEV_CAPABLE"},{"type":"VIRTIO_SCSI_MULTIQUEUE"},{"type":"UEFI_COMPATIBLE"},{"type":"GVNIC"},{"type":"IDPF"}],"diskSizeGb":"100","architecture":"X86_64"}],
 "metadata":{"kind":"compute#metadata","fingerprint":"p9Q8r7S6t5U=","items":[{"key":"kube-labels","value":"REDACTED"},{"key":"google-compute-enable-pcid","value":"REDACTED"},
  {"key":"enable-oslogin","value":"REDACTED"},{"key":"cluster-location","value":"REDACTED"},{"key":"gci-metrics-enabled","value":"REDACTED"},{"key":"kube-env","value":"REDACTED"},
  {"key":"cluster-name","value":"REDACTED"},{"key":"configure-sh","value":"REDACTED"},{"key":"cluster-uid","value":"REDACTED"},{"key":"user-data","value":"REDACTED"},
  {"key":"disable-legacy-endpoints","value":"REDACTED"},{"key":"gci-update-strategy","value":"REDACTED"},{"key":"serial-port-logging-enable","value":"REDACTED"},
  {"key":"instance-template","value":"REDACTED"},{"key":"created-by","value":"REDACTED"}]},
 "serviceAccounts":[{"email":"shop-nodes@shop.iam.gserviceaccount.com","scopes":["https://www.googleapis.com/auth/devstorage.read_only","https://www.googleapis.com/auth/logging.write","https://www.googleapis.com/auth/monitoring","https://www.googleapis.com/auth/servicecontrol","https://www.googleapis.com/auth/service.management.readonly","https://www.googleapis.com/auth/trace.append"]}],
 "selfLink":"https://www.googleapis.com/compute/v1/projects/shop/zones/us-central1-a/instances/gke-shop-default-pool-3f1c2b9e-x1z2",
 "scheduling":{"onHostMaintenance":"MIGRATE","automaticRestart":true,"preemptible":false,"provisioningModel":"STANDARD"},"cpuPlatform":"AMD Rome",
 "labels":{"goog-gke-node":"","goog-gke-cost-management":"","goog-k8s-cluster-location":"us-central1-a","goog-k8s-cluster-name":"shop","goog-k8s-node-pool-name":"default-pool","team":"shop"},
 "labelFingerprint":"x9Y8z7A6b5C=","startRestricted":false,"deletionProtection":false,"reservationAffinity":{"consumeReservationType":"ANY_RESERVATION"},
 "shieldedInstanceConfig":{"enableSecureBoot":false,"enableVtpm":true,"enableIntegrityMonitoring":true},"shieldedInstanceIntegrityPolicy":{"updateAutoLearnPolicy":true},
 "fingerprint":"d4E5f6G7h8I=","lastStartTimestamp":"2026-10-02T00:40:58.630-07:00","satisfiesPzi":true}`

// instancePage is an instances.aggregatedList page of the zone holding
// the given instances.
func instancePage(t testing.TB, instances ...string) *compute.InstanceAggregatedList {
	t.Helper()
	raw := `{"kind":"compute#instanceAggregatedList","items":{"zones/us-central1-a":{"instances":[`
	for i, in := range instances {
		if i > 0 {
			raw += ","
		}
		raw += in
	}
	var p compute.InstanceAggregatedList
	if err := json.Unmarshal([]byte(raw+`]}}}`), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// TestIngestTrimsInstances: an instance keeps its name, links, zone,
// status, tags, service accounts' emails, network interfaces' networks,
// subnetworks and addresses, and GKE's cluster-name label, which the
// rules read; the rest is dropped as the page is ingested.
func TestIngestTrimsInstances(t *testing.T) {
	t.Parallel()
	got := IngestInstances(instancePage(t, realInstance, `{"name":"plain","selfLink":"https://www.googleapis.com/compute/v1/projects/shop/zones/us-central1-a/instances/plain","labels":{"team":"shop"}}`))
	if len(got) != 2 {
		t.Fatalf("%d instances", len(got))
	}
	want := &compute.Instance{Kind: "compute#instance", Id: 4410327757146022913, Name: "gke-shop-default-pool-3f1c2b9e-x1z2", Status: "RUNNING",
		CreationTimestamp: "2026-10-02T00:40:51.182-07:00",
		SelfLink:          "https://www.googleapis.com/compute/v1/projects/shop/zones/us-central1-a/instances/gke-shop-default-pool-3f1c2b9e-x1z2",
		Zone:              "https://www.googleapis.com/compute/v1/projects/shop/zones/us-central1-a",
		Tags:              &compute.Tags{Items: []string{"gke-shop-3f1c2b9e-node"}},
		ServiceAccounts:   []*compute.ServiceAccount{{Email: "shop-nodes@shop.iam.gserviceaccount.com"}},
		NetworkInterfaces: []*compute.NetworkInterface{{Name: "nic0", Network: "https://www.googleapis.com/compute/v1/projects/shop/global/networks/shop-vpc",
			Subnetwork: "https://www.googleapis.com/compute/v1/projects/shop/regions/us-central1/subnetworks/shop-nodes", NetworkIP: "10.128.0.14"}},
		Labels: map[string]string{"goog-k8s-cluster-name": "shop"}}
	if !reflect.DeepEqual(got[0], want) {
		g, _ := json.Marshal(got[0])
		t.Errorf("instance = %s", g)
	}
	if plain := got[1]; plain.Name != "plain" || plain.Labels != nil || plain.Tags != nil {
		t.Errorf("an instance of no cluster = %+v", plain)
	}
}

// retainedInstances ingests 1,000 realistic GKE nodes as the collector
// does, and decodes them whole, and returns the heap each holds per
// instance (BenchmarkRetained).
func retainedInstances(b *testing.B) (trimmed, whole float64) {
	trimmed = heapPerThousand(func() any {
		var out []*compute.Instance
		for range 1000 {
			out = append(out, IngestInstances(instancePage(b, realInstance))...)
		}
		return out
	})
	whole = heapPerThousand(func() any {
		out := make([]*compute.Instance, 1000)
		for i := range out {
			out[i] = new(compute.Instance)
			if err := json.Unmarshal([]byte(realInstance), out[i]); err != nil {
				b.Fatal(err)
			}
		}
		return out
	})
	return trimmed, whole
}
