package ingress

const docManagedCertsGKE = "https://cloud.google.com/kubernetes-engine/docs/how-to/managed-certs"
