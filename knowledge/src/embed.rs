//! Dense embeddings with fastembed over a local ONNX model, no network at run time.
//!
//! The default model is multilingual-e5-small (Arabic, English, and questions in one language
//! finding passages in the other), converted by `scripts/setup.sh`; all-MiniLM-L6-v2 (English
//! only) is the other model it sets up. A model folder says, in sentence-transformers' files,
//! what it puts before a question and a passage (e5: `query: ` and `passage: `; MiniLM:
//! nothing) and how many tokens it reads (e5 512, MiniLM 256). Batches are formed from texts of similar length
//! and bounded in tokens, so padding is small and memory stays flat.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use fastembed::{
    EmbeddingModel, InitOptionsUserDefined, Pooling, TextEmbedding, TextInitOptions,
    TokenizerFiles, UserDefinedEmbeddingModel,
};

pub const SETUP_COMMAND: &str = "scripts/setup.sh";
/// The default model. `multilingual-e5-small-int8`, also written by the setup, has its matrix
/// products in int8: faster, and less accurate on SciFact (docs/benchmarks.md).
pub const DEFAULT_MODEL: &str = "multilingual-e5-small";
const ORT_VERSION: &str = "1.24.4";

/// Where the model and ONNX Runtime are, and how hard to work.
#[derive(Debug, Clone)]
pub struct EmbedderConfig {
    /// A folder with model.onnx, tokenizer.json, config.json, special_tokens_map.json and
    /// tokenizer_config.json.
    pub model_dir: PathBuf,
    /// ONNX Runtime's shared library (1.24 or newer).
    pub runtime_library: PathBuf,
    pub threads: usize,
    /// Padded tokens per batch (texts x longest text): bounds the memory of one run.
    pub max_batch_tokens: usize,
    pub max_batch_texts: usize,
    /// Tokens per text the model sees; longer texts are truncated.
    pub max_length: usize,
    /// A model fastembed knows by name (`BAAI/bge-small-en-v1.5`), fetched from the model hub
    /// into `model_dir` on first use; set when `SWITCHBOARD_MODEL` names one that is not one of
    /// the models `scripts/setup.sh` installs.
    pub hub_model: Option<String>,
    /// Knowledge sentences kept embedded between turns ([`Embedder::embed_sentences`]); 0 keeps
    /// none. 16,384 vectors of 384 floats are about 25 MB.
    pub sentence_cache: usize,
}

impl EmbedderConfig {
    /// The layout `scripts/setup.sh` writes, under `SWITCHBOARD_CACHE` or `~/.cache/switchboard`:
    /// the model named by `SWITCHBOARD_MODEL` (default multilingual-e5-small);
    /// `SWITCHBOARD_MODEL_DIR` and `SWITCHBOARD_ORT_LIB` point elsewhere.
    pub fn from_environment() -> Self {
        let cache = std::env::var_os("SWITCHBOARD_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                std::env::var_os("HOME")
                    .map(PathBuf::from)
                    .unwrap_or_default()
                    .join(".cache/switchboard")
            });
        let model =
            std::env::var("SWITCHBOARD_MODEL").unwrap_or_else(|_| DEFAULT_MODEL.to_string());
        let installed = cache.join("models").join(&model);
        let hub_model = (std::env::var_os("SWITCHBOARD_MODEL_DIR").is_none()
            && !installed.is_dir()
            && hub_model(&model).is_some())
        .then(|| model.clone());
        let model_dir = match (std::env::var_os("SWITCHBOARD_MODEL_DIR"), &hub_model) {
            (Some(dir), _) => PathBuf::from(dir),
            (None, Some(_)) => cache.join("hub"),
            (None, None) => installed,
        };
        let runtime_library = std::env::var_os("SWITCHBOARD_ORT_LIB")
            .map(PathBuf::from)
            .unwrap_or_else(|| cache.join(format!("onnxruntime/{ORT_VERSION}/libonnxruntime.so")));
        EmbedderConfig {
            model_dir,
            runtime_library,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_batch_tokens: 8192,
            max_batch_texts: 32,
            max_length: 512,
            hub_model,
            sentence_cache: 16_384,
        }
    }

    /// Whether the files are there; tests use it to skip with a reason when setup has not run.
    pub fn is_installed(&self) -> bool {
        self.runtime_library.is_file()
            && self.hub_model.is_none()
            && self.model_dir.join("model.onnx").is_file()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("ONNX Runtime not found at {0}: run {SETUP_COMMAND}")]
    RuntimeMissing(PathBuf),
    #[error("could not load ONNX Runtime from {path}: {reason}")]
    RuntimeUnusable { path: PathBuf, reason: String },
    #[error("embedding model file {0} not found: run {SETUP_COMMAND}")]
    ModelMissing(PathBuf),
    #[error("embedding model in {dir}: {reason}")]
    ModelUnusable { dir: PathBuf, reason: String },
    #[error(
        "embedding model {model} is not installed here and could not be fetched from the model hub ({reason}); offline, run {SETUP_COMMAND} and choose multilingual-e5-small, multilingual-e5-small-int8 or all-minilm-l6-v2"
    )]
    Hub { model: String, reason: String },
    #[error("embedding failed: {0}")]
    Inference(String),
    /// The caller asked to stop (`Embedder::embed_bulk`).
    #[error("embedding was stopped")]
    Stopped,
}

