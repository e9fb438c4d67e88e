//! A Qdrant server (or cluster) through qdrant-client, with the embedded index's layout: one
//! collection, a dense vector, a BM25 sparse vector with the IDF modifier, keyword indexes on
//! the tenant and source ids.
//!
//! The trait is synchronous and the client is async. Each call is spawned on a small runtime
//! the index owns (one worker thread) and the calling thread waits on a channel for the answer.
//! Nothing here enters a runtime from the caller's thread, so any thread may call it, also one
//! already inside a tokio runtime (`Handle::block_on`, a blocking task), many at once, and the
//! index may be dropped anywhere. A call still blocks its thread until the server answers:
//! async code should call it through `spawn_blocking`, as the service does.

use std::future::Future;

use qdrant_client::qdrant::condition::ConditionOneOf;
use qdrant_client::qdrant::facet_value;
use qdrant_client::qdrant::r#match::MatchValue;
use qdrant_client::qdrant::point_id::PointIdOptions;
use qdrant_client::qdrant::{
    Condition, CountPointsBuilder, CreateCollectionBuilder, CreateFieldIndexCollectionBuilder,
    DeletePointsBuilder, Distance, FacetCountsBuilder, FieldCondition, FieldType, Filter, Match,
    Modifier, NamedVectors, PayloadIncludeSelector, PointId, PointStruct, PointVectors,
    Query as QdrantQuery, QueryPointsBuilder, ScrollPointsBuilder, SparseVectorParamsBuilder,
    SparseVectorsConfigBuilder, UpdatePointVectorsBuilder, UpsertPointsBuilder, Vector,
    VectorParamsBuilder, VectorsConfigBuilder,
};
use qdrant_client::{Payload, Qdrant, QdrantError};
use uuid::Uuid;

use super::{
    ALL_VALUES, ChunkPayload, DENSE, Hit, IndexError, IndexPoint, Query, SPARSE,
    STORED_TEXT_FIELDS, Scope, StoredText, VectorIndex,
};
use crate::lexical::SparseVector;

pub struct ServerIndex {
    client: Qdrant,
    collection: String,
    /// Taken out only by `drop`, which shuts it down without waiting: dropping a runtime waits
    /// for its workers, and that panics on a thread inside an async context.
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for ServerIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerIndex")
            .field("collection", &self.collection)
            .finish_non_exhaustive()
    }
}

fn operation(error: impl std::fmt::Display) -> IndexError {
    IndexError::Operation(error.to_string())
}

/// An exact match on a keyword field. `Condition::matches` with a string turns one containing
/// whitespace into a full-text match, which would let "a b" match "a b c": ids must match whole.
fn keyword(field: &str, value: &str) -> Condition {
    Condition {
        condition_one_of: Some(ConditionOneOf::Field(FieldCondition {
            key: field.to_string(),
            r#match: Some(Match {
                match_value: Some(MatchValue::Keyword(value.to_string())),
            }),
            ..FieldCondition::default()
        })),
    }
}

fn scope_conditions(scope: &Scope, source_id: Option<&str>) -> Vec<Condition> {
    let mut conditions = vec![
        keyword("workspace", &scope.workspace),
        keyword("knowledge_base", &scope.knowledge_base),
    ];
    if let Some(source_id) = source_id {
        conditions.push(keyword("source_id", source_id));
    }
    conditions
}

