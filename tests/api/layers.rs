//! The layers import downwards only:
//!
//! - `api` (HTTP routes and handlers) may name anything;
//! - `http` (extractors, answers, middleware) and `records` (the records and their rules) sit
//!   beside each other under it, and neither names the other;
//! - `relay` (the change feed pushed to NATS) runs beside the HTTP app, over `records`;
//! - `auth`, `db`, `domain`, `growth`, `fhir` and `dhis2` sit under both, and `i18n` (the
//!   message catalogue) under everything.
//!
//! and no two modules of one parent name each other, directly or round a longer loop. Every
//! file is parsed (with `syn`), so a grouped `use crate::{http, records}`, a `super::` path or a
//! path written inline in code or a macro call counts as much as a plain `use`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

/// The module path of a file: `src/records/child/mod.rs` is `["records", "child"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Every crate path a file names, made absolute: `use super::{a, b::c}` in `records::child`
/// gives `records::a` and `records::b::c`.
struct Names<'m> {
    module: &'m [String],
    found: BTreeSet<Vec<String>>,
}

impl Names<'_> {
    /// `segments` as an absolute module path, if it starts at the crate, `self` or `super`.
    fn resolve(&self, segments: &[String]) -> Option<Vec<String>> {
        let (mut base, rest) = match segments.first().map(String::as_str) {
            Some("crate") => (Vec::new(), &segments[1..]),
            Some("self") => (self.module.to_vec(), &segments[1..]),
            Some("super") => {
                let supers = segments.iter().take_while(|s| *s == "super").count();
                let keep = self.module.len().checked_sub(supers)?;
                (self.module[..keep].to_vec(), &segments[supers..])
            }
            _ => return None,
        };
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn add(&mut self, segments: &[String]) {
        if let Some(path) = self.resolve(segments) {
            self.found.insert(path);
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Name(name) => {
                prefix.push(name.ident.to_string());
                self.add(prefix);
                prefix.pop();
            }
            syn::UseTree::Rename(rename) => {
                prefix.push(rename.ident.to_string());
                self.add(prefix);
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.add(prefix),
            syn::UseTree::Group(group) => group.items.iter().for_each(|item| self.use_tree(prefix, item)),
        }
    }

    /// Paths inside a macro call are tokens, not syntax: `crate :: a :: b` read off them.
    fn tokens(&mut self, tokens: TokenStream) {
        let mut run: Vec<String> = Vec::new();
        let mut after_colons = false;
        for token in tokens {
            match token {
                TokenTree::Ident(ident) => {
                    let ident = ident.to_string();
                    if after_colons || ["crate", "super", "self"].contains(&ident.as_str()) {
                        if !after_colons {
                            self.flush(&mut run);
                        }
                        run.push(ident);
                    } else {
                        self.flush(&mut run);
                    }
                    after_colons = false;
                }
                TokenTree::Punct(punct) if punct.as_char() == ':' => after_colons = !run.is_empty(),
                TokenTree::Group(group) => {
                    self.flush(&mut run);
                    self.tokens(group.stream());
                }
                _ => self.flush(&mut run),
            }
        }
        self.flush(&mut run);
    }

    fn flush(&mut self, run: &mut Vec<String>) {
        if run.len() > 1 {
            self.add(run);
        }
        run.clear();
    }
}

impl<'ast> Visit<'ast> for Names<'_> {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.add(&segments);
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        self.tokens(mac.tokens.clone());
    }

    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        // `#[diesel(table_name = crate::db::schema::x)]` and the like name modules too.
        if let syn::Meta::List(list) = &attr.meta {
            self.tokens(list.tokens.clone());
        }
    }
}

/// Each module of `src` with the crate paths its own file names.
fn names() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    rust_files(&src)
        .into_iter()
        .map(|file| {
            let module = module_of(&src, &file);
            let syntax = syn::parse_file(&fs::read_to_string(&file).unwrap())
                .unwrap_or_else(|e| panic!("{} does not parse: {e}", file.display()));
            let mut names = Names { module: &module, found: BTreeSet::new() };
            names.visit_file(&syntax);
            let found = names.found;
            (module, found)
        })
        .collect()
}

/// The files under top-level module `from` that name a module under `to`.
fn naming(names: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>, from: &str, to: &str) -> Vec<String> {
    names
        .iter()
        .filter(|(module, _)| module.first().is_some_and(|m| m == from))
        .filter(|(_, found)| found.iter().any(|path| path.first().is_some_and(|m| m == to)))
        .map(|(module, _)| module.join("::"))
        .collect()
}

