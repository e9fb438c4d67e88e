//! The embedded index: Qdrant's engine in-process (qdrant-edge), one shard per directory.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use qdrant_edge::{
    Condition, CreateIndex, Distance, EdgeConfigBuilder, EdgeShard, EdgeSparseVectorParamsBuilder,
    EdgeVectorParamsBuilder, FacetRequest, FacetValue, FieldCondition, FieldIndexOperations,
    Filter, HasIdCondition, JsonPath, Match, Modifier, NamedQuery, PayloadFieldSchema,
    PayloadSchemaType, PointId, PointInsertOperations, PointOperations, PointStruct,
    PointVectorsPersisted, QueryEnum, QueryRequest, ScoringQuery, ScrollRequest, UpdateOperation,
    UpdateVectorsOp, ValueVariants, Vector, VectorInternal, VectorOperations, VectorPersisted,
    VectorStructPersisted, Vectors, WithPayloadInterface, WithVector,
};
use uuid::Uuid;

use super::{
    ALL_VALUES, ChunkPayload, DENSE, Hit, IndexError, IndexPoint, Query, SPARSE,
    STORED_TEXT_FIELDS, Scope, StoredText, VectorIndex,
};
use crate::lexical::SparseVector;

const KEYWORD_FIELDS: [&str; 3] = ["workspace", "knowledge_base", "source_id"];

pub struct EdgeIndex {
    shard: EdgeShard,
    path: PathBuf,
    /// qdrant-edge does not replay its write-ahead log on load, so a write is durable only once
    /// the shard is flushed; and its flush must not race another write. Writers take turns.
    writes: Mutex<()>,
}

impl std::fmt::Debug for EdgeIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeIndex")
            .field("path", &self.path)
            .finish()
    }
}

fn operation(error: impl std::fmt::Display) -> IndexError {
    IndexError::Operation(error.to_string())
}

/// Qdrant's engine says that another handle holds the index's write-ahead log as "Can't init
/// WAL: Kind(WouldBlock)": said so a person knows what to do.
fn in_use_said_plainly(reason: String) -> String {
    if reason.contains("WouldBlock") {
        format!(
            "it is open in another process (a running `switchboard serve`, `ask` or `eval` over the same folder): stop that one, or use another folder ({reason})"
        )
    } else {
        reason
    }
}

impl EdgeIndex {
    /// Opens the index in `path`, creating it (with `dimension`-sized dense vectors) if empty.
    pub fn open(path: &Path, dimension: usize) -> Result<Self, IndexError> {
        let open_error = |reason: String| IndexError::Open {
            path: path.display().to_string(),
            reason: in_use_said_plainly(reason),
        };
        std::fs::create_dir_all(path).map_err(|error| open_error(error.to_string()))?;
        let existing = path.join("edge_config.json").is_file();
        let shard = if existing {
            EdgeShard::load(path, None).map_err(|error| open_error(error.to_string()))?
        } else {
            let config = EdgeConfigBuilder::new()
                .vector(
                    DENSE,
                    EdgeVectorParamsBuilder::new(dimension, Distance::Cosine).build(),
                )
                .sparse_vector(
                    SPARSE,
                    EdgeSparseVectorParamsBuilder::new()
                        .modifier(Modifier::Idf)
                        .build(),
                )
                .build();
            EdgeShard::new(path, config).map_err(|error| open_error(error.to_string()))?
        };
        let built_for = shard.config().vectors.get(DENSE).map(|params| params.size);
        if built_for != Some(dimension) {
            let found = built_for.map_or_else(
                || "no dense vectors".to_string(),
                |size| format!("{size}-dimensional vectors"),
            );
            return Err(open_error(format!(
                "the index holds {found}, the embedding model gives {dimension}: re-ingest into a new directory"
            )));
        }
        let index = EdgeIndex {
            shard,
            path: path.to_path_buf(),
            writes: Mutex::new(()),
        };
        if !existing {
            let _turn = index.turn()?;
            for field in KEYWORD_FIELDS {
                index.update(UpdateOperation::FieldIndexOperation(
                    FieldIndexOperations::CreateIndex(CreateIndex {
                        field_name: json_path(field)?,
                        field_schema: Some(PayloadFieldSchema::FieldType(
                            PayloadSchemaType::Keyword,
                        )),
                    }),
                ))?;
            }
            index.shard.flush();
        }
        Ok(index)
    }

