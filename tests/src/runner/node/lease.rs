//! The node heartbeat a kubelet keeps in `kube-node-lease`: a Lease named after the node,
//! owned by it, renewed while the node's kubelet runs (what `kubectl describe node` shows
//! as `Lease`). A lost node's lease is simply no longer renewed.

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference};
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

pub const LEASE_NAMESPACE: &str = "kube-node-lease";
/// The kubelet's default `nodeLeaseDurationSeconds`.
const LEASE_DURATION_SECONDS: i32 = 40;

/// The lease as first created for a node.
pub fn node_lease(node: &Node, now: Timestamp) -> Lease {
    let name = node.metadata.name.clone().unwrap_or_default();
    Lease {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(LEASE_NAMESPACE.to_owned()),
            owner_references: node.metadata.uid.clone().map(|uid| {
                vec![OwnerReference {
                    api_version: "v1".to_owned(),
                    kind: "Node".to_owned(),
                    name: name.clone(),
                    uid,
                    ..OwnerReference::default()
                }]
            }),
            ..ObjectMeta::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(name),
            lease_duration_seconds: Some(LEASE_DURATION_SECONDS),
            renew_time: Some(MicroTime(now)),
            ..LeaseSpec::default()
        }),
    }
}

/// Creates or renews the node's lease.
pub async fn renew(client: &Client, node: &Node, manager: &str) -> Result<(), kube::Error> {
    let api: Api<Lease> = Api::namespaced(client.clone(), LEASE_NAMESPACE);
    let name = node.metadata.name.clone().unwrap_or_default();
    let now = Timestamp::now();
    if api.get_opt(&name).await?.is_none() {
        let params = PostParams {
            field_manager: Some(manager.to_owned()),
            ..PostParams::default()
        };
        match api.create(&params, &node_lease(node, now)).await {
            Ok(_) => return Ok(()),
            Err(kube::Error::Api(status)) if status.is_already_exists() => {}
            Err(error) => return Err(error),
        }
    }
    let params = PatchParams {
        field_manager: Some(manager.to_owned()),
        ..PatchParams::default()
    };
    let renewal = json!({"spec": {"renewTime": MicroTime(now), "holderIdentity": name}});
    api.patch(&name, &params, &Patch::Merge(&renewal)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_named_and_owned_by_its_node() {
        let node: Node =
            serde_json::from_value(json!({"metadata": {"name": "node-a", "uid": "n-1"}})).unwrap();
        let lease = serde_json::to_value(node_lease(
            &node,
            Timestamp::from_second(1_700_000_000).unwrap(),
        ))
        .unwrap();
        assert_eq!(lease["metadata"]["namespace"], "kube-node-lease");
        assert_eq!(lease["metadata"]["ownerReferences"][0]["uid"], "n-1");
        assert_eq!(lease["spec"]["holderIdentity"], "node-a");
        assert_eq!(lease["spec"]["leaseDurationSeconds"], 40);
        assert!(
            lease["spec"]["renewTime"]
                .as_str()
                .unwrap()
                .starts_with("2023-11-14T22:13:20")
        );
    }
}
