//! The resource types the emulated apiserver serves: the built-in kinds Framefarm and its Helm
//! chart use, and the custom resources of every established CRD. Only descriptions live here;
//! the objects themselves live in the store.

use serde_json::Value;

/// Which subresources a resource type has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subresources {
    pub status: bool,
    /// `pods/log`.
    pub log: bool,
    /// `pods/eviction`.
    pub eviction: bool,
}

/// A column of `kubectl get`, from a CRD's `additionalPrinterColumns`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrinterColumn {
    pub name: String,
    /// `string`, `integer`, `number`, `boolean` or `date`.
    pub column_type: String,
    pub json_path: String,
    pub description: String,
    pub priority: i64,
}

/// Where a resource type comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    BuiltIn,
    /// Served from the CRD named `crd`; `schema` is the version's `openAPIV3Schema`.
    Custom {
        crd: String,
        schema: Value,
        printer_columns: Vec<PrinterColumn>,
        /// Whether this version is the CRD's storage version.
        storage: bool,
    },
}

/// One served group/version/resource.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceType {
    /// Empty for the core group.
    pub group: String,
    pub version: String,
    pub kind: String,
    pub list_kind: String,
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub subresources: Subresources,
    pub origin: Origin,
}

impl ResourceType {
    /// `v1` for the core group, `group/version` otherwise.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `plural.group`, or just `plural` for the core group, as in error messages.
    pub fn qualified_resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `Kind.group`, as in 422 messages (`RenderShot.framefarm.io "sh010" is invalid`).
    pub fn qualified_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }

    /// The URL path of the collection, e.g. `/apis/framefarm.io/v1alpha1/namespaces/ns/rendershots`.
    pub fn collection_path(&self, namespace: Option<&str>) -> String {
        let root = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace.filter(|_| self.namespaced) {
            Some(namespace) => format!("{root}/namespaces/{namespace}/{}", self.plural),
            None => format!("{root}/{}", self.plural),
        }
    }

    /// Whether this is the core-group resource `plural` (`pods`, `namespaces`, …).
    pub fn is_core(&self, plural: &str) -> bool {
        self.group.is_empty() && self.plural == plural
    }

    pub fn is_custom(&self) -> bool {
        matches!(self.origin, Origin::Custom { .. })
    }

    /// The OpenAPI v3 schema of a custom resource version.
    pub fn custom_schema(&self) -> Option<&Value> {
        match &self.origin {
            Origin::Custom { schema, .. } => Some(schema),
            Origin::BuiltIn => None,
        }
    }

    /// The printer columns of a custom resource version (none for built-ins).
    pub fn printer_columns(&self) -> &[PrinterColumn] {
        match &self.origin {
            Origin::Custom {
                printer_columns, ..
            } => printer_columns,
            Origin::BuiltIn => &[],
        }
    }
}

/// Every served resource type.
#[derive(Clone, Debug)]
pub struct Registry {
    types: Vec<ResourceType>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            types: built_in_types(),
        }
    }
}

impl Registry {
    pub fn types(&self) -> &[ResourceType] {
        &self.types
    }

    /// The type served at `/apis/{group}/{version}/{plural}` (`group` empty for `/api/v1`).
    pub fn by_resource(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.group == group && t.version == version && t.plural == plural)
    }

    /// The type of objects with this `apiVersion` and `kind`.
    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.api_version() == api_version && t.kind == kind)
    }

    /// The group/versions served, core `v1` first, in a stable order, each with its types.
    pub fn group_versions(&self) -> Vec<(String, String)> {
        let mut seen: Vec<(String, String)> = Vec::new();
        for t in &self.types {
            let key = (t.group.clone(), t.version.clone());
            if !seen.contains(&key) {
                seen.push(key);
            }
        }
        seen
    }

    /// Serves the versions of an established CRD (given as JSON), replacing any earlier
    /// definition of it. Versions with `served: false` are not served.
    pub fn install_crd(&mut self, crd: &Value) {
        let name = crd["metadata"]["name"].as_str().unwrap_or_default();
        self.remove_crd(name);
        self.types.extend(custom_types(crd));
    }

    /// Stops serving the custom resources of the CRD named `name`.
    pub fn remove_crd(&mut self, name: &str) {
        self.types
            .retain(|t| !matches!(&t.origin, Origin::Custom { crd, .. } if crd == name));
    }
}