    fn turn(&self) -> Result<std::sync::MutexGuard<'_, ()>, IndexError> {
        self.writes
            .lock()
            .map_err(|_| IndexError::Operation("a writer panicked".into()))
    }

    fn update(&self, operation_: UpdateOperation) -> Result<(), IndexError> {
        self.shard.update(operation_).map_err(operation)
    }
}

fn uuid_of(id: PointId) -> Uuid {
    match id {
        PointId::Uuid(id) => id,
        PointId::NumId(number) => Uuid::from_u128(number as u128),
    }
}

fn read_payload<T: serde::de::DeserializeOwned>(
    id: Uuid,
    payload: Option<qdrant_edge::Payload>,
) -> Result<T, IndexError> {
    let payload = payload.ok_or_else(|| IndexError::Payload(id.to_string()))?;
    let map: serde_json::Map<String, serde_json::Value> = payload.0.into_iter().collect();
    serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|error| IndexError::Payload(format!("{id}: {error}")))
}

fn json_path(field: &str) -> Result<JsonPath, IndexError> {
    field
        .parse()
        .map_err(|_| IndexError::Operation(format!("invalid payload field {field:?}")))
}

fn keyword(field: &str, value: &str) -> Result<Condition, IndexError> {
    let condition = FieldCondition::new_match(
        json_path(field)?,
        Match::new_value(ValueVariants::String(value.to_string())),
    );
    Ok(Condition::Field(condition))
}

fn scope_filter(scope: &Scope, source_id: Option<&str>) -> Result<Filter, IndexError> {
    let mut must = vec![
        keyword("workspace", &scope.workspace)?,
        keyword("knowledge_base", &scope.knowledge_base)?,
    ];
    if let Some(source_id) = source_id {
        must.push(keyword("source_id", source_id)?);
    }
    Ok(Filter {
        should: None,
        min_should: None,
        must: Some(must),
        must_not: None,
    })
}

impl VectorIndex for EdgeIndex {
    fn upsert(&self, points: &[IndexPoint]) -> Result<(), IndexError> {
        let _turn = self.turn()?;
        for batch in points.chunks(256) {
            let mut structs = Vec::with_capacity(batch.len());
            for point in batch {
                let payload = serde_json::to_value(&point.payload).map_err(operation)?;
                let sparse =
                    Vector::new_sparse(point.sparse.indices.clone(), point.sparse.values.clone())
                        .map_err(operation)?;
                let vectors = Vectors::new_named([
                    (DENSE, Vector::new_dense(point.dense.clone())),
                    (SPARSE, sparse),
                ]);
                structs.push(PointStruct::new(PointId::Uuid(point.id), vectors, payload).into());
            }
            self.update(UpdateOperation::PointOperation(
                PointOperations::UpsertPoints(PointInsertOperations::PointsList(structs)),
            ))?;
        }
        self.shard.flush();
        Ok(())
    }

    fn delete_source(
        &self,
        scope: &Scope,
        source_id: &str,
        keep: &[Uuid],
    ) -> Result<(), IndexError> {
        let mut filter = scope_filter(scope, Some(source_id))?;
        if !keep.is_empty() {
            let kept: HasIdCondition = keep.iter().map(|id| PointId::Uuid(*id)).collect();
            filter.must_not = Some(vec![Condition::HasId(kept)]);
        }
        let _turn = self.turn()?;
        self.update(UpdateOperation::PointOperation(
            PointOperations::DeletePointsByFilter(filter),
        ))?;
        self.shard.flush();
        Ok(())
    }

