//! OpenAPI links from each create to what can be done with what it created: `POST
//! /api/v1/children` answers 201 with the child, whose `id` is the `{id}` of `GET`, `PATCH` and
//! `DELETE /api/v1/children/{id}`. A generated client can follow them, and contract fuzzing
//! (schemathesis' stateful phase) uses them to reach operations that take ids with real
//! records, not only random ids that are 404s.

use utoipa::Modify;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::{OpenApi, RefOr};

pub struct CreatedLinks;

impl Modify for CreatedLinks {
    fn modify(&self, openapi: &mut OpenApi) {
        let paths = &openapi.paths.paths;
        // (collection, item path, its id parameter, the item's operation ids)
        let mut pairs = Vec::new();
        for (item_path, item) in paths {
            let Some((collection, last)) = item_path.rsplit_once('/') else { continue };
            let Some(parameter) = last.strip_prefix('{').and_then(|p| p.strip_suffix('}')) else { continue };
            if paths.get(collection).is_none_or(|c| c.post.is_none()) {
                continue;
            }
            let operations = [&item.get, &item.put, &item.patch, &item.delete]
                .into_iter()
                .flatten()
                .filter_map(|operation| operation.operation_id.clone())
                .collect::<Vec<_>>();
            pairs.push((collection.to_owned(), parameter.to_owned(), operations));
        }
        for (collection, parameter, operations) in pairs {
            let Some(create) = openapi.paths.paths.get_mut(&collection).and_then(|c| c.post.as_mut()) else { continue };
            let Some(RefOr::T(created)) = create.responses.responses.get_mut("201") else { continue };
            // A region is named by its code; every other record by its id.
            let field = if parameter == "code" { "code" } else { "id" };
            // The collection's own parameters (a budget's `{id}` above its lines) carry over.
            let inherited = collection
                .split('/')
                .filter_map(|segment| segment.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
                .map(str::to_owned)
                .collect::<Vec<_>>();
            for operation_id in operations {
                let mut link = LinkBuilder::new()
                    .operation_id(operation_id.clone())
                    .parameter(parameter.clone(), format!("$response.body#/{field}"))
                    .description(format!("The created record's `{field}` is `{parameter}` of `{operation_id}`"));
                for name in &inherited {
                    link = link.parameter(name.clone(), format!("$request.path.{name}"));
                }
                let link = link.build();
                created.links.insert(operation_id, RefOr::T(link));
            }
        }
    }
}