/// The resource types a CRD defines.
pub fn custom_types(crd: &Value) -> Vec<ResourceType> {
    let name = crd["metadata"]["name"].as_str().unwrap_or_default();
    let spec = &crd["spec"];
    let names = &spec["names"];
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let strings = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let kind = text(&names["kind"]);
    let plural = text(&names["plural"]);
    let singular = match names["singular"].as_str() {
        Some(singular) if !singular.is_empty() => singular.to_owned(),
        _ => kind.to_lowercase(),
    };
    let list_kind = match names["listKind"].as_str() {
        Some(list_kind) if !list_kind.is_empty() => list_kind.to_owned(),
        _ => format!("{kind}List"),
    };
    let versions = spec["versions"].as_array().cloned().unwrap_or_default();
    versions
        .iter()
        .filter(|version| version["served"].as_bool().unwrap_or(true))
        .map(|version| ResourceType {
            group: text(&spec["group"]),
            version: text(&version["name"]),
            kind: kind.clone(),
            list_kind: list_kind.clone(),
            plural: plural.clone(),
            singular: singular.clone(),
            namespaced: spec["scope"].as_str() != Some("Cluster"),
            short_names: strings(&names["shortNames"]),
            categories: strings(&names["categories"]),
            subresources: Subresources {
                status: version["subresources"].get("status").is_some(),
                ..Subresources::default()
            },
            origin: Origin::Custom {
                crd: name.to_owned(),
                schema: version["schema"]["openAPIV3Schema"].clone(),
                printer_columns: printer_columns(&version["additionalPrinterColumns"]),
                storage: version["storage"].as_bool().unwrap_or(false),
            },
        })
        .collect()
}