    fn search(&self, scope: &Scope, query: &Query, limit: usize) -> Result<Vec<Hit>, IndexError> {
        let (vector, using) = match query {
            Query::Dense(vector) => (VectorInternal::Dense(vector.clone()), DENSE),
            Query::Sparse(sparse) if sparse.indices.is_empty() => return Ok(Vec::new()),
            Query::Sparse(sparse) => {
                let Vector(internal) =
                    Vector::new_sparse(sparse.indices.clone(), sparse.values.clone())
                        .map_err(operation)?;
                (internal, SPARSE)
            }
        };
        let request = QueryRequest {
            prefetches: Vec::new(),
            query: Some(ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery {
                query: vector,
                using: Some(using.into()),
            }))),
            filter: Some(scope_filter(scope, None)?),
            score_threshold: None,
            limit,
            offset: 0,
            params: None,
            with_vector: WithVector::Bool(false),
            with_payload: WithPayloadInterface::Bool(true),
        };
        let points = self.shard.query(request).map_err(operation)?;
        points
            .into_iter()
            .map(|point| {
                let id = uuid_of(point.id);
                let payload: ChunkPayload = read_payload(id, point.payload)?;
                Ok(Hit {
                    id,
                    score: point.score,
                    payload,
                })
            })
            .collect()
    }

    fn count(&self, scope: &Scope, source_id: Option<&str>) -> Result<usize, IndexError> {
        self.shard
            .count(qdrant_edge::CountRequest {
                filter: Some(scope_filter(scope, source_id)?),
                exact: true,
            })
            .map_err(operation)
    }

    fn keyword_values(
        &self,
        field: &str,
        within: &[(&str, &str)],
    ) -> Result<Vec<(String, usize)>, IndexError> {
        let must = within
            .iter()
            .map(|(field, value)| keyword(field, value))
            .collect::<Result<Vec<_>, _>>()?;
        let response = self
            .shard
            .facet(FacetRequest {
                key: json_path(field)?,
                limit: ALL_VALUES,
                filter: Some(Filter {
                    should: None,
                    min_should: None,
                    must: Some(must),
                    must_not: None,
                }),
                exact: true,
            })
            .map_err(operation)?;
        response
            .hits
            .into_iter()
            .map(|hit| match hit.value {
                FacetValue::Keyword(value) => Ok((value, hit.count)),
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
        let fields = STORED_TEXT_FIELDS
            .iter()
            .map(|field| json_path(field))
            .collect::<Result<Vec<_>, _>>()?;
        let (records, next) = self
            .shard
            .scroll(ScrollRequest {
                offset: from.map(PointId::Uuid),
                limit: Some(limit.max(1)),
                filter: None,
                with_payload: Some(WithPayloadInterface::Fields(fields)),
                with_vector: WithVector::Bool(false),
                order_by: None,
            })
            .map_err(operation)?;
        let texts = records
            .into_iter()
            .map(|record| {
                let id = uuid_of(record.id);
                let stored: StoredText = read_payload(id, record.payload)?;
                Ok(StoredText { id, ..stored })
            })
            .collect::<Result<Vec<_>, IndexError>>()?;
        Ok((texts, next.map(uuid_of)))
    }

    fn replace_sparse(&self, vectors: &[(Uuid, SparseVector)]) -> Result<(), IndexError> {
        let _turn = self.turn()?;
        for batch in vectors.chunks(256) {
            let mut points = Vec::with_capacity(batch.len());
            for (id, sparse) in batch {
                let Vector(sparse) =
                    Vector::new_sparse(sparse.indices.clone(), sparse.values.clone())
                        .map_err(operation)?;
                points.push(PointVectorsPersisted {
                    id: PointId::Uuid(*id),
                    vector: VectorStructPersisted::Named(
                        [(SPARSE.into(), VectorPersisted::from(sparse))].into(),
                    ),
                });
            }
            self.update(UpdateOperation::VectorOperation(
                VectorOperations::UpdateVectors(UpdateVectorsOp {
                    points,
                    update_filter: None,
                }),
            ))?;
        }
        self.shard.flush();
        Ok(())
    }

    fn optimize(&self) -> Result<(), IndexError> {
        let _turn = self.turn()?;
        self.shard.optimize().map(|_| ()).map_err(operation)?;
        self.shard.flush();
        Ok(())
    }

    fn flush(&self) -> Result<(), IndexError> {
        let _turn = self.turn()?;
        self.shard.flush();
        Ok(())
    }
}