impl ServerIndex {
    /// Connects to `url` (gRPC, usually port 6334) and creates `collection` if it is missing.
    pub fn connect(url: &str, collection: &str, dimension: usize) -> Result<Self, IndexError> {
        let open_error = |reason: String| IndexError::Open {
            path: format!("{url} collection {collection}"),
            reason,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("qdrant-client")
            .enable_all()
            .build()
            .map_err(|error| open_error(error.to_string()))?;
        let client = Qdrant::from_url(url)
            .build()
            .map_err(|error| open_error(error.to_string()))?;
        let index = ServerIndex {
            client,
            collection: collection.to_string(),
            runtime: Some(runtime),
        };
        let name = collection.to_string();
        let exists = index
            .call(|client| async move { client.collection_exists(name).await })
            .map_err(open_error)?;
        if !exists {
            let mut vectors = VectorsConfigBuilder::default();
            vectors.add_named_vector_params(
                DENSE,
                VectorParamsBuilder::new(dimension as u64, Distance::Cosine),
            );
            let mut sparse = SparseVectorsConfigBuilder::default();
            sparse.add_named_vector_params(
                SPARSE,
                SparseVectorParamsBuilder::default().modifier(Modifier::Idf),
            );
            let create = CreateCollectionBuilder::new(collection)
                .vectors_config(vectors)
                .sparse_vectors_config(sparse);
            index
                .call(|client| async move { client.create_collection(create).await })
                .map_err(open_error)?;
            for field in ["workspace", "knowledge_base", "source_id"] {
                let request =
                    CreateFieldIndexCollectionBuilder::new(collection, field, FieldType::Keyword)
                        .wait(true);
                index
                    .call(|client| async move { client.create_field_index(request).await })
                    .map_err(open_error)?;
            }
        }
        Ok(index)
    }

    /// Runs one client call on the index's runtime and waits for its answer on this thread.
    /// Waiting on a channel, not `block_on`, is what makes this safe inside a runtime context.
    fn call<T, F, Fut>(&self, call: F) -> Result<T, String>
    where
        F: FnOnce(Qdrant) -> Fut,
        Fut: Future<Output = Result<T, QdrantError>> + Send + 'static,
        T: Send + 'static,
    {
        let runtime = self.runtime.as_ref().expect("the runtime lives until drop");
        let future = call(self.client.clone());
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        runtime.spawn(async move {
            // The caller is blocked in `recv` until this arrives, so sending cannot fail.
            let _ = sender.send(future.await);
        });
        receiver
            .recv()
            .map_err(|_| "the Qdrant client task ended without an answer".to_string())?
            .map_err(|error| error.to_string())
    }
}

impl Drop for ServerIndex {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn uuid_of(id: Option<PointId>) -> Result<Uuid, IndexError> {
    match id.and_then(|id| id.point_id_options) {
        Some(PointIdOptions::Uuid(text)) => {
            Uuid::parse_str(&text).map_err(|error| IndexError::Payload(error.to_string()))
        }
        Some(PointIdOptions::Num(number)) => Ok(Uuid::from_u128(number as u128)),
        None => Err(IndexError::Payload("a point without an id".into())),
    }
}

impl VectorIndex for ServerIndex {
    fn upsert(&self, points: &[IndexPoint]) -> Result<(), IndexError> {
        for batch in points.chunks(256) {
            let mut structs = Vec::with_capacity(batch.len());
            for point in batch {
                let payload =
                    Payload::try_from(serde_json::to_value(&point.payload).map_err(operation)?)
                        .map_err(operation)?;
                let vectors = NamedVectors::default()
                    .add_vector(DENSE, Vector::new_dense(point.dense.clone()))
                    .add_vector(
                        SPARSE,
                        Vector::new_sparse(
                            point.sparse.indices.clone(),
                            point.sparse.values.clone(),
                        ),
                    );
                structs.push(PointStruct::new(point.id.to_string(), vectors, payload));
            }
            let request = UpsertPointsBuilder::new(&self.collection, structs).wait(true);
            self.call(|client| async move { client.upsert_points(request).await })
                .map_err(IndexError::Operation)?;
        }
        Ok(())
    }

    fn delete_source(
        &self,
        scope: &Scope,
        source_id: &str,
        keep: &[Uuid],
    ) -> Result<(), IndexError> {
        let mut filter = Filter::must(scope_conditions(scope, Some(source_id)));
        if !keep.is_empty() {
            filter.must_not = vec![Condition::has_id(
                keep.iter().map(|id| PointId::from(id.to_string())),
            )];
        }
        let request = DeletePointsBuilder::new(&self.collection)
            .points(filter)
            .wait(true);
        self.call(|client| async move { client.delete_points(request).await })
            .map_err(IndexError::Operation)?;
        Ok(())
    }

