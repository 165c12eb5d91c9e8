use super::*;
use crate::emulator::registry::Registry;

fn paths_of(group: &str, version: &str, plural: &str) -> Map<String, Value> {
    let registry = Registry::default();
    let resource = registry.by_resource(group, version, plural).unwrap();
    let mut paths = Map::new();
    add_paths(&mut paths, resource);
    paths
}

fn ids(paths: &Map<String, Value>) -> Vec<String> {
    let mut ids: Vec<String> = paths
        .values()
        .flat_map(|item| item.as_object().unwrap().iter())
        .filter(|(method, _)| *method != "parameters")
        .map(|(_, operation)| operation["operationId"].as_str().unwrap().to_owned())
        .collect();
    ids.sort_unstable();
    ids
}

#[test]
fn namespaced_resources_have_collection_object_subresource_and_all_namespaces_paths() {
    let pods = paths_of("", "v1", "pods");
    let mut names: Vec<&String> = pods.keys().collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "/api/v1/namespaces/{namespace}/pods",
            "/api/v1/namespaces/{namespace}/pods/{name}",
            "/api/v1/namespaces/{namespace}/pods/{name}/eviction",
            "/api/v1/namespaces/{namespace}/pods/{name}/log",
            "/api/v1/namespaces/{namespace}/pods/{name}/status",
            "/api/v1/pods",
        ]
    );
    assert_eq!(
        ids(&pods),
        [
            "createCoreV1NamespacedPod",
            "createCoreV1NamespacedPodEviction",
            "deleteCoreV1CollectionNamespacedPod",
            "deleteCoreV1NamespacedPod",
            "listCoreV1NamespacedPod",
            "listCoreV1PodForAllNamespaces",
            "patchCoreV1NamespacedPod",
            "patchCoreV1NamespacedPodStatus",
            "readCoreV1NamespacedPod",
            "readCoreV1NamespacedPodLog",
            "readCoreV1NamespacedPodStatus",
            "replaceCoreV1NamespacedPod",
            "replaceCoreV1NamespacedPodStatus",
        ]
    );
}

#[test]
fn operations_are_tagged_with_action_and_kind() {
    let pods = paths_of("", "v1", "pods");
    let object = &pods["/api/v1/namespaces/{namespace}/pods/{name}"];
    let actions: Vec<(&str, &str)> = ["get", "put", "patch", "delete"]
        .iter()
        .map(|method| {
            (
                *method,
                object[*method]["x-kubernetes-action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("get", "get"),
            ("put", "put"),
            ("patch", "patch"),
            ("delete", "delete")
        ]
    );
    let collection = &pods["/api/v1/namespaces/{namespace}/pods"];
    assert_eq!(collection["get"]["x-kubernetes-action"], "list");
    assert_eq!(collection["post"]["x-kubernetes-action"], "post");
    assert_eq!(
        collection["delete"]["x-kubernetes-action"],
        "deletecollection"
    );
    assert_eq!(
        object["patch"]["x-kubernetes-group-version-kind"],
        json!({"group": "", "kind": "Pod", "version": "v1"})
    );
    assert_eq!(object["patch"]["tags"], json!(["core_v1"]));
    let eviction = &pods["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]["post"];
    assert_eq!(
        eviction["x-kubernetes-group-version-kind"],
        json!({"group": "policy", "kind": "Eviction", "version": "v1"})
    );
    assert_eq!(
        eviction["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/io.k8s.api.policy.v1.Eviction"
    );
}

#[test]
fn path_parameters_name_the_namespace_and_object() {
    let pods = paths_of("", "v1", "pods");
    let names = |path: &str| -> Vec<String> {
        pods[path]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{}:{}",
                    p["in"].as_str().unwrap(),
                    p["name"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(
        names("/api/v1/namespaces/{namespace}/pods/{name}"),
        ["path:name", "path:namespace", "query:pretty"]
    );
    assert_eq!(
        names("/api/v1/namespaces/{namespace}/pods"),
        ["path:namespace", "query:pretty"]
    );
    assert_eq!(names("/api/v1/pods"), ["query:pretty"]);
}

#[test]
fn cluster_scoped_resources_have_no_namespace_segment() {
    let nodes = paths_of("", "v1", "nodes");
    let mut names: Vec<&String> = nodes.keys().collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "/api/v1/nodes",
            "/api/v1/nodes/{name}",
            "/api/v1/nodes/{name}/status"
        ]
    );
    assert!(ids(&nodes).contains(&"listCoreV1Node".to_owned()));
    let roles = paths_of("rbac.authorization.k8s.io", "v1", "clusterroles");
    assert!(ids(&roles).contains(&"patchRbacAuthorizationV1ClusterRole".to_owned()));
    let patch = &roles["/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}"]["patch"];
    assert_eq!(patch["tags"], json!(["rbacAuthorization_v1"]));
}

#[test]
fn operation_ids_follow_go_naming() {
    assert_eq!(operation_id_part("framefarm.io", true), "FramefarmIo");
    assert_eq!(operation_id_part("framefarm.io", false), "framefarmIo");
    assert_eq!(operation_id_part("v1alpha1", true), "V1alpha1");
    assert_eq!(
        operation_id_part("rbac.authorization", true),
        "RbacAuthorization"
    );
    assert_eq!(operation_id_part("2fa-group", false), "FaGroup");
}