/// An error and what caused it, outermost first.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// The model fastembed knows by this name, in any case: its hub code
/// (`Xenova/bge-small-en-v1.5`), its fastembed name (`BGESmallENV15`), or the name after the
/// organisation (`BAAI/bge-small-en-v1.5` and `bge-small-en-v1.5` find the ONNX export).
pub fn hub_model(name: &str) -> Option<EmbeddingModel> {
    let models = TextEmbedding::list_supported_models();
    let last = |code: &str| code.rsplit('/').next().unwrap_or(code).to_ascii_lowercase();
    models
        .iter()
        .find(|info| {
            info.model_code.eq_ignore_ascii_case(name)
                || format!("{:?}", info.model).eq_ignore_ascii_case(name)
        })
        .or_else(|| {
            models
                .iter()
                .find(|info| last(&info.model_code) == last(name))
        })
        .map(|info| info.model.clone())
}

/// Whether a text is asked or stored: e5 embeds the two differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRole {
    Query,
    Passage,
}

/// What the model wants before a question and before a passage
/// (`config_sentence_transformers.json`, `prompts`); nothing when the file does not say.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
struct Prompts {
    #[serde(default)]
    query: String,
    #[serde(default)]
    passage: String,
}

impl Prompts {
    fn prefix(&self, role: TextRole) -> &str {
        match role {
            TextRole::Query => &self.query,
            TextRole::Passage => &self.passage,
        }
    }
}

pub struct Embedder {
    /// What an index built with this model records.
    name: String,
    model: Model,
    /// Interactive embeddings waiting for the model: bulk batches wait for them to go first.
    interactive_waiting: AtomicUsize,
    /// Texts the model has embedded since it was loaded.
    embedded: AtomicUsize,
    sentences: Mutex<SentenceCache>,
    tokenizer: tokenizers::Tokenizer,
    config: EmbedderConfig,
    dimension: usize,
    prompts: Prompts,
}

/// The most texts, and tokens, of one bulk batch: about a quarter of the default interactive
/// batch, so that interactive work waits a fraction of a second on two cores.
const BULK_BATCH_TEXTS: usize = 8;
const BULK_BATCH_TOKENS: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Priority {
    Interactive,
    Bulk,
}

enum Model {
    Onnx(Box<Mutex<TextEmbedding>>),
    /// Feature hashing of the words: deterministic and free, with no sense of meaning. For
    /// tests that exercise the service rather than retrieval (`Embedder::deterministic`).
    Hashed,
}

/// The name an index built by the deterministic embedder records.
pub const DETERMINISTIC_MODEL: &str = "deterministic-hashing";

/// A whitespace tokenizer with no vocabulary: every word one token, so chunks are sized in
/// words.
const WORD_TOKENIZER: &str = r#"{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,"pre_tokenizer":{"type":"Whitespace"},"post_processor":null,"decoder":null,"model":{"type":"WordLevel","vocab":{"[UNK]":0},"unk_token":"[UNK]"}}"#;

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("model_dir", &self.config.model_dir)
            .finish_non_exhaustive()
    }
}

/// ONNX Runtime is loaded, and its environment made, once per process; every model shares it.
static RUNTIME: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();

fn load_runtime(path: &Path) -> Result<ort::environment::Environment, EmbedError> {
    if !path.is_file() {
        return Err(EmbedError::RuntimeMissing(path.to_path_buf()));
    }
    RUNTIME
        .get_or_init(|| {
            let builder = ort::init_from(path).map_err(|error| error.to_string())?;
            builder.build().map_err(|error| error.to_string())
        })
        .clone()
        .map_err(|reason| EmbedError::RuntimeUnusable {
            path: path.to_path_buf(),
            reason,
        })
}

fn read(dir: &Path, name: &str) -> Result<Vec<u8>, EmbedError> {
    let path = dir.join(name);
    std::fs::read(&path).map_err(|_| EmbedError::ModelMissing(path))
}