/// Which top-level module may not be named from which.
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("records", &["api", "http", "relay", "startup", "cli"]),
    ("relay", &["api", "http", "demo", "startup", "cli"]),
    ("demo", &["api", "http", "relay", "startup"]),
    ("http", &["api", "records", "relay", "demo", "startup", "cli"]),
    ("auth", &["api", "http", "records", "relay", "demo", "startup", "cli"]),
    ("db", &["api", "http", "records", "relay", "demo", "startup", "cli"]),
    ("domain", &["api", "http", "records", "relay", "demo", "startup", "cli", "auth", "db"]),
    ("growth", &["api", "http", "records", "relay", "demo", "startup", "cli", "auth", "db"]),
    ("fhir", &["api", "http", "records", "relay", "demo", "startup", "cli", "auth", "db"]),
    ("dhis2", &["api", "http", "records", "relay", "demo", "startup", "cli", "auth", "db"]),
    (
        "i18n",
        &[
            "api", "http", "records", "relay", "demo", "startup", "cli", "auth", "db", "domain", "growth", "fhir",
            "dhis2",
        ],
    ),
];

#[test]
fn each_layer_names_only_the_layers_below_it() {
    let names = names();
    let offenders: Vec<String> = FORBIDDEN
        .iter()
        .flat_map(|(from, above)| above.iter().map(move |to| (*from, *to)))
        .flat_map(|(from, to)| naming(&names, from, to).into_iter().map(move |file| format!("{file} names {to}")))
        .collect();
    assert!(offenders.is_empty(), "a layer names one above it: {offenders:#?}");
}

#[test]
fn the_checker_sees_grouped_super_and_macro_paths() {
    let module = vec!["records".to_owned(), "child".to_owned()];
    let syntax: syn::File = syn::parse_str(
        "use crate::{domain, http::{precondition::IfMatch, extract}};\n\
         use super::access::Readable;\n\
         fn f() { crate::api::x(); m!(crate::db::pool::get); }\n\
         #[diesel(table_name = crate::db::schema::children)] struct S;",
    )
    .unwrap();
    let mut names = Names { module: &module, found: BTreeSet::new() };
    names.visit_file(&syntax);
    let found: BTreeSet<String> = names.found.iter().map(|p| p.join("::")).collect();
    for expected in [
        "domain",
        "http::precondition::IfMatch",
        "http::extract",
        "records::access::Readable",
        "api::x",
        "db::pool::get",
    ] {
        assert!(found.contains(expected), "{expected} not seen in {found:?}");
    }
    assert!(found.contains("db::schema::children"), "{found:?}");
}

/// Edges between the children of one parent module: `a -> b` when a file under `parent::a`
/// names something under `parent::b`.
fn sibling_edges(
    names: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
) -> BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> {
    let mut edges: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (module, found) in names {
        for path in found {
            // The longest common parent of the two; below it they part into two siblings.
            let common = module.iter().zip(path).take_while(|(a, b)| a == b).count();
            if common >= module.len() || common >= path.len() {
                continue; // a module naming itself, its own child or its ancestor
            }
            let parent = module[..common].to_vec();
            let from = module[common].clone();
            let to = path[common].clone();
            // Only names of real modules count (not `use crate::foo_fn` at the top).
            if names.keys().any(|m| m.len() > common && m[..common] == parent[..] && m[common] == to) {
                edges.entry(parent).or_default().entry(from).or_default().insert(to);
            }
        }
    }
    edges
}

/// The groups of modules in `graph` that each reach one another: every loop lies inside one.
fn loops(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut next = vec![from.clone()];
        while let Some(node) = next.pop() {
            for to in graph.get(&node).into_iter().flatten() {
                if seen.insert(to.clone()) {
                    next.push(to.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> = graph.keys().map(|node| (node, reach(node))).collect();
    let mut groups: Vec<BTreeSet<String>> = Vec::new();
    for (node, from_node) in &reached {
        let group: BTreeSet<String> = from_node
            .iter()
            .filter(|other| reached.get(other).is_some_and(|back| back.contains(*node)))
            .cloned()
            .collect();
        if group.len() > 1 && !groups.contains(&group) {
            groups.push(group);
        }
    }
    groups
}

#[test]
fn no_two_modules_name_each_other() {
    let cycles: Vec<String> = sibling_edges(&names())
        .iter()
        .flat_map(|(parent, graph)| {
            let parent = parent.join("::");
            loops(graph).into_iter().map(move |group| {
                let edges: Vec<String> = group
                    .iter()
                    .flat_map(|from| {
                        graph[from].iter().filter(|to| group.contains(*to)).map(move |to| format!("{from} -> {to}"))
                    })
                    .collect();
                format!("in crate::{parent}: {}", edges.join(", "))
            })
        })
        .collect();
    assert!(cycles.is_empty(), "module import cycles: {cycles:#?}");
}
