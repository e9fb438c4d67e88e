//! The service as its users run it: the binary, started on a free port over a data directory,
//! and an HTTP client with a key.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub struct TestServer {
    child: Child,
    pub url: String,
    pub data_dir: PathBuf,
}

impl TestServer {
    /// Starts `switchboard serve` and waits until it listens.
    pub fn start(data_dir: &Path, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .envs(env.iter().copied())
            .env("SWITCHBOARD_LOG__LEVEL", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("switchboard listening on ") {
                    let _ = sender.send(url.to_string());
                }
            }
        });
        let url = match receiver.recv_timeout(Duration::from_secs(120)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("the server did not start listening");
            }
        };
        TestServer {
            child,
            url,
            data_dir: data_dir.to_path_buf(),
        }
    }

    /// The server's peak resident memory so far (VmHWM), in MB.
    pub fn peak_memory_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let kilobytes = status
            .lines()
            .filter(|line| line.starts_with("VmHWM"))
            .flat_map(str::split_whitespace)
            .find_map(|word| word.parse::<f64>().ok());
        kilobytes.unwrap_or(0.0) / 1024.0
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits for the process to finish shutting down.
    pub fn stop(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `switchboard workspace ARGS... --data-dir DIR`, which must succeed: what it printed.
fn workspace_command(data_dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Vec<u8> {
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("workspace")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// `switchboard workspace create` against the data directory: (workspace id, API key).
pub fn create_workspace(
    data_dir: &Path,
    env: &[(&str, &str)],
    name: &str,
    credits: i64,
) -> (String, String) {
    let credits = credits.to_string();
    let printed = workspace_command(
        data_dir,
        env,
        &["create", name, "--plan", "trial", "--credits", &credits],
    );
    let created: Value = serde_json::from_slice(&printed).unwrap();
    (
        created["workspace"]["id"].as_str().unwrap().to_string(),
        created["api_key"].as_str().unwrap().to_string(),
    )
}

/// `switchboard workspace grant`: adds credits to a workspace.
pub fn grant_credits(data_dir: &Path, env: &[(&str, &str)], workspace: &str, credits: i64) {
    let credits = credits.to_string();
    workspace_command(data_dir, env, &["grant", workspace, "--credits", &credits]);
}

/// A caller of the API with one credential.
#[derive(Clone)]
pub struct Api {
    pub url: String,
    pub key: String,
    pub client: reqwest::Client,
}

impl Api {
    pub fn new(server: &TestServer, key: &str) -> Self {
        Api {
            url: server.url.clone(),
            key: key.to_string(),
            client: reqwest::Client::new(),
        }
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.key)
    }

    /// (status, JSON body; Null when the body is not JSON).
    pub async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Makes a team; its id.
    pub async fn create_team(&self, name: &str) -> String {
        let (status, team) = self.post("/v1/teams", json!({ "name": name })).await;
        assert_eq!(status, 201, "{team}");
        team["id"].as_str().unwrap().to_string()
    }

    /// A conversation's messages, oldest first.
    pub async fn messages(&self, conversation: &str) -> Vec<Value> {
        let (status, body) = self
            .get(&format!("/v1/conversations/{conversation}/messages"))
            .await;
        assert_eq!(status, 200, "{body}");
        body.as_array().unwrap().clone()
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.request(reqwest::Method::POST, path).json(&body))
            .await
    }

    /// Sends a customer message to an agent: (status, the turn or the error).
    pub async fn ask(&self, agent: &str, message: &str) -> (u16, Value) {
        self.post(
            &format!("/v1/agents/{agent}/messages"),
            json!({ "message": message }),
        )
        .await
    }

    /// A POST whose answer is an event stream: the stream's whole text.
    pub async fn events(&self, path: &str, body: Value) -> String {
        self.request(reqwest::Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.request(reqwest::Method::PUT, path).json(&body))
            .await
    }

    pub async fn delete(&self, path: &str) -> u16 {
        self.send(self.request(reqwest::Method::DELETE, path))
            .await
            .0
    }

    pub async fn upload(&self, path: &str, name: &str, bytes: Vec<u8>) -> (u16, Value) {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
        self.send(self.request(reqwest::Method::POST, path).multipart(form))
            .await
    }

    pub async fn replace(&self, source: &str, name: &str, bytes: Vec<u8>) -> (u16, Value) {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
        self.send(
            self.request(reqwest::Method::PUT, &format!("/v1/sources/{source}/file"))
                .multipart(form),
        )
        .await
    }

    /// A new staff member of the workspace in `team`, signed in: their id and their API.
    pub async fn staff_member(&self, email: &str, team: &str) -> (String, Api) {
        let (status, user) = self
            .post(
                "/v1/users",
                json!({ "email": email, "password": "a long password", "role": "staff", "team_id": team }),
            )
            .await;
        assert_eq!(status, 201, "{user}");
        let (status, session) = self
            .post(
                "/v1/sessions",
                json!({ "email": email, "password": "a long password" }),
            )
            .await;
        assert_eq!(status, 200, "{session}");
        let signed_in = Api {
            url: self.url.clone(),
            key: session["token"].as_str().unwrap().to_string(),
            client: reqwest::Client::new(),
        };
        (user["id"].as_str().unwrap().to_string(), signed_in)
    }

    pub async fn create_knowledge_base(&self, name: &str) -> String {
        let (status, body) = self
            .post("/v1/knowledge-bases", json!({ "name": name }))
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    /// A knowledge base holding `text` as `delivery.txt`, ready, and a support agent over it:
    /// the agent's id.
    pub async fn agent_answering(&self, text: &str) -> String {
        let knowledge_base = self.create_knowledge_base("faq").await;
        let (status, body) = self
            .upload(
                &format!("/v1/knowledge-bases/{knowledge_base}/sources"),
                "delivery.txt",
                text.as_bytes().to_vec(),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        self.wait_until_ready(&knowledge_base).await;
        let config =
            serde_json::to_value(agentflow::AgentConfig::default_support(&knowledge_base)).unwrap();
        let (status, agent) = self.post("/v1/agents", config).await;
        assert_eq!(status, 201, "{agent}");
        agent["id"].as_str().unwrap().to_string()
    }

    /// Waits until every source of the knowledge base is ready (or one failed: a panic).
    pub async fn wait_until_ready(&self, knowledge_base: &str) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let (status, sources) = self
                .get(&format!("/v1/knowledge-bases/{knowledge_base}/sources"))
                .await;
            assert_eq!(status, 200, "{sources}");
            let sources = sources.as_array().unwrap().clone();
            if let Some(failed) = sources.iter().find(|source| source["status"] == "failed") {
                panic!("a source failed: {failed}");
            }
            if sources.iter().all(|source| source["status"] == "ready") {
                return sources;
            }
            assert!(
                started.elapsed() < Duration::from_secs(600),
                "not ready after 10 minutes: {sources:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