impl Embedder {
    pub fn load(mut config: EmbedderConfig) -> Result<Self, EmbedError> {
        let environment = load_runtime(&config.runtime_library)?;
        if let Some(name) = config.hub_model.clone() {
            return Self::load_from_hub(config, &name, environment);
        }
        let dir = &config.model_dir.clone();
        let unusable = |reason: String| EmbedError::ModelUnusable {
            dir: dir.clone(),
            reason,
        };
        let tokenizer_file = read(dir, "tokenizer.json")?;
        let files = TokenizerFiles {
            tokenizer_file: tokenizer_file.clone(),
            config_file: read(dir, "config.json")?,
            special_tokens_map_file: read(dir, "special_tokens_map.json")?,
            tokenizer_config_file: read(dir, "tokenizer_config.json")?,
        };
        let dimension = serde_json::from_slice::<serde_json::Value>(&files.config_file)
            .ok()
            .and_then(|config| config["hidden_size"].as_u64())
            .ok_or_else(|| unusable("config.json has no hidden_size".into()))?
            as usize;
        let optional = |name: &str| -> Option<serde_json::Value> {
            serde_json::from_slice(&std::fs::read(dir.join(name)).ok()?).ok()
        };
        let prompts: Prompts = optional("config_sentence_transformers.json")
            .and_then(|config| serde_json::from_value(config["prompts"].clone()).ok())
            .unwrap_or_default();
        if let Some(length) = optional("sentence_bert_config.json")
            .and_then(|config| config["max_seq_length"].as_u64())
        {
            config.max_length = config.max_length.min(length as usize);
        }
        let model = UserDefinedEmbeddingModel::new(read(dir, "model.onnx")?, files)
            .with_pooling(Pooling::Mean);
        let options = InitOptionsUserDefined::new()
            .with_environment(environment)
            .with_max_length(config.max_length)
            .with_intra_threads(config.threads);
        let model = TextEmbedding::try_new_from_user_defined(model, options)
            .map_err(|error| unusable(error.to_string()))?;
        let tokenizer = tokenizers::Tokenizer::from_bytes(&tokenizer_file)
            .map_err(|error| unusable(error.to_string()))?;
        Ok(Embedder {
            name: config
                .model_dir
                .file_name()
                .map_or_else(String::new, |name| name.to_string_lossy().into_owned()),
            model: Model::Onnx(Box::new(Mutex::new(model))),
            interactive_waiting: AtomicUsize::new(0),
            embedded: AtomicUsize::new(0),
            sentences: Mutex::new(SentenceCache::new(config.sentence_cache)),
            tokenizer,
            config,
            dimension,
            prompts,
        })
    }

    /// An embedder that needs no model: each word hashed to a signed position of a vector of
    /// `dimension`, normalised. The same text always gives the same vector and shared words
    /// make texts close, but meaning does not: for tests of everything around retrieval.
    pub fn deterministic(dimension: usize) -> Self {
        let tokenizer = tokenizers::Tokenizer::from_bytes(WORD_TOKENIZER.as_bytes())
            .unwrap_or_else(|error| unreachable!("the built-in word tokenizer parses: {error}"));
        Embedder {
            name: DETERMINISTIC_MODEL.to_string(),
            model: Model::Hashed,
            interactive_waiting: AtomicUsize::new(0),
            embedded: AtomicUsize::new(0),
            sentences: Mutex::new(SentenceCache::new(0)),
            tokenizer,
            config: EmbedderConfig::from_environment(),
            dimension: dimension.max(1),
            prompts: Prompts::default(),
        }
    }

    /// The model's folder name, or its hub code: what an index built with it records.
    pub fn model_name(&self) -> String {
        self.name.clone()
    }

    /// A model fastembed fetches from the hub by name (and keeps in `config.model_dir`).
    fn load_from_hub(
        config: EmbedderConfig,
        name: &str,
        environment: ort::environment::Environment,
    ) -> Result<Self, EmbedError> {
        let unknown = || EmbedError::Hub {
            model: name.to_string(),
            reason: "fastembed does not know this model".into(),
        };
        let model = hub_model(name).ok_or_else(unknown)?;
        let info = TextEmbedding::get_model_info(&model).map_err(|_| unknown())?;
        let (code, dimension) = (info.model_code.clone(), info.dim);
        let options = TextInitOptions::new(model)
            .with_cache_dir(config.model_dir.clone())
            .with_environment(environment)
            .with_max_length(config.max_length)
            .with_intra_threads(config.threads)
            .with_show_download_progress(false);
        let model = TextEmbedding::try_new(options).map_err(|error| EmbedError::Hub {
            model: code.clone(),
            reason: with_causes(&error),
        })?;
        // The e5 family reads what it is given after a prefix saying which it is.
        let prompts = if code.contains("e5") {
            Prompts {
                query: "query: ".into(),
                passage: "passage: ".into(),
            }
        } else {
            Prompts::default()
        };
        Ok(Embedder {
            name: code,
            tokenizer: model.tokenizer.clone(),
            model: Model::Onnx(Box::new(Mutex::new(model))),
            interactive_waiting: AtomicUsize::new(0),
            embedded: AtomicUsize::new(0),
            sentences: Mutex::new(SentenceCache::new(config.sentence_cache)),
            config,
            dimension,
            prompts,
        })
    }

    /// How many texts the model has embedded since it was loaded: what a turn or an
    /// ingestion cost in model runs.
    pub fn texts_embedded(&self) -> usize {
        self.embedded.load(Ordering::Relaxed)
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// The model's tokenizer, for sizing chunks in its tokens.
    pub fn tokenizer(&self) -> &tokenizers::Tokenizer {
        &self.tokenizer
    }

    pub fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let mut vectors = self.embed(&[text], TextRole::Query, &mut |_| {})?;
        vectors
            .pop()
            .ok_or_else(|| EmbedError::Inference("no vector returned".into()))
    }

    /// Embeds texts in their order, reporting how many are done as batches finish. Texts are
    /// sorted by length into batches bounded by `max_batch_tokens`, then put back in order.
    ///
    /// This is the interactive path (questions, the sentences a turn checks, an agent's
    /// curated questions): it takes the model ahead of bulk work waiting for it.
    pub fn embed<S: AsRef<str>>(
        &self,
        texts: &[S],
        role: TextRole,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed_batches(texts, role, Priority::Interactive, &mut |done| {
            progress(done);
            ControlFlow::Continue(())
        })
    }

