//! Parses the URL path of a resource request into group, version, namespace, resource, name
//! and subresource, the way the apiserver's request info resolver does.

/// A request path under `/api/v1` or `/apis/{group}/{version}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourcePath {
    pub group: String,
    pub version: String,
    pub namespace: Option<String>,
    pub plural: String,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

impl ResourcePath {
    /// `None` for paths that are not resource requests (discovery, unknown roots).
    pub fn parse(path: &str) -> Option<ResourcePath> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (group, version, rest) = match segments.as_slice() {
            ["api", version, rest @ ..] if !rest.is_empty() => {
                (String::new(), (*version).to_owned(), rest)
            }
            ["apis", group, version, rest @ ..] if !rest.is_empty() => {
                ((*group).to_owned(), (*version).to_owned(), rest)
            }
            _ => return None,
        };
        let (namespace, rest) = match rest {
            // `/namespaces/{name}` and `/namespaces/{name}/status` address the namespace itself.
            ["namespaces", name] | ["namespaces", name, "status" | "finalize"] => {
                return Some(ResourcePath {
                    group,
                    version,
                    namespace: None,
                    plural: "namespaces".to_owned(),
                    name: Some((*name).to_owned()),
                    subresource: rest.get(2).map(|s| (*s).to_owned()),
                });
            }
            ["namespaces", namespace, rest @ ..] if !rest.is_empty() => {
                (Some((*namespace).to_owned()), rest)
            }
            rest => (None, rest),
        };
        let (plural, name, subresource) = match rest {
            [plural] => (*plural, None, None),
            [plural, name] => (*plural, Some(*name), None),
            [plural, name, subresource] => (*plural, Some(*name), Some(*subresource)),
            _ => return None,
        };
        Some(ResourcePath {
            group,
            version,
            namespace,
            plural: plural.to_owned(),
            name: name.map(str::to_owned),
            subresource: subresource.map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(
        path: &str,
    ) -> (
        String,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
    ) {
        let p = ResourcePath::parse(path).unwrap();
        (p.group, p.namespace, p.plural, p.name, p.subresource)
    }

    #[test]
    fn paths_resolve_like_the_apiserver_request_info() {
        assert_eq!(
            parsed("/api/v1/namespaces"),
            (String::new(), None, "namespaces".into(), None, None)
        );
        assert_eq!(
            parsed("/api/v1/namespaces/ns1"),
            (
                String::new(),
                None,
                "namespaces".into(),
                Some("ns1".into()),
                None
            )
        );
        assert_eq!(
            parsed("/api/v1/namespaces/ns1/status").4,
            Some("status".into())
        );
        assert_eq!(
            parsed("/api/v1/namespaces/ns1/pods/p/log"),
            (
                String::new(),
                Some("ns1".into()),
                "pods".into(),
                Some("p".into()),
                Some("log".into())
            )
        );
        assert_eq!(
            parsed("/apis/framefarm.io/v1alpha1/namespaces/ns1/rendershots"),
            (
                "framefarm.io".into(),
                Some("ns1".into()),
                "rendershots".into(),
                None,
                None
            )
        );
        assert_eq!(parsed("/apis/framefarm.io/v1alpha1/rendershots").1, None);
        assert_eq!(parsed("/api/v1/nodes/n1/status").3, Some("n1".into()));
        assert!(ResourcePath::parse("/apis/framefarm.io/v1alpha1").is_none());
        assert!(ResourcePath::parse("/version").is_none());
    }
}
