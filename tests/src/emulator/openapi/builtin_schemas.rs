//! Which k8s-openapi type describes a built-in kind: the only place that maps API kinds to Rust
//! types, so that built-in schemas come from k8s-openapi's `JsonSchema` impls rather than being
//! written by hand. Kinds missing here get a schema that accepts any object.

use k8s_openapi::api::scheduling;
use k8s_openapi::api::{apps, batch, coordination, core, events, networking, policy, rbac};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions;
use schemars::{JsonSchema, SchemaGenerator};

/// The component name of `group/version` `kind` in k8s-openapi (`io.k8s.api.core.v1.Pod`);
/// None for a kind k8s-openapi is not asked for.
pub(super) fn component_name(group: &str, version: &str, kind: &str) -> Option<String> {
    visit_kind(group, version, kind, SchemaName)
}

/// Adds the component of `group/version` `kind`, and every component it refers to, to
/// `generator`; false for a kind k8s-openapi is not asked for.
pub(super) fn register(
    generator: &mut SchemaGenerator,
    group: &str,
    version: &str,
    kind: &str,
) -> bool {
    visit_kind(group, version, kind, Register(generator)).is_some()
}

/// Something done with the Rust type of a kind.
trait KindVisitor {
    type Output;
    fn visit<T: JsonSchema>(self) -> Self::Output;
}

struct SchemaName;

impl KindVisitor for SchemaName {
    type Output = String;
    fn visit<T: JsonSchema>(self) -> String {
        T::schema_name().into_owned()
    }
}

struct Register<'a>(&'a mut SchemaGenerator);

impl KindVisitor for Register<'_> {
    type Output = ();
    fn visit<T: JsonSchema>(self) {
        self.0.subschema_for::<T>();
    }
}

fn visit_kind<V: KindVisitor>(
    group: &str,
    version: &str,
    kind: &str,
    visitor: V,
) -> Option<V::Output> {
    let output = match (group, version, kind) {
        ("", "v1", "ConfigMap") => visitor.visit::<core::v1::ConfigMap>(),
        ("", "v1", "Endpoints") => visitor.visit::<core::v1::Endpoints>(),
        ("", "v1", "Event") => visitor.visit::<core::v1::Event>(),
        ("", "v1", "Namespace") => visitor.visit::<core::v1::Namespace>(),
        ("", "v1", "Node") => visitor.visit::<core::v1::Node>(),
        ("", "v1", "PersistentVolume") => visitor.visit::<core::v1::PersistentVolume>(),
        ("", "v1", "PersistentVolumeClaim") => visitor.visit::<core::v1::PersistentVolumeClaim>(),
        ("", "v1", "Pod") => visitor.visit::<core::v1::Pod>(),
        ("", "v1", "Secret") => visitor.visit::<core::v1::Secret>(),
        ("", "v1", "Service") => visitor.visit::<core::v1::Service>(),
        ("", "v1", "ServiceAccount") => visitor.visit::<core::v1::ServiceAccount>(),
        ("apiextensions.k8s.io", "v1", "CustomResourceDefinition") => {
            visitor.visit::<apiextensions::v1::CustomResourceDefinition>()
        }
        ("apps", "v1", "DaemonSet") => visitor.visit::<apps::v1::DaemonSet>(),
        ("apps", "v1", "Deployment") => visitor.visit::<apps::v1::Deployment>(),
        ("apps", "v1", "ReplicaSet") => visitor.visit::<apps::v1::ReplicaSet>(),
        ("apps", "v1", "StatefulSet") => visitor.visit::<apps::v1::StatefulSet>(),
        ("batch", "v1", "CronJob") => visitor.visit::<batch::v1::CronJob>(),
        ("batch", "v1", "Job") => visitor.visit::<batch::v1::Job>(),
        ("coordination.k8s.io", "v1", "Lease") => visitor.visit::<coordination::v1::Lease>(),
        ("events.k8s.io", "v1", "Event") => visitor.visit::<events::v1::Event>(),
        ("networking.k8s.io", "v1", "Ingress") => visitor.visit::<networking::v1::Ingress>(),
        ("networking.k8s.io", "v1", "NetworkPolicy") => {
            visitor.visit::<networking::v1::NetworkPolicy>()
        }
        ("policy", "v1", "Eviction") => visitor.visit::<policy::v1::Eviction>(),
        ("policy", "v1", "PodDisruptionBudget") => {
            visitor.visit::<policy::v1::PodDisruptionBudget>()
        }
        ("rbac.authorization.k8s.io", "v1", "ClusterRole") => {
            visitor.visit::<rbac::v1::ClusterRole>()
        }
        ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding") => {
            visitor.visit::<rbac::v1::ClusterRoleBinding>()
        }
        ("rbac.authorization.k8s.io", "v1", "Role") => visitor.visit::<rbac::v1::Role>(),
        ("rbac.authorization.k8s.io", "v1", "RoleBinding") => {
            visitor.visit::<rbac::v1::RoleBinding>()
        }
        ("scheduling.k8s.io", "v1", "PriorityClass") => {
            visitor.visit::<scheduling::v1::PriorityClass>()
        }
        _ => return None,
    };
    Some(output)
}