    /// Bulk embedding (ingestion): the model is taken one batch at a time and left to
    /// interactive work waiting for it, so a customer's question waits for at most one batch
    /// of an upload, not all of it. Stops with [`EmbedError::Stopped`] between two batches
    /// when `progress` answers `Break`.
    pub fn embed_bulk<S: AsRef<str>>(
        &self,
        texts: &[S],
        role: TextRole,
        progress: &mut dyn FnMut(usize) -> ControlFlow<()>,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed_batches(texts, role, Priority::Bulk, progress)
    }

    fn embed_batches<S: AsRef<str>>(
        &self,
        texts: &[S],
        role: TextRole,
        priority: Priority,
        progress: &mut dyn FnMut(usize) -> ControlFlow<()>,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let prefixed: Vec<String> = texts
            .iter()
            .map(|text| format!("{}{}", self.prompts.prefix(role), text.as_ref()))
            .collect();
        let lengths: Vec<usize> = prefixed
            .iter()
            .map(|text| {
                self.tokenizer
                    .encode(text.as_str(), true)
                    .map_or(text.len() / 3, |encoding| encoding.len())
            })
            .map(|length| length.min(self.config.max_length))
            .collect();
        let mut order: Vec<usize> = (0..prefixed.len()).collect();
        order.sort_by_key(|&index| lengths[index]);
        let mut vectors: Vec<Option<Vec<f32>>> = vec![None; prefixed.len()];
        // Bulk batches are small: a question waiting for the model waits for one of them.
        let (batch_texts, batch_tokens) = match priority {
            Priority::Interactive => (self.config.max_batch_texts, self.config.max_batch_tokens),
            Priority::Bulk => (
                self.config.max_batch_texts.min(BULK_BATCH_TEXTS),
                self.config.max_batch_tokens.min(BULK_BATCH_TOKENS),
            ),
        };
        let mut done = 0;
        let mut start = 0;
        while start < order.len() {
            let mut end = start + 1;
            while end < order.len()
                && end - start < batch_texts
                && (end - start + 1) * lengths[order[end]] <= batch_tokens
            {
                end += 1;
            }
            let batch: Vec<&str> = order[start..end]
                .iter()
                .map(|&index| prefixed[index].as_str())
                .collect();
            let embedded = match &self.model {
                Model::Onnx(model) => self
                    .take(model, priority)?
                    .embed(&batch, Some(batch.len()))
                    .map_err(|error| EmbedError::Inference(error.to_string()))?,
                Model::Hashed => batch
                    .iter()
                    .map(|text| hashed(text, self.dimension))
                    .collect(),
            };
            for (&index, vector) in order[start..end].iter().zip(embedded) {
                vectors[index] = Some(vector);
            }
            done += end - start;
            self.embedded.fetch_add(end - start, Ordering::Relaxed);
            if progress(done).is_break() {
                return Err(EmbedError::Stopped);
            }
            start = end;
        }
        vectors
            .into_iter()
            .map(|vector| {
                vector.ok_or_else(|| EmbedError::Inference("a text was not embedded".into()))
            })
            .collect()
    }
}