fn printer_columns(columns: &Value) -> Vec<PrinterColumn> {
    let columns = columns.as_array().cloned().unwrap_or_default();
    columns
        .iter()
        .map(|column| PrinterColumn {
            name: column["name"].as_str().unwrap_or_default().to_owned(),
            column_type: column["type"].as_str().unwrap_or("string").to_owned(),
            json_path: column["jsonPath"].as_str().unwrap_or_default().to_owned(),
            description: column["description"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            priority: column["priority"].as_i64().unwrap_or(0),
        })
        .collect()
}

struct BuiltIn {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    subresources: Subresources,
}

fn with_status() -> Subresources {
    Subresources {
        status: true,
        ..Subresources::default()
    }
}

fn built_in_types() -> Vec<ResourceType> {
    let pods = Subresources {
        status: true,
        log: true,
        eviction: true,
    };
    let none = Subresources::default;
    let table = [
        BuiltIn {
            group: "",
            version: "v1",
            kind: "Namespace",
            plural: "namespaces",
            namespaced: false,
            short_names: &["ns"],
            subresources: with_status(),
        },
        BuiltIn {
            group: "",
            version: "v1",
            kind: "Node",
            plural: "nodes",
            namespaced: false,
            short_names: &["no"],
            subresources: with_status(),
        },
        BuiltIn {
            group: "",
            version: "v1",
            kind: "Pod",
            plural: "pods",
            namespaced: true,
            short_names: &["po"],
            subresources: pods,
        },
        BuiltIn {
            group: "",
            version: "v1",
            kind: "Secret",
            plural: "secrets",
            namespaced: true,
            short_names: &[],
            subresources: none(),
        },
        BuiltIn {
            group: "",
            version: "v1",
            kind: "ConfigMap",
            plural: "configmaps",
            namespaced: true,
            short_names: &["cm"],
            subresources: none(),
        },
        BuiltIn {
            group: "",
            version: "v1",
            kind: "Event",
            plural: "events",
            namespaced: true,
            short_names: &["ev"],
            subresources: none(),
        },
        BuiltIn {
            group: "",
            version: "v1",
            kind: "ServiceAccount",
            plural: "serviceaccounts",
            namespaced: true,
            short_names: &["sa"],
            subresources: none(),
        },
        BuiltIn {
            group: "",
            version: "v1",
            kind: "Service",
            plural: "services",
            namespaced: true,
            short_names: &["svc"],
            subresources: with_status(),
        },
        BuiltIn {
            group: "apps",
            version: "v1",
            kind: "Deployment",
            plural: "deployments",
            namespaced: true,
            short_names: &["deploy"],
            subresources: with_status(),
        },
        BuiltIn {
            group: "events.k8s.io",
            version: "v1",
            kind: "Event",
            plural: "events",
            namespaced: true,
            short_names: &["ev"],
            subresources: none(),
        },
        BuiltIn {
            group: "coordination.k8s.io",
            version: "v1",
            kind: "Lease",
            plural: "leases",
            namespaced: true,
            short_names: &[],
            subresources: none(),
        },
        BuiltIn {
            group: "apiextensions.k8s.io",
            version: "v1",
            kind: "CustomResourceDefinition",
            plural: "customresourcedefinitions",
            namespaced: false,
            short_names: &["crd", "crds"],
            subresources: with_status(),
        },
        BuiltIn {
            group: "rbac.authorization.k8s.io",
            version: "v1",
            kind: "Role",
            plural: "roles",
            namespaced: true,
            short_names: &[],
            subresources: none(),
        },
        BuiltIn {
            group: "rbac.authorization.k8s.io",
            version: "v1",
            kind: "RoleBinding",
            plural: "rolebindings",
            namespaced: true,
            short_names: &[],
            subresources: none(),
        },
        BuiltIn {
            group: "rbac.authorization.k8s.io",
            version: "v1",
            kind: "ClusterRole",
            plural: "clusterroles",
            namespaced: false,
            short_names: &[],
            subresources: none(),
        },
        BuiltIn {
            group: "rbac.authorization.k8s.io",
            version: "v1",
            kind: "ClusterRoleBinding",
            plural: "clusterrolebindings",
            namespaced: false,
            short_names: &[],
            subresources: none(),
        },
        BuiltIn {
            group: "networking.k8s.io",
            version: "v1",
            kind: "NetworkPolicy",
            plural: "networkpolicies",
            namespaced: true,
            short_names: &["netpol"],
            subresources: none(),
        },
        BuiltIn {
            group: "policy",
            version: "v1",
            kind: "PodDisruptionBudget",
            plural: "poddisruptionbudgets",
            namespaced: true,
            short_names: &["pdb"],
            subresources: with_status(),
        },
        BuiltIn {
            group: "scheduling.k8s.io",
            version: "v1",
            kind: "PriorityClass",
            plural: "priorityclasses",
            namespaced: false,
            short_names: &["pc"],
            subresources: none(),
        },
    ];
    table
        .into_iter()
        .map(|b| ResourceType {
            group: b.group.to_owned(),
            version: b.version.to_owned(),
            kind: b.kind.to_owned(),
            list_kind: format!("{}List", b.kind),
            plural: b.plural.to_owned(),
            singular: b.kind.to_lowercase(),
            namespaced: b.namespaced,
            short_names: b.short_names.iter().map(|s| (*s).to_owned()).collect(),
            // `kubectl get all` lists the kinds in the `all` category.
            categories: if matches!(b.kind, "Pod" | "Service" | "Deployment")
                && b.group != "events.k8s.io"
            {
                vec!["all".to_owned()]
            } else {
                Vec::new()
            },
            subresources: b.subresources,
            origin: Origin::BuiltIn,
        })
        .collect()
}
