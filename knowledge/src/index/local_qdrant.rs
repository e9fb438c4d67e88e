//! A Qdrant server small enough to live inside a test: the gRPC services qdrant-client talks
//! to, generated from the client's own protocol definitions, over an in-memory store. Tests of
//! [`ServerIndex`](super::ServerIndex), and of anything built on it, then exercise the real
//! client, transport and request building without a Qdrant install.
//!
//! It does what the index asks of a server and no more: create and check collections, accept
//! field indexes, upsert points with named vectors, replace some of a point's vectors, delete
//! and count by filter, query the nearest points by a dense (cosine) or sparse (dot product)
//! vector, filtered by keyword matches and point ids, scroll points in id order with some of
//! their payload, and count the points per value of a keyword field (facets).
//! Anything else answers `unimplemented`, so a new request fails loudly here rather than being
//! answered wrongly. The IDF a real server applies to the sparse vector is left out: scores
//! differ from a real server's, which tenants and sources come back does not.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use qdrant_client::qdrant::collections_server::{Collections, CollectionsServer};
use qdrant_client::qdrant::condition::ConditionOneOf;
use qdrant_client::qdrant::r#match::MatchValue;
use qdrant_client::qdrant::point_id::PointIdOptions;
use qdrant_client::qdrant::points_selector::PointsSelectorOneOf;
use qdrant_client::qdrant::points_server::{Points, PointsServer};
use qdrant_client::qdrant::qdrant_server::{Qdrant, QdrantServer};
use qdrant_client::qdrant::value::Kind;
use qdrant_client::qdrant::vectors::VectorsOptions;
use qdrant_client::qdrant::with_payload_selector::SelectorOptions;
use qdrant_client::qdrant::{self, query, vector, vector_input};
use tokio::sync::oneshot;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

/// A running server on a free port of 127.0.0.1; it stops when this is dropped.
///
/// The server runs on the runtime that started it, so that runtime must keep running while the
/// server is used: a multi-thread one, or a current-thread one whose thread is not the one
/// blocked in a synchronous index call.
#[derive(Debug)]
pub struct LocalQdrant {
    url: String,
    stop: Option<oneshot::Sender<()>>,
}

impl LocalQdrant {
    pub async fn start() -> std::io::Result<LocalQdrant> {
        let incoming = TcpIncoming::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let url = format!("http://{}", incoming.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        let store = Store::default();
        let server = Server::builder()
            .add_service(QdrantServer::new(store.clone()))
            .add_service(CollectionsServer::new(store.clone()))
            .add_service(PointsServer::new(store))
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stopped.await;
            });
        tokio::spawn(async move {
            if let Err(error) = server.await {
                eprintln!("local Qdrant server stopped: {error}");
            }
        });
        Ok(LocalQdrant {
            url,
            stop: Some(stop),
        })
    }

    /// The gRPC address, for `ServerIndex::connect` or `qdrant.url`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for LocalQdrant {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[derive(Clone, Default)]
struct Store {
    collections: Arc<Mutex<HashMap<String, Collection>>>,
}

#[derive(Default)]
struct Collection {
    /// By normalised id; ordered so equal scores come back in the same order every run.
    points: BTreeMap<String, Point>,
    operations: u64,
}

struct Point {
    id: qdrant::PointId,
    vectors: HashMap<String, Vector>,
    payload: HashMap<String, qdrant::Value>,
}

enum Vector {
    Dense(Vec<f32>),
    Sparse(HashMap<u32, f32>),
}

fn unsupported(what: &str) -> Status {
    Status::unimplemented(format!("the local Qdrant server does not support {what}"))
}

impl Store {
    fn with_collection<T>(
        &self,
        name: &str,
        operation: impl FnOnce(&mut Collection) -> Result<T, Status>,
    ) -> Result<T, Status> {
        let mut collections = self
            .collections
            .lock()
            .expect("no handler panics holding it");
        let collection = collections
            .get_mut(name)
            .ok_or_else(|| Status::not_found(format!("collection {name} does not exist")))?;
        operation(collection)
    }
}