impl Embedder {
    /// The model session for one batch. Bulk work lets interactive work that is waiting go
    /// first; interactive work says it is waiting while it waits.
    fn take<'a>(
        &self,
        model: &'a Mutex<TextEmbedding>,
        priority: Priority,
    ) -> Result<std::sync::MutexGuard<'a, TextEmbedding>, EmbedError> {
        let poisoned = |_| EmbedError::Inference("the model lock was poisoned".into());
        match priority {
            Priority::Bulk => {
                while self.interactive_waiting.load(Ordering::Acquire) > 0 {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                model.lock().map_err(poisoned)
            }
            Priority::Interactive => {
                self.interactive_waiting.fetch_add(1, Ordering::AcqRel);
                let taken = model.lock().map_err(poisoned);
                self.interactive_waiting.fetch_sub(1, Ordering::AcqRel);
                taken
            }
        }
    }

    /// Embeds sentences of the knowledge, keeping their vectors in a bounded cache: the same
    /// few hundred sentences of a business's knowledge come back turn after turn, and
    /// embedding them dominated a turn's cost. Those of retrieved passages are usually there
    /// already, read from the index ([`Embedder::remember_sentences`]). Statements are
    /// embedded as passages; the knowledge's own questions (an FAQ's) as queries, to be
    /// compared with a customer's.
    pub fn embed_sentences<S: AsRef<str>>(
        &self,
        texts: &[S],
        role: TextRole,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let keys: Vec<String> = texts
            .iter()
            .map(|text| cache_key(role, text.as_ref()))
            .collect();
        let mut found: Vec<Option<Vec<f32>>> = match self.sentences.lock() {
            Ok(mut cache) => keys.iter().map(|key| cache.get(key)).collect(),
            Err(_) => vec![None; texts.len()],
        };
        let missing: Vec<usize> = (0..texts.len()).filter(|&i| found[i].is_none()).collect();
        if !missing.is_empty() {
            let wanted: Vec<&str> = missing.iter().map(|&i| texts[i].as_ref()).collect();
            let vectors = self.embed(&wanted, role, &mut |_| {})?;
            let mut cache = self.sentences.lock().ok();
            for (&i, vector) in missing.iter().zip(vectors) {
                // As the index stores it: a sentence scores the same embedded here or read there.
                let vector = StoredVector::from(&vector).restored();
                if let Some(cache) = cache.as_mut() {
                    cache.insert(&keys[i], vector.clone());
                }
                found[i] = Some(vector);
            }
        }
        Ok(found.into_iter().flatten().collect())
    }

    /// The vectors of the knowledge sentences of each of a slice of chunks (role and text), for
    /// storing with the chunks at ingestion ([`StoredSentences`]): a turn then reads them from
    /// the passages it retrieves ([`Embedder::remember_sentences`]) instead of embedding them.
    /// Bulk work, stopped like [`Embedder::embed_bulk`]; `progress` hears how many of how many
    /// sentences are embedded.
    pub fn embed_for_storage(
        &self,
        chunks: &[Vec<(TextRole, String)>],
        progress: &mut dyn FnMut(usize, usize) -> ControlFlow<()>,
    ) -> Result<Vec<StoredSentences>, EmbedError> {
        let mut seen = std::collections::HashSet::new();
        let mut by_role: [(TextRole, Vec<u64>, Vec<&str>); 2] = [
            (TextRole::Query, Vec::new(), Vec::new()),
            (TextRole::Passage, Vec::new(), Vec::new()),
        ];
        for (role, text) in chunks.iter().flatten() {
            let key = sentence_key(*role, text);
            if seen.insert(key) {
                let (_, keys, texts) = by_role
                    .iter_mut()
                    .find(|(r, _, _)| r == role)
                    .expect("both roles are listed");
                keys.push(key);
                texts.push(text.as_str());
            }
        }
        let total = seen.len();
        let mut before = 0;
        let mut vectors: HashMap<u64, StoredVector> = HashMap::new();
        for (role, keys, texts) in by_role {
            let embedded =
                self.embed_bulk(&texts, role, &mut |done| progress(before + done, total))?;
            before += texts.len();
            for (key, vector) in keys.into_iter().zip(embedded) {
                vectors.insert(key, StoredVector::from(&vector));
            }
        }
        Ok(chunks
            .iter()
            .map(|sentences| {
                StoredSentences::of(sentences.iter().filter_map(|(role, text)| {
                    let key = sentence_key(*role, text);
                    vectors.get(&key).map(|vector| (key, vector))
                }))
            })
            .collect())
    }

    /// Keeps the sentence vectors stored with a retrieved passage in the sentence cache, where
    /// [`Embedder::embed_sentences`] finds them: each of the passage's `sentences` (role and
    /// text, cut as at ingestion) under its own text, so that the cache, shared by every
    /// workspace, only ever holds a text's own vector whatever another text's hash. Vectors of
    /// another dimension (a knowledge base embedded by another model) are left out.
    pub fn remember_sentences(&self, sentences: &[(TextRole, String)], stored: &StoredSentences) {
        let vectors: HashMap<u64, Vec<f32>> = stored.vectors(self.dimension).into_iter().collect();
        if vectors.is_empty() {
            return;
        }
        let Ok(mut cache) = self.sentences.lock() else {
            return;
        };
        for (role, text) in sentences {
            if let Some(vector) = vectors.get(&sentence_key(*role, text)) {
                cache.insert(&cache_key(*role, text), vector.clone());
            }
        }
    }
}

/// A sentence's key in the cache: its text, after a mark for a question.
fn cache_key(role: TextRole, text: &str) -> String {
    match role {
        TextRole::Passage => text.to_string(),
        TextRole::Query => format!("query\u{1f}{text}"),
    }
}

/// A knowledge sentence's key among the vectors stored with its chunk: FNV-1a of its role and
/// text, the same in every process and build.
pub fn sentence_key(role: TextRole, text: &str) -> u64 {
    let tag: &[u8] = match role {
        TextRole::Query => b"query\x1f",
        TextRole::Passage => b"passage\x1f",
    };
    fnv1a(tag.iter().copied().chain(text.bytes()))
}

fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes
        .into_iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// A vector in int8 with one scale: a quarter of its size, its cosines with others within
/// about a thousandth of the original's.
#[derive(Debug, Clone, PartialEq)]
struct StoredVector {
    scale: f32,
    components: Vec<i8>,
}

impl StoredVector {
    fn from(vector: &[f32]) -> Self {
        let largest = vector
            .iter()
            .fold(0.0f32, |largest, x| largest.max(x.abs()));
        let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
        StoredVector {
            scale,
            components: vector
                .iter()
                .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8)
                .collect(),
        }
    }

    fn restored(&self) -> Vec<f32> {
        self.components
            .iter()
            .map(|&x| f32::from(x) * self.scale)
            .collect()
    }
}

/// The sentence vectors stored with a chunk, as one base64 text in its payload: for each
/// sentence its key ([`sentence_key`]), 8 bytes, its scale, 4, and its int8 components.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredSentences(String);

