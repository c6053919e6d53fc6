//! Which methods each documented path takes, so a request with another method on a path that
//! exists (`TRACE /api/v1/changes`) is a 405 naming them in `Allow` (RFC 9110, 15.5.6), not a
//! 404 saying the path is unknown.

use actix_web::dev::ResourceDef;
use actix_web::http::Method;

/// Each template, matched as actix's router matches it (`{id}` is one segment), with its methods.
#[derive(Debug, Default)]
pub struct KnownPaths(Vec<(ResourceDef, Vec<Method>)>);

impl KnownPaths {
    /// The methods of each path template, as the document states them.
    pub fn new(paths: impl IntoIterator<Item = (String, Vec<Method>)>) -> Self {
        Self(paths.into_iter().map(|(path, methods)| (ResourceDef::new(path), methods)).collect())
    }

    /// The methods a path takes, when some template matches it.
    pub fn allowed(&self, path: &str) -> Option<Vec<Method>> {
        let mut allowed: Vec<Method> = Vec::new();
        for (_, methods) in self.0.iter().filter(|(template, _)| template.is_match(path)) {
            allowed.extend(methods.iter().cloned());
        }
        allowed.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        allowed.dedup();
        (!allowed.is_empty()).then_some(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_path_names_its_methods_and_an_unknown_one_none() {
        let known = KnownPaths::new([
            ("/api/v1/changes".to_owned(), vec![Method::GET]),
            ("/api/v1/children/{id}".to_owned(), vec![Method::GET, Method::PATCH, Method::DELETE]),
            ("/api/v1/children".to_owned(), vec![Method::GET, Method::POST]),
        ]);
        assert_eq!(known.allowed("/api/v1/changes"), Some(vec![Method::GET]));
        let child = known.allowed("/api/v1/children/0192b7a4-0000-7000-8000-0000000000a1").unwrap();
        assert_eq!(child, [Method::DELETE, Method::GET, Method::PATCH]);
        assert_eq!(known.allowed("/api/v1/children/x/y"), None);
        assert_eq!(known.allowed("/api/v1/nothing"), None);
        assert_eq!(known.allowed("/api/v1"), None);
    }
}
