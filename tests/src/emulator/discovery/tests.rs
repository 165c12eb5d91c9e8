use super::*;

const RENDERSHOTS: &str = include_str!("../../../../crds/rendershots.framefarm.io.yaml");

fn crd() -> Value {
    serde_saphyr::from_str(RENDERSHOTS).unwrap()
}

fn registry() -> Registry {
    let mut registry = Registry::default();
    registry.install_crd(&crd());
    registry
}

/// The CRD of `widgets.example.com` serving `versions` (the first one stored).
fn widgets(versions: &[&str]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({"name": name, "served": true, "storage": i == 0,
                                "schema": {"openAPIV3Schema": {"type": "object"}}})
        })
        .collect();
    json!({
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Cluster",
            "versions": versions
        }
    })
}

fn resource<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}

#[test]
fn kubectl_asks_for_aggregated_discovery_first() {
    let client_go = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,\
                     application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,\
                     application/json";
    assert!(wants_aggregated(client_go));
    assert!(wants_aggregated(
        "application/json; as=APIGroupDiscoveryList; v=v2; g=apidiscovery.k8s.io"
    ));
    assert!(!wants_aggregated("application/json"));
    assert!(!wants_aggregated(
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
    ));
    assert!(!wants_aggregated(
        "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    ));
    assert_eq!(
        AGGREGATED_DISCOVERY_CONTENT_TYPE,
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    );
}

#[test]
fn the_core_group_has_one_version() {
    assert_eq!(
        api_versions("127.0.0.1:6443"),
        json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}
            ]
        })
    );
}