impl StoredSentences {
    fn of<'v>(vectors: impl Iterator<Item = (u64, &'v StoredVector)>) -> Self {
        use base64::Engine as _;
        let mut bytes = Vec::new();
        for (key, vector) in vectors {
            bytes.extend(key.to_le_bytes());
            bytes.extend(vector.scale.to_le_bytes());
            bytes.extend(vector.components.iter().map(|&x| x as u8));
        }
        if bytes.is_empty() {
            return StoredSentences::default();
        }
        StoredSentences(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    fn bytes(&self) -> Vec<u8> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(&self.0)
            .unwrap_or_default()
    }

    /// The stored (key, vector) pairs of `dimension` components; none when the text does not
    /// hold a whole number of them.
    fn vectors(&self, dimension: usize) -> Vec<(u64, Vec<f32>)> {
        let bytes = self.bytes();
        let record = 12 + dimension;
        if dimension == 0 || !bytes.len().is_multiple_of(record) {
            return Vec::new();
        }
        // A scale that is not a finite number would make every cosine with the vector NaN.
        bytes
            .chunks_exact(record)
            .map(|record| {
                let key = u64::from_le_bytes(record[..8].try_into().expect("8 bytes"));
                let scale = f32::from_le_bytes(record[8..12].try_into().expect("4 bytes"));
                let components = record[12..].iter().map(|&x| x as i8).collect();
                (key, scale, components)
            })
            .filter(|(_, scale, _)| scale.is_finite())
            .map(|(key, scale, components)| (key, StoredVector { scale, components }.restored()))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl serde::Serialize for StoredSentences {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for StoredSentences {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Written by no version as null, but a payload edited by hand must not fail a search.
        Option::<String>::deserialize(deserializer)
            .map(|text| StoredSentences(text.unwrap_or_default()))
    }
}

/// A bounded cache with two generations: lookups promote from the older one, and when the
/// newer one fills, the older is dropped. Close to least-recently-used at O(1) a step.
struct SentenceCache {
    capacity: usize,
    newer: HashMap<String, Vec<f32>>,
    older: HashMap<String, Vec<f32>>,
}

impl SentenceCache {
    fn new(capacity: usize) -> Self {
        SentenceCache {
            capacity,
            newer: HashMap::new(),
            older: HashMap::new(),
        }
    }

    fn get(&mut self, key: &str) -> Option<Vec<f32>> {
        if let Some(vector) = self.newer.get(key) {
            return Some(vector.clone());
        }
        let vector = self.older.remove(key)?;
        self.insert(key, vector.clone());
        Some(vector)
    }

    fn insert(&mut self, key: &str, vector: Vec<f32>) {
        if self.capacity == 0 {
            return;
        }
        if self.newer.len() >= self.capacity.div_ceil(2) {
            self.older = std::mem::take(&mut self.newer);
        }
        self.newer.insert(key.to_string(), vector);
    }
}

/// The deterministic embedder's vector: FNV-1a of each lower-cased word picks a position and
/// a sign.
fn hashed(text: &str, dimension: usize) -> Vec<f32> {
    let mut vector = vec![0.0f32; dimension];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
    {
        let hash = fnv1a(word.to_lowercase().bytes());
        let position = (hash % dimension as u64) as usize;
        vector[position] += if hash >> 63 == 0 { 1.0 } else { -1.0 };
    }
    let norm = vector.iter().map(|value| value * value).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|value| *value /= norm);
    }
    vector
}

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    dot / (norm(a) * norm(b))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The real model, or `None` with a printed reason. CI sets SWITCHBOARD_REQUIRE_MODEL so a
    /// missing model fails there instead of skipping.
    pub(crate) fn embedder() -> Option<&'static Embedder> {
        static EMBEDDER: OnceLock<Option<Embedder>> = OnceLock::new();
        EMBEDDER
            .get_or_init(|| {
                let config = EmbedderConfig::from_environment();
                if !config.is_installed() && std::env::var_os("SWITCHBOARD_REQUIRE_MODEL").is_none()
                {
                    println!("skipped: embedding model not installed ({SETUP_COMMAND})");
                    return None;
                }
                Some(Embedder::load(config).expect("the embedding model loads"))
            })
            .as_ref()
    }

    #[test]
    fn the_deterministic_embedder_needs_no_model_and_repeats_itself() {
        let embedder = Embedder::deterministic(64);
        let vectors = embedder
            .embed(
                &["Delivery is free", "delivery is FREE", "التوصيل مجاني"],
                TextRole::Passage,
                &mut |_| {},
            )
            .unwrap();
        assert_eq!(vectors[0].len(), 64);
        assert!((cosine(&vectors[0], &vectors[1]) - 1.0).abs() < 1e-6);
        assert!(cosine(&vectors[0], &vectors[2]) < 0.9);
        let words = embedder.tokenizer().encode("one two three", false).unwrap();
        assert_eq!(words.len(), 3, "chunks are sized in words");
        assert_eq!(embedder.model_name(), DETERMINISTIC_MODEL);
    }

    #[test]
    fn hub_models_are_found_by_code_or_fastembed_name() {
        let bge = hub_model("Xenova/bge-small-en-v1.5").unwrap();
        assert_eq!(hub_model("BAAI/bge-small-en-v1.5"), Some(bge.clone()));
        assert_eq!(hub_model("bgesmallenv15"), Some(bge));
        assert!(hub_model("intfloat/multilingual-e5-small").is_some());
        assert!(hub_model("multilingual-e5-small-int8").is_none());
        assert!(hub_model("no-such-model").is_none());
    }

    #[test]
    fn a_hub_model_that_cannot_be_fetched_names_itself_and_the_offline_way() {
        let installed = EmbedderConfig::from_environment();
        if !installed.runtime_library.is_file() {
            println!("skipped: ONNX Runtime not installed ({SETUP_COMMAND})");
            return;
        }
        let hub = tempfile::tempdir().unwrap();
        let config = EmbedderConfig {
            hub_model: Some("BAAI/bge-small-en-v1.5".into()),
            model_dir: hub.path().to_path_buf(),
            ..installed
        };
        assert!(!config.is_installed());
        // This machine reaches no model hub: the error must say what was tried and what works.
        match Embedder::load(config) {
            Err(error @ EmbedError::Hub { .. }) => {
                let message = error.to_string();
                assert!(
                    message.contains("bge-small-en-v1.5") && message.contains(SETUP_COMMAND),
                    "{message}"
                );
            }
            Err(other) => panic!("expected a hub error, got {other}"),
            Ok(embedder) => assert_eq!(embedder.model_name(), "Xenova/bge-small-en-v1.5"),
        }
    }

    #[test]
    fn the_sentence_cache_is_bounded_and_keeps_what_is_used() {
        let mut cache = SentenceCache::new(4);
        for n in 0..4 {
            cache.insert(&format!("s{n}"), vec![n as f32]);
        }
        // s0 and s1 went to the older generation; using s0 brings it back.
        assert_eq!(cache.get("s0"), Some(vec![0.0]));
        for n in 4..6 {
            cache.insert(&format!("s{n}"), vec![n as f32]);
        }
        assert!(cache.newer.len() + cache.older.len() <= 4);
        assert_eq!(cache.get("s5"), Some(vec![5.0]));
        assert_eq!(cache.get("s1"), None, "unused and two generations old");
        let mut off = SentenceCache::new(0);
        off.insert("s", vec![1.0]);
        assert_eq!(off.get("s"), None);
    }

    #[test]
    fn cached_sentences_have_the_vectors_the_model_gives() {
        let Some(embedder) = embedder() else { return };
        let texts = [
            "Delivery is free above 150 AED.",
            "التوصيل مجاني للطلبات الكبيرة.",
        ];
        let direct = embedder
            .embed(&texts, TextRole::Passage, &mut |_| {})
            .unwrap();
        let first = embedder.embed_sentences(&texts, TextRole::Passage).unwrap();
        let again = embedder
            .embed_sentences(&[texts[1], texts[0]], TextRole::Passage)
            .unwrap();
        for (a, b) in direct.iter().zip(&first) {
            assert!(cosine(a, b) > 0.999);
        }
        assert_eq!(again[0], first[1]);
        assert_eq!(again[1], first[0]);
    }

    #[test]
    fn stored_sentence_vectors_come_back_as_a_turn_would_embed_them() {
        let embedder = Embedder::deterministic(16);
        let chunks = vec![
            vec![
                (TextRole::Query, "How much is delivery?".to_string()),
                (TextRole::Passage, "Delivery costs 15 AED.".to_string()),
            ],
            vec![(TextRole::Passage, "Delivery costs 15 AED.".to_string())],
            Vec::new(),
        ];
        let stored = embedder
            .embed_for_storage(&chunks, &mut |_, _| ControlFlow::Continue(()))
            .unwrap();
        assert_eq!(stored.len(), 3);
        assert!(stored[2].is_empty());
        let json = serde_json::to_value(&stored[0]).unwrap();
        let read: StoredSentences = serde_json::from_value(json).unwrap();
        let vectors = read.vectors(16);
        assert_eq!(vectors.len(), 2);
        let expected = [
            embedder.embed_sentences(&["How much is delivery?"], TextRole::Query),
            embedder.embed_sentences(&["Delivery costs 15 AED."], TextRole::Passage),
        ];
        for ((key, vector), expected) in vectors.iter().zip(expected) {
            assert_eq!(vector, &expected.unwrap()[0]);
            assert!(*key != 0);
        }
        assert!(read.vectors(32).is_empty(), "another model's dimension");
        assert!(StoredSentences("not base64!".into()).vectors(16).is_empty());

        // Remembered, they are what embedding finds: the same sentence, another process; only
        // under the texts of the passage they were stored with.
        let mut fresh = Embedder::deterministic(16);
        fresh.sentences = Mutex::new(SentenceCache::new(8));
        fresh.remember_sentences(&chunks[1], &read);
        let mut cache = fresh.sentences.lock().unwrap();
        assert!(cache.get("Delivery costs 15 AED.").is_some());
        assert!(cache.get("query\u{1f}How much is delivery?").is_none());
        drop(cache);
        let null: StoredSentences = serde_json::from_value(serde_json::Value::Null).unwrap();
        assert!(null.is_empty());
    }

    #[test]
    fn a_stored_vector_keeps_its_cosines_within_a_thousandth() {
        let a: Vec<f32> = (0..384)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 400.0)
            .collect();
        let b: Vec<f32> = (0..384)
            .map(|i| ((i * 53 % 97) as f32 - 48.0) / 300.0)
            .collect();
        let restored = StoredVector::from(&a).restored();
        assert!((cosine(&restored, &b) - cosine(&a, &b)).abs() < 1e-3);
        assert!(cosine(&restored, &a) > 0.999);
        assert_eq!(StoredVector::from(&[0.0; 4]).restored(), vec![0.0; 4]);
        let not_a_number = StoredVector {
            scale: f32::NAN,
            components: vec![1; 4],
        };
        let stored = StoredSentences::of([(1, &not_a_number)].into_iter());
        assert!(stored.vectors(4).is_empty());
    }

    #[test]
    fn paraphrases_score_above_unrelated_text_in_arabic_english_and_across() {
        let Some(embedder) = embedder() else { return };
        let pairs = [
            (
                "How long does delivery take?",
                "Shipping usually arrives within two working days.",
                "Our roastery was founded in 2012 by two sisters.",
            ),
            (
                "كم يستغرق التوصيل؟",
                "يصل الشحن عادة خلال يومي عمل.",
                "تأسست محمصتنا عام ٢٠١٢ على يد أختين.",
            ),
            (
                "كم يستغرق التوصيل؟",
                "Shipping usually arrives within two working days.",
                "Our roastery was founded in 2012 by two sisters.",
            ),
            (
                "How long does delivery take?",
                "يصل الشحن عادة خلال يومي عمل.",
                "تأسست محمصتنا عام ٢٠١٢ على يد أختين.",
            ),
        ];
        for (question, paraphrase, unrelated) in pairs {
            let query = embedder.embed_query(question).unwrap();
            let passages = embedder
                .embed(&[paraphrase, unrelated], TextRole::Passage, &mut |_| {})
                .unwrap();
            let (near, far) = (cosine(&query, &passages[0]), cosine(&query, &passages[1]));
            assert!(
                near > far + 0.03,
                "{question:?}: paraphrase {near:.3} vs unrelated {far:.3}"
            );
        }
    }

    #[test]
    fn minilm_ranks_english_paraphrases_first_and_reads_no_prefixes() {
        let mut config = EmbedderConfig::from_environment();
        config.model_dir = config.model_dir.with_file_name("all-minilm-l6-v2");
        if !config.is_installed() {
            assert!(
                std::env::var_os("SWITCHBOARD_REQUIRE_MODEL").is_none(),
                "all-MiniLM-L6-v2 is required here: run {SETUP_COMMAND}"
            );
            println!("skipped: all-MiniLM-L6-v2 not installed ({SETUP_COMMAND})");
            return;
        }
        let minilm = Embedder::load(config).unwrap();
        assert_eq!(minilm.prompts, Prompts::default());
        assert_eq!(minilm.config.max_length, 256);
        assert_eq!(minilm.model_name(), "all-minilm-l6-v2");
        let query = minilm.embed_query("How long does delivery take?").unwrap();
        let passages = minilm
            .embed(
                &[
                    "Shipping usually arrives within two working days.",
                    "Our roastery was founded in 2012 by two sisters.",
                    &"a very long passage ".repeat(200),
                ],
                TextRole::Passage,
                &mut |_| {},
            )
            .unwrap();
        let (near, far) = (cosine(&query, &passages[0]), cosine(&query, &passages[1]));
        assert!(
            near > far + 0.1,
            "paraphrase {near:.3} vs unrelated {far:.3}"
        );
        assert_eq!(
            passages[2].len(),
            384,
            "a text past 256 tokens is truncated, not refused"
        );
    }

    #[test]
    fn e5_reads_its_prefixes_from_the_model_folder() {
        let Some(embedder) = embedder() else { return };
        assert_eq!(embedder.prompts.prefix(TextRole::Query), "query: ");
        assert_eq!(embedder.prompts.prefix(TextRole::Passage), "passage: ");
    }

    #[test]
    fn batching_keeps_order_and_values() {
        let Some(embedder) = embedder() else { return };
        let texts = [
            "short",
            "a much longer passage about refunds, returns and the conditions that apply to them",
            "متوسط الطول",
        ];
        let together = embedder
            .embed(&texts, TextRole::Passage, &mut |_| {})
            .unwrap();
        for (text, vector) in texts.iter().zip(&together) {
            let alone = embedder
                .embed(&[*text], TextRole::Passage, &mut |_| {})
                .unwrap();
            assert!(cosine(&alone[0], vector) > 0.999, "{text}");
            assert_eq!(vector.len(), embedder.dimension());
        }
    }

    #[test]
    fn missing_files_name_the_setup_command() {
        let config = EmbedderConfig {
            runtime_library: PathBuf::from("/nonexistent/libonnxruntime.so"),
            ..EmbedderConfig::from_environment()
        };
        let error = Embedder::load(config).unwrap_err();
        assert!(error.to_string().contains(SETUP_COMMAND), "{error}");
        assert!(error.to_string().contains("/nonexistent/libonnxruntime.so"));
    }
}
