//! The message catalogue (`locales/messages.yml`) holds every text the code can answer with:
//! each `text!("…")` in `src/` (found in the parsed token streams, macros included, so a text
//! written inside another macro counts), and each status reason a problem takes as its title,
//! has Indonesian that names the same parts (`%{name}`) as its English.

use std::collections::BTreeSet;
use std::path::Path;

use proc_macro2::{TokenStream, TokenTree};
use stunting_api::i18n::{Lang, has, phrase};

/// The keys of every `text!` in `tokens`: the macro's name, `!`, then a group opening with a
/// string literal.
fn texts(tokens: TokenStream, found: &mut BTreeSet<String>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        if let TokenTree::Group(group) = tree {
            let is_text = i >= 2
                && matches!((&trees[i - 2], &trees[i - 1]),
                    (TokenTree::Ident(name), TokenTree::Punct(bang)) if name == "text" && bang.as_char() == '!');
            if is_text && let Some(TokenTree::Literal(literal)) = group.stream().into_iter().next() {
                let literal: syn::LitStr = syn::parse_str(&literal.to_string()).expect("text! takes a string literal");
                found.insert(literal.value());
            }
            texts(group.stream(), found);
        }
    }
}

fn every_text() -> BTreeSet<String> {
    fn walk(dir: &Path, found: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                let tokens: TokenStream = source.parse().unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
                texts(tokens, found);
            }
        }
    }
    let mut found = BTreeSet::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut found);
    found
}

fn parts(text: &str) -> BTreeSet<&str> {
    text.split("%{").skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect()
}

#[test]
fn every_text_in_the_code_has_indonesian_with_the_same_parts() {
    let texts = every_text();
    assert!(texts.len() > 300, "the scan found only {} texts", texts.len());
    assert!(texts.contains("must be 16 digits") && texts.contains("stunted"), "the scan misses texts");
    let missing: Vec<&String> = texts.iter().filter(|t| !has(t, Lang::Id)).collect();
    assert!(missing.is_empty(), "no Indonesian in locales/messages.yml for {missing:#?}");
    let mismatched: Vec<(&String, String)> = texts
        .iter()
        .map(|t| (t, phrase(t, Lang::Id)))
        .filter(|(t, indonesian)| parts(t) != parts(indonesian))
        .collect();
    assert!(mismatched.is_empty(), "the Indonesian names other parts: {mismatched:#?}");
}

#[test]
fn every_status_a_problem_takes_has_an_indonesian_title() {
    for status in [400, 401, 403, 404, 405, 406, 408, 409, 410, 412, 413, 414, 415, 422, 428, 429, 431, 500, 503] {
        let reason = actix_web::http::StatusCode::from_u16(status).unwrap().canonical_reason().unwrap();
        assert!(has(reason, Lang::Id), "no Indonesian title for {status} {reason}");
    }
}