    fn search(&self, scope: &Scope, query: &Query, limit: usize) -> Result<Vec<Hit>, IndexError> {
        let (query, using) = match query {
            Query::Dense(vector) => (QdrantQuery::new_nearest(vector.clone()), DENSE),
            Query::Sparse(sparse) if sparse.indices.is_empty() => return Ok(Vec::new()),
            Query::Sparse(sparse) => {
                let pairs: Vec<(u32, f32)> = sparse
                    .indices
                    .iter()
                    .copied()
                    .zip(sparse.values.iter().copied())
                    .collect();
                (QdrantQuery::from(pairs), SPARSE)
            }
        };
        let request = QueryPointsBuilder::new(&self.collection)
            .query(query)
            .using(using)
            .filter(Filter::must(scope_conditions(scope, None)))
            .limit(limit as u64)
            .with_payload(true);
        let response = self
            .call(|client| async move { client.query(request).await })
            .map_err(IndexError::Operation)?;
        response
            .result
            .into_iter()
            .map(|point| {
                let id = uuid_of(point.id)?;
                let payload: ChunkPayload = Payload::from(point.payload)
                    .deserialize()
                    .map_err(|error| IndexError::Payload(format!("{id}: {error}")))?;
                Ok(Hit {
                    id,
                    score: point.score,
                    payload,
                })
            })
            .collect()
    }

    fn count(&self, scope: &Scope, source_id: Option<&str>) -> Result<usize, IndexError> {
        let request = CountPointsBuilder::new(&self.collection)
            .filter(Filter::must(scope_conditions(scope, source_id)))
            .exact(true);
        let response = self
            .call(|client| async move { client.count(request).await })
            .map_err(IndexError::Operation)?;
        Ok(response.result.map_or(0, |result| result.count as usize))
    }

    fn keyword_values(
        &self,
        field: &str,
        within: &[(&str, &str)],
    ) -> Result<Vec<(String, usize)>, IndexError> {
        let conditions = within
            .iter()
            .map(|(field, value)| keyword(field, value))
            .collect::<Vec<_>>();
        let request = FacetCountsBuilder::new(&self.collection, field)
            .filter(Filter::must(conditions))
            .limit(ALL_VALUES as u64)
            .exact(true);
        let response = self
            .call(|client| async move { client.facet(request).await })
            .map_err(IndexError::Operation)?;
        response
            .hits
            .into_iter()
            .map(|hit| match hit.value.and_then(|value| value.variant) {
                Some(facet_value::Variant::StringValue(value)) => Ok((value, hit.count as usize)),
                other => Err(IndexError::Payload(format!(
                    "{field} holds {other:?}, not a keyword"
                ))),
            })
            .collect()
    }

    fn texts(
        &self,
        from: Option<Uuid>,
        limit: usize,
    ) -> Result<(Vec<StoredText>, Option<Uuid>), IndexError> {
        let mut request = ScrollPointsBuilder::new(&self.collection)
            .limit(u32::try_from(limit.max(1)).unwrap_or(u32::MAX))
            .with_payload(PayloadIncludeSelector {
                fields: STORED_TEXT_FIELDS.map(String::from).to_vec(),
            })
            .with_vectors(false);
        if let Some(from) = from {
            request = request.offset(PointId::from(from.to_string()));
        }
        let response = self
            .call(|client| async move { client.scroll(request).await })
            .map_err(IndexError::Operation)?;
        let texts = response
            .result
            .into_iter()
            .map(|point| {
                let id = uuid_of(point.id)?;
                let stored: StoredText = Payload::from(point.payload)
                    .deserialize()
                    .map_err(|error| IndexError::Payload(format!("{id}: {error}")))?;
                Ok(StoredText { id, ..stored })
            })
            .collect::<Result<Vec<_>, IndexError>>()?;
        let next = response
            .next_page_offset
            .map(|id| uuid_of(Some(id)))
            .transpose()?;
        Ok((texts, next))
    }

    fn replace_sparse(&self, vectors: &[(Uuid, SparseVector)]) -> Result<(), IndexError> {
        for batch in vectors.chunks(256) {
            let points: Vec<PointVectors> = batch
                .iter()
                .map(|(id, sparse)| PointVectors {
                    id: Some(PointId::from(id.to_string())),
                    vectors: Some(
                        NamedVectors::default()
                            .add_vector(
                                SPARSE,
                                Vector::new_sparse(sparse.indices.clone(), sparse.values.clone()),
                            )
                            .into(),
                    ),
                })
                .collect();
            let request = UpdatePointVectorsBuilder::new(&self.collection, points).wait(true);
            self.call(|client| async move { client.update_vectors(request).await })
                .map_err(IndexError::Operation)?;
        }
        Ok(())
    }

    /// The server optimises in the background by itself.
    fn optimize(&self) -> Result<(), IndexError> {
        Ok(())
    }

    /// Writes were made with `wait`: acknowledged means applied.
    fn flush(&self) -> Result<(), IndexError> {
        Ok(())
    }
}