impl Collection {
    fn updated(&mut self) -> qdrant::PointsOperationResponse {
        self.operations += 1;
        qdrant::PointsOperationResponse {
            result: Some(qdrant::UpdateResult {
                operation_id: Some(self.operations),
                status: qdrant::UpdateStatus::Completed as i32,
            }),
            ..Default::default()
        }
    }
}

/// The key a point is stored under, and its id as a server returns it: a server parses UUIDs,
/// so two spellings of one UUID name one point.
fn point_id(id: Option<&qdrant::PointId>) -> Result<(String, qdrant::PointId), Status> {
    match id.and_then(|id| id.point_id_options.as_ref()) {
        Some(PointIdOptions::Num(number)) => Ok((number.to_string(), (*number).into())),
        Some(PointIdOptions::Uuid(text)) => {
            let uuid = uuid::Uuid::parse_str(text)
                .map_err(|_| Status::invalid_argument(format!("{text} is not a UUID")))?;
            Ok((uuid.to_string(), uuid.to_string().into()))
        }
        None => Err(Status::invalid_argument("a point id is missing")),
    }
}

fn stored_vector(vector: Option<vector::Vector>) -> Result<Vector, Status> {
    match vector {
        Some(vector::Vector::Dense(dense)) => Ok(Vector::Dense(dense.data)),
        Some(vector::Vector::Sparse(sparse)) => Ok(Vector::Sparse(
            sparse.indices.into_iter().zip(sparse.values).collect(),
        )),
        _ => Err(unsupported("vectors other than dense and sparse")),
    }
}

fn stored_point(point: qdrant::PointStruct) -> Result<(String, Point), Status> {
    let (key, id) = point_id(point.id.as_ref())?;
    let Some(VectorsOptions::Vectors(named)) = point.vectors.and_then(|v| v.vectors_options) else {
        return Err(unsupported("points without named vectors"));
    };
    let vectors = named
        .vectors
        .into_iter()
        .map(|(name, vector)| Ok((name, stored_vector(vector.vector)?)))
        .collect::<Result<_, Status>>()?;
    let point = Point {
        id,
        vectors,
        payload: point.payload,
    };
    Ok((key, point))
}