#[test]
fn the_group_list_names_built_in_groups_then_custom_ones() {
    let list = api_group_list(&registry());
    assert_eq!(
        (&list["kind"], &list["apiVersion"]),
        (&json!("APIGroupList"), &json!("v1"))
    );
    let names: Vec<&str> = list["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.first(), Some(&"apps"));
    assert_eq!(names.last(), Some(&"framefarm.io"));
    assert!(!names.contains(&""));
    let framefarm = list["groups"].as_array().unwrap().last().unwrap();
    assert_eq!(
        framefarm["preferredVersion"],
        json!({"groupVersion": "framefarm.io/v1alpha1", "version": "v1alpha1"})
    );
}

#[test]
fn a_group_prefers_its_most_stable_newest_version() {
    let mut registry = Registry::default();
    registry.install_crd(&widgets(&[
        "v1alpha1", "v1beta1", "v1", "v2beta1", "custom",
    ]));
    let group = api_group(&registry, "example.com").unwrap();
    assert_eq!(
        (&group["kind"], &group["apiVersion"]),
        (&json!("APIGroup"), &json!("v1"))
    );
    let versions: Vec<&str> = group["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["v1", "v2beta1", "v1beta1", "v1alpha1", "custom"]);
    assert_eq!(group["preferredVersion"]["groupVersion"], "example.com/v1");
    assert!(api_group(&registry, "missing.example.com").is_none());
    assert!(api_group(&registry, "").is_none());
}

#[test]
fn version_priority_follows_kubernetes() {
    let mut versions = vec![
        "foo10",
        "v11alpha2",
        "v10beta3",
        "v3beta1",
        "v12alpha1",
        "v1",
        "v2",
        "foo1",
        "v10",
        "v11beta2",
        "v10",
        "v12",
    ];
    versions.sort_by(|a, b| compare_versions(b, a));
    assert_eq!(
        versions,
        [
            "v12",
            "v10",
            "v10",
            "v2",
            "v1",
            "v11beta2",
            "v10beta3",
            "v3beta1",
            "v12alpha1",
            "v11alpha2",
            "foo1",
            "foo10"
        ]
    );
}

#[test]
fn the_core_resource_list_has_pods_and_their_subresources() {
    let list = api_resource_list(&registry(), "", "v1").unwrap();
    assert_eq!(list["kind"], "APIResourceList");
    assert!(list.get("apiVersion").is_none());
    assert_eq!(list["groupVersion"], "v1");
    let pods = resource(&list, "pods");
    assert_eq!(pods["singularName"], "pod");
    assert_eq!(pods["namespaced"], true);
    assert_eq!(pods["kind"], "Pod");
    assert_eq!(pods["shortNames"], json!(["po"]));
    assert_eq!(
        pods["verbs"],
        json!([
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch"
        ])
    );
    assert_eq!(pods["storageVersionHash"].as_str().unwrap().len(), 12);
    assert_eq!(
        resource(&list, "pods/status"),
        &json!({"name": "pods/status", "singularName": "", "namespaced": true, "kind": "Pod",
                "verbs": ["get", "patch", "update"]})
    );
    assert_eq!(
        resource(&list, "pods/log"),
        &json!({"name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod",
                "verbs": ["get"]})
    );
    assert_eq!(
        resource(&list, "pods/eviction"),
        &json!({"name": "pods/eviction", "singularName": "", "namespaced": true,
                "group": "policy", "version": "v1", "kind": "Eviction", "verbs": ["create"]})
    );
    assert_eq!(resource(&list, "namespaces")["namespaced"], false);
    assert!(resource(&list, "secrets").get("shortNames").is_none());
    let names: Vec<&str> = list["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
}

#[test]
fn custom_resources_are_listed_from_their_crd() {
    let list = api_resource_list(&registry(), "framefarm.io", "v1alpha1").unwrap();
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["groupVersion"], "framefarm.io/v1alpha1");
    let shots = resource(&list, "rendershots");
    assert_eq!(shots["singularName"], "rendershot");
    assert_eq!(shots["kind"], "RenderShot");
    assert_eq!(shots["shortNames"], json!(["rshot"]));
    assert_eq!(shots["categories"], json!(["framefarm"]));
    assert_eq!(
        shots["verbs"],
        json!([
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "create",
            "update",
            "watch"
        ])
    );
    assert_eq!(
        resource(&list, "rendershots/status")["verbs"],
        json!(["get", "patch", "update"])
    );
    assert!(api_resource_list(&registry(), "framefarm.io", "v1").is_none());
    assert!(api_resource_list(&registry(), "", "v2").is_none());
}

#[test]
fn storage_version_hashes_follow_the_stored_version() {
    let mut registry = Registry::default();
    registry.install_crd(&widgets(&["v1", "v2"]));
    let v1 = api_resource_list(&registry, "example.com", "v1").unwrap();
    let v2 = api_resource_list(&registry, "example.com", "v2").unwrap();
    assert_eq!(
        resource(&v1, "widgets")["storageVersionHash"],
        resource(&v2, "widgets")["storageVersionHash"]
    );
    let pods = api_resource_list(&registry, "", "v1").unwrap();
    assert_ne!(
        resource(&pods, "pods")["storageVersionHash"],
        resource(&pods, "nodes")["storageVersionHash"]
    );
}

#[test]
fn aggregated_core_discovery_describes_pods_fully() {
    let document = aggregated_discovery(&registry(), true);
    assert_eq!(document["kind"], "APIGroupDiscoveryList");
    assert_eq!(document["apiVersion"], "apidiscovery.k8s.io/v2");
    let items = document["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["metadata"], json!({}));
    let version = &items[0]["versions"][0];
    assert_eq!(
        (&version["version"], &version["freshness"]),
        (&json!("v1"), &json!("Current"))
    );
    let pods = version["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "pods")
        .unwrap();
    assert_eq!(
        pods,
        &json!({
            "categories": ["all"],
            "resource": "pods",
            "responseKind": {"group": "", "version": "", "kind": "Pod"},
            "scope": "Namespaced",
            "singularResource": "pod",
            "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update",
                      "watch"],
            "shortNames": ["po"],
            "subresources": [
                {"subresource": "eviction",
                 "responseKind": {"group": "policy", "version": "v1", "kind": "Eviction"},
                 "verbs": ["create"]},
                {"subresource": "log",
                 "responseKind": {"group": "", "version": "", "kind": "Pod"},
                 "verbs": ["get"]},
                {"subresource": "status",
                 "responseKind": {"group": "", "version": "", "kind": "Pod"},
                 "verbs": ["get", "patch", "update"]}
            ]
        })
    );
}

#[test]
fn aggregated_group_discovery_lists_named_groups_with_full_kinds_for_custom_resources() {
    let document = aggregated_discovery(&registry(), false);
    let items = document["items"].as_array().unwrap();
    assert!(items.iter().all(|item| item["metadata"]["name"] != ""));
    let framefarm = items
        .iter()
        .find(|item| item["metadata"]["name"] == "framefarm.io")
        .unwrap();
    let shots = framefarm["versions"][0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "rendershots")
        .unwrap();
    let kind = json!({"group": "framefarm.io", "version": "v1alpha1", "kind": "RenderShot"});
    assert_eq!(shots["responseKind"], kind);
    assert_eq!(shots["categories"], json!(["framefarm"]));
    assert_eq!(
        shots["subresources"],
        json!([{"subresource": "status", "responseKind": kind, "verbs": ["get", "patch", "update"]}])
    );
    let leases = items
        .iter()
        .find(|item| item["metadata"]["name"] == "coordination.k8s.io")
        .unwrap();
    let lease = &leases["versions"][0]["resources"][0];
    assert_eq!(lease["scope"], "Namespaced");
    assert!(lease.get("subresources").is_none());
}
