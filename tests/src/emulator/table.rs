//! meta.k8s.io Table rendering for kubectl get (being written).