fn matches(filter: &qdrant::Filter, key: &str, point: &Point) -> Result<bool, Status> {
    if filter.min_should.is_some() {
        return Err(unsupported("min_should"));
    }
    let check = |condition| holds(condition, key, point);
    for condition in &filter.must {
        if !check(condition)? {
            return Ok(false);
        }
    }
    for condition in &filter.must_not {
        if check(condition)? {
            return Ok(false);
        }
    }
    if filter.should.is_empty() {
        return Ok(true);
    }
    for condition in &filter.should {
        if check(condition)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn holds(condition: &qdrant::Condition, key: &str, point: &Point) -> Result<bool, Status> {
    match &condition.condition_one_of {
        Some(ConditionOneOf::Field(field)) => {
            // A keyword match and nothing else: a range or geo part would be silently dropped.
            let keyword_only = qdrant::FieldCondition {
                key: field.key.clone(),
                r#match: field.r#match.clone(),
                ..Default::default()
            };
            match field.r#match.as_ref().and_then(|m| m.match_value.as_ref()) {
                Some(MatchValue::Keyword(keyword)) if *field == keyword_only => Ok(matches!(
                    point.payload.get(&field.key).and_then(|value| value.kind.as_ref()),
                    Some(Kind::StringValue(value)) if value == keyword
                )),
                _ => Err(unsupported("field conditions other than a keyword match")),
            }
        }
        Some(ConditionOneOf::HasId(has_id)) => {
            for id in &has_id.has_id {
                if point_id(Some(id))?.0 == key {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Some(ConditionOneOf::Filter(filter)) => matches(filter, key, point),
        _ => Err(unsupported("this kind of condition")),
    }
}

/// None when the point cannot be compared with the query: another kind or size of vector, or
/// (sparse) no index in common, which a server does not return as a hit.
fn similarity(query: &Vector, stored: &Vector) -> Option<f32> {
    match (query, stored) {
        (Vector::Dense(query), Vector::Dense(stored)) if query.len() == stored.len() => {
            let norm = |vector: &[f32]| vector.iter().map(|x| x * x).sum::<f32>().sqrt();
            let dot: f32 = query.iter().zip(stored).map(|(a, b)| a * b).sum();
            let norms = norm(query) * norm(stored);
            (norms > 0.0).then(|| dot / norms)
        }
        (Vector::Sparse(query), Vector::Sparse(stored)) => {
            let common: Vec<f32> = query
                .iter()
                .filter_map(|(index, weight)| stored.get(index).map(|value| weight * value))
                .collect();
            (!common.is_empty()).then(|| common.iter().sum())
        }
        _ => None,
    }
}

/// The requests the index makes, answered synchronously: the store is in memory.
impl Store {
    fn health(&self, _: qdrant::HealthCheckRequest) -> Result<qdrant::HealthCheckReply, Status> {
        // The version of the protocol these services are generated from, so that the client's
        // compatibility check passes quietly.
        Ok(qdrant::HealthCheckReply {
            title: "local Qdrant server for tests".into(),
            version: "1.20.0".into(),
            commit: None,
        })
    }

    fn has_collection(
        &self,
        request: qdrant::CollectionExistsRequest,
    ) -> Result<qdrant::CollectionExistsResponse, Status> {
        let collections = self
            .collections
            .lock()
            .expect("no handler panics holding it");
        let exists = collections.contains_key(&request.collection_name);
        Ok(qdrant::CollectionExistsResponse {
            result: Some(qdrant::CollectionExists { exists }),
            time: 0.0,
        })
    }

    fn create_collection(
        &self,
        request: qdrant::CreateCollection,
    ) -> Result<qdrant::CollectionOperationResponse, Status> {
        let name = request.collection_name;
        let mut collections = self
            .collections
            .lock()
            .expect("no handler panics holding it");
        if collections.contains_key(&name) {
            return Err(Status::already_exists(format!(
                "collection {name} already exists"
            )));
        }
        collections.insert(name, Collection::default());
        Ok(qdrant::CollectionOperationResponse {
            result: true,
            time: 0.0,
        })
    }

    fn accept_field_index(
        &self,
        request: qdrant::CreateFieldIndexCollection,
    ) -> Result<qdrant::PointsOperationResponse, Status> {
        // Filters scan every point here; an index would change nothing but speed.
        self.with_collection(&request.collection_name, |collection| {
            Ok(collection.updated())
        })
    }

    fn upsert_points(
        &self,
        request: qdrant::UpsertPoints,
    ) -> Result<qdrant::PointsOperationResponse, Status> {
        if request.update_filter.is_some() {
            return Err(unsupported("conditional upserts"));
        }
        let points = request
            .points
            .into_iter()
            .map(stored_point)
            .collect::<Result<Vec<_>, Status>>()?;
        self.with_collection(&request.collection_name, |collection| {
            collection.points.extend(points);
            Ok(collection.updated())
        })
    }

    fn delete_points(
        &self,
        request: qdrant::DeletePoints,
    ) -> Result<qdrant::PointsOperationResponse, Status> {
        let selector = request
            .points
            .and_then(|points| points.points_selector_one_of);
        self.with_collection(&request.collection_name, |collection| {
            match selector {
                Some(PointsSelectorOneOf::Filter(filter)) => {
                    let mut doomed = Vec::new();
                    for (key, point) in &collection.points {
                        if matches(&filter, key, point)? {
                            doomed.push(key.clone());
                        }
                    }
                    for key in doomed {
                        collection.points.remove(&key);
                    }
                }
                Some(PointsSelectorOneOf::Points(list)) => {
                    for id in &list.ids {
                        collection.points.remove(&point_id(Some(id))?.0);
                    }
                }
                None => return Err(Status::invalid_argument("no points selected")),
            }
            Ok(collection.updated())
        })
    }

    fn count_points(&self, request: qdrant::CountPoints) -> Result<qdrant::CountResponse, Status> {
        let filter = request.filter.unwrap_or_default();
        let count = self.with_collection(&request.collection_name, |collection| {
            let mut count = 0;
            for (key, point) in &collection.points {
                count += u64::from(matches(&filter, key, point)?);
            }
            Ok(count)
        })?;
        Ok(qdrant::CountResponse {
            result: Some(qdrant::CountResult { count }),
            ..Default::default()
        })
    }

    fn facet_points(&self, request: qdrant::FacetCounts) -> Result<qdrant::FacetResponse, Status> {
        let filter = request.filter.unwrap_or_default();
        let field = request.key;
        let counts = self.with_collection(&request.collection_name, |collection| {
            let mut counts = BTreeMap::<String, u64>::new();
            for (key, point) in &collection.points {
                if !matches(&filter, key, point)? {
                    continue;
                }
                match point
                    .payload
                    .get(&field)
                    .and_then(|value| value.kind.as_ref())
                {
                    Some(Kind::StringValue(value)) => {
                        *counts.entry(value.clone()).or_default() += 1
                    }
                    None => {}
                    Some(_) => return Err(unsupported("facets of values other than strings")),
                }
            }
            Ok(counts)
        })?;
        let mut hits: Vec<qdrant::FacetHit> = counts
            .into_iter()
            .map(|(value, count)| qdrant::FacetHit {
                value: Some(qdrant::FacetValue {
                    variant: Some(qdrant::facet_value::Variant::StringValue(value)),
                }),
                count,
            })
            .collect();
        hits.sort_by_key(|hit| std::cmp::Reverse(hit.count));
        hits.truncate(request.limit.unwrap_or(10) as usize);
        Ok(qdrant::FacetResponse {
            hits,
            ..Default::default()
        })
    }

    fn scroll_points(
        &self,
        request: qdrant::ScrollPoints,
    ) -> Result<qdrant::ScrollResponse, Status> {
        if request.order_by.is_some() {
            return Err(unsupported("ordered scrolls"));
        }
        let vectors_wanted = !matches!(
            request.with_vectors.and_then(|with| with.selector_options),
            None | Some(qdrant::with_vectors_selector::SelectorOptions::Enable(
                false
            ))
        );
        if vectors_wanted {
            return Err(unsupported("scrolls with vectors"));
        }
        let fields: Option<Vec<String>> =
            match request.with_payload.and_then(|with| with.selector_options) {
                None | Some(SelectorOptions::Enable(false)) => Some(Vec::new()),
                Some(SelectorOptions::Enable(true)) => None,
                Some(SelectorOptions::Include(include)) => Some(include.fields),
                Some(_) => return Err(unsupported("payload selectors other than include")),
            };
        let from = match &request.offset {
            Some(offset) => Some(point_id(Some(offset))?.0),
            None => None,
        };
        let limit = request.limit.unwrap_or(10) as usize;
        if limit == 0 {
            return Err(Status::invalid_argument("a scroll's limit is at least 1"));
        }
        let filter = request.filter.unwrap_or_default();
        let mut page = self.with_collection(&request.collection_name, |collection| {
            let mut page = Vec::new();
            let start = from.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Included);
            for (key, point) in collection.points.range((start, std::ops::Bound::Unbounded)) {
                if page.len() > limit {
                    break;
                }
                if !matches(&filter, key, point)? {
                    continue;
                }
                let payload = match &fields {
                    None => point.payload.clone(),
                    Some(fields) => fields
                        .iter()
                        .filter_map(|field| {
                            Some((field.clone(), point.payload.get(field)?.clone()))
                        })
                        .collect(),
                };
                page.push(qdrant::RetrievedPoint {
                    id: Some(point.id.clone()),
                    payload,
                    ..Default::default()
                });
            }
            Ok(page)
        })?;
        let next_page_offset = (page.len() > limit)
            .then(|| page.pop().and_then(|point| point.id))
            .flatten();
        Ok(qdrant::ScrollResponse {
            next_page_offset,
            result: page,
            ..Default::default()
        })
    }

    fn update_vectors(
        &self,
        request: qdrant::UpdatePointVectors,
    ) -> Result<qdrant::PointsOperationResponse, Status> {
        if request.update_filter.is_some() {
            return Err(unsupported("conditional vector updates"));
        }
        self.with_collection(&request.collection_name, |collection| {
            for update in request.points {
                let (key, _) = point_id(update.id.as_ref())?;
                let Some(VectorsOptions::Vectors(named)) =
                    update.vectors.and_then(|v| v.vectors_options)
                else {
                    return Err(unsupported("vector updates without named vectors"));
                };
                let point = collection
                    .points
                    .get_mut(&key)
                    .ok_or_else(|| Status::not_found(format!("no point {key}")))?;
                for (name, vector) in named.vectors {
                    point.vectors.insert(name, stored_vector(vector.vector)?);
                }
            }
            Ok(collection.updated())
        })
    }

    fn query_points(&self, request: qdrant::QueryPoints) -> Result<qdrant::QueryResponse, Status> {
        if !request.prefetch.is_empty()
            || request.lookup_from.is_some()
            || request.offset.is_some()
            || request.score_threshold.is_some()
        {
            return Err(unsupported(
                "prefetch, lookup_from, offset or score_threshold",
            ));
        }
        let input = match request.query.and_then(|query| query.variant) {
            Some(query::Variant::Nearest(input)) => input.variant,
            _ => return Err(unsupported("queries other than nearest")),
        };
        let query = match input {
            Some(vector_input::Variant::Dense(dense)) => Vector::Dense(dense.data),
            Some(vector_input::Variant::Sparse(sparse)) => {
                Vector::Sparse(sparse.indices.into_iter().zip(sparse.values).collect())
            }
            _ => return Err(unsupported("query vectors other than dense and sparse")),
        };
        let with_payload = match request.with_payload.and_then(|with| with.selector_options) {
            None => false,
            Some(SelectorOptions::Enable(enable)) => enable,
            Some(_) => return Err(unsupported("payload selectors")),
        };
        let using = request.using.unwrap_or_default();
        let filter = request.filter.unwrap_or_default();
        let mut result = self.with_collection(&request.collection_name, |collection| {
            let mut hits = Vec::new();
            for (key, point) in &collection.points {
                let score = point
                    .vectors
                    .get(&using)
                    .and_then(|stored| similarity(&query, stored));
                if let Some(score) = score
                    && matches(&filter, key, point)?
                {
                    hits.push(qdrant::ScoredPoint {
                        id: Some(point.id.clone()),
                        payload: if with_payload {
                            point.payload.clone()
                        } else {
                            HashMap::new()
                        },
                        score,
                        ..Default::default()
                    });
                }
            }
            Ok(hits)
        })?;
        result.sort_by(|a, b| b.score.total_cmp(&a.score));
        result.truncate(request.limit.unwrap_or(10) as usize);
        Ok(qdrant::QueryResponse {
            result,
            ..Default::default()
        })
    }
}

/// Implements a generated service trait: the listed methods by the `Store` method named after
/// `=`, every other one with `unimplemented`. Written out by hand, the 45 methods of the three
/// traits would bury the few that do something.
macro_rules! service {
    (
        $service:ident {
            $($method:ident($request:ident) -> $response:ident = $handler:ident;)*
        }
        unimplemented {
            $($missing:ident($missing_request:ident) -> $missing_response:ident;)*
        }
    ) => {
        #[tonic::async_trait]
        impl $service for Store {
            $(
                async fn $method(
                    &self,
                    request: Request<qdrant::$request>,
                ) -> Result<Response<qdrant::$response>, Status> {
                    self.$handler(request.into_inner()).map(Response::new)
                }
            )*
            $(
                async fn $missing(
                    &self,
                    _: Request<qdrant::$missing_request>,
                ) -> Result<Response<qdrant::$missing_response>, Status> {
                    Err(unsupported(stringify!($missing)))
                }
            )*
        }
    };
}

service! {
    Qdrant {
        health_check(HealthCheckRequest) -> HealthCheckReply = health;
    }
    unimplemented {}
}

service! {
    Collections {
        collection_exists(CollectionExistsRequest) -> CollectionExistsResponse = has_collection;
        create(CreateCollection) -> CollectionOperationResponse = create_collection;
    }
    unimplemented {
        get(GetCollectionInfoRequest) -> GetCollectionInfoResponse;
        list(ListCollectionsRequest) -> ListCollectionsResponse;
        update(UpdateCollection) -> CollectionOperationResponse;
        delete(DeleteCollection) -> CollectionOperationResponse;
        update_aliases(ChangeAliases) -> CollectionOperationResponse;
        list_collection_aliases(ListCollectionAliasesRequest) -> ListAliasesResponse;
        list_aliases(ListAliasesRequest) -> ListAliasesResponse;
        collection_cluster_info(CollectionClusterInfoRequest) -> CollectionClusterInfoResponse;
        update_collection_cluster_setup(UpdateCollectionClusterSetupRequest)
            -> UpdateCollectionClusterSetupResponse;
        create_shard_key(CreateShardKeyRequest) -> CreateShardKeyResponse;
        delete_shard_key(DeleteShardKeyRequest) -> DeleteShardKeyResponse;
        list_shard_keys(ListShardKeysRequest) -> ListShardKeysResponse;
    }
}

service! {
    Points {
        upsert(UpsertPoints) -> PointsOperationResponse = upsert_points;
        delete(DeletePoints) -> PointsOperationResponse = delete_points;
        create_field_index(CreateFieldIndexCollection) -> PointsOperationResponse
            = accept_field_index;
        count(CountPoints) -> CountResponse = count_points;
        query(QueryPoints) -> QueryResponse = query_points;
        facet(FacetCounts) -> FacetResponse = facet_points;
        scroll(ScrollPoints) -> ScrollResponse = scroll_points;
        update_vectors(UpdatePointVectors) -> PointsOperationResponse = update_vectors;
    }
    unimplemented {
        get(GetPoints) -> GetResponse;
        delete_vectors(DeletePointVectors) -> PointsOperationResponse;
        set_payload(SetPayloadPoints) -> PointsOperationResponse;
        overwrite_payload(SetPayloadPoints) -> PointsOperationResponse;
        delete_payload(DeletePayloadPoints) -> PointsOperationResponse;
        clear_payload(ClearPayloadPoints) -> PointsOperationResponse;
        delete_field_index(DeleteFieldIndexCollection) -> PointsOperationResponse;
        create_vector_name(CreateVectorNameRequest) -> PointsOperationResponse;
        delete_vector_name(DeleteVectorNameRequest) -> PointsOperationResponse;
        search(SearchPoints) -> SearchResponse;
        search_batch(SearchBatchPoints) -> SearchBatchResponse;
        search_groups(SearchPointGroups) -> SearchGroupsResponse;
        recommend(RecommendPoints) -> RecommendResponse;
        recommend_batch(RecommendBatchPoints) -> RecommendBatchResponse;
        recommend_groups(RecommendPointGroups) -> RecommendGroupsResponse;
        discover(DiscoverPoints) -> DiscoverResponse;
        discover_batch(DiscoverBatchPoints) -> DiscoverBatchResponse;
        update_batch(UpdateBatchPoints) -> UpdateBatchResponse;
        query_batch(QueryBatchPoints) -> QueryBatchResponse;
        query_groups(QueryPointGroups) -> QueryGroupsResponse;
        search_matrix_pairs(SearchMatrixPoints) -> SearchMatrixPairsResponse;
        search_matrix_offsets(SearchMatrixPoints) -> SearchMatrixOffsetsResponse;
    }
}
