package core

// Public pages the rules cite.
const (
	DocTroubleshootLB  = "https://cloud.google.com/kubernetes-engine/docs/troubleshooting/load-balancing"
	DocIngressConfig   = "https://cloud.google.com/kubernetes-engine/docs/how-to/ingress-configuration"
	DocInternalIngress = "https://cloud.google.com/kubernetes-engine/docs/how-to/internal-load-balance-ingress"
	DocNEG             = "https://cloud.google.com/kubernetes-engine/docs/how-to/container-native-load-balancing"
	DocIngressFeatures = "https://cloud.google.com/kubernetes-engine/docs/how-to/ingress-features"
	DocStaticIP        = "https://cloud.google.com/kubernetes-engine/docs/tutorials/configuring-domain-name-static-ip"
	DocIngressHTTPS    = "https://cloud.google.com/kubernetes-engine/docs/concepts/ingress-xlb"
	DocCheckGKEIngress = "https://github.com/kubernetes/ingress-gce/tree/master/cmd/check-gke-ingress"

	SrcTroubleshoot    = "Troubleshoot load balancing in GKE (cloud.google.com/kubernetes-engine/docs/troubleshooting/load-balancing)"
	SrcCheckGKEIngress = "kubernetes/ingress-gce cmd/check-gke-ingress (the check of the same name)"
)
