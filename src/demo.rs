//! The demo: a workspace, a bilingual knowledge base of a fictional coffee roaster (shipped in
//! `demo/`), an agent over it and a fresh API key, then a curl line that asks it something.
//! Idempotent: a second start finds the workspace, knowledge base and agent it made before.

use std::sync::Arc;
use std::time::{Duration, Instant};

use agentflow::AgentConfig;
use anyhow::Context;
use records::{NewSource, Page, SourceOrigin, SourceStatus};

use crate::server::AppState;

const WORKSPACE: &str = "demo";
const KNOWLEDGE_BASE: &str = "Qahwa House FAQ";
const AGENT_CONFIG: &str = include_str!("../demo/agent.yaml");
const ACTOR: &str = "system";
const CHAT: &str = "Qahwa House";
const PERSON: &str = "demo@example.com";
const DOCUMENTS: &[(&str, &[u8])] = &[
    (
        "qahwa-house-faq.md",
        include_bytes!("../demo/qahwa-house-faq.md"),
    ),
    (
        "qahwa-house-faq.ar.md",
        include_bytes!("../demo/qahwa-house-faq.ar.md"),
    ),
];

/// Sets the demo up against the running service at `base_url` and prints how to use it.
pub async fn prepare(state: Arc<AppState>, base_url: String) -> anyhow::Result<()> {
    let store = &state.app.store;
    let workspace = match store.workspaces().named(WORKSPACE).await? {
        Some(workspace) => workspace,
        None => {
            store
                .workspaces()
                .create(
                    WORKSPACE,
                    &state.config.credits.plan,
                    state.config.credits.allowance,
                )
                .await?
        }
    };
    let knowledge_bases = store
        .knowledge_bases()
        .list(&workspace.id, &Page::all())
        .await?
        .items;
    let knowledge_base = match knowledge_bases
        .into_iter()
        .find(|knowledge_base| knowledge_base.name == KNOWLEDGE_BASE)
    {
        Some(knowledge_base) => knowledge_base,
        None => {
            let knowledge_base = store
                .knowledge_bases()
                .create(&workspace.id, ACTOR, KNOWLEDGE_BASE)
                .await?;
            for (name, bytes) in DOCUMENTS {
                let checksum = state
                    .app
                    .files
                    .keep_bytes(bytes)
                    .await
                    .with_context(|| format!("keeping {name}"))?;
                state
                    .app
                    .add_source(
                        &workspace.id,
                        ACTOR,
                        &knowledge_base.id,
                        NewSource {
                            name: (*name).to_string(),
                            origin: SourceOrigin::File,
                            location: checksum.clone(),
                            checksum: Some(checksum),
                        },
                    )
                    .await?;
            }
            knowledge_base
        }
    };
    let mut config = AgentConfig::parse("demo/agent.yaml", AGENT_CONFIG)?;
    config.knowledge_base = knowledge_base.id.clone();
    let agents = store
        .agents()
        .list(&workspace.id, &Page::all())
        .await?
        .items;
    let agent = match agents.into_iter().find(|agent| agent.name == config.name) {
        Some(agent) => agent,
        None => {
            let text = serde_json::to_string(&config)?;
            store
                .agents()
                .create(&workspace.id, ACTOR, &config.name, &text)
                .await?
        }
    };
    let chat = demo_chat(&state, &workspace.id, &agent.id).await?;
    let person = demo_person(&state, &workspace.id).await?;
    let key = store
        .api_keys()
        .create(&workspace.id, ACTOR, "demo")
        .await?;
    wait_for_sources(&state, &workspace.id, &knowledge_base.id).await?;
    println!(
        "\nThe demo is ready at {base_url}\n\n  workspace  {workspace}\n  agent      {agent}\n  API key    {key}   (shown once)\n\nAsk it something:\n\n  curl -s {base_url}/v1/agents/{agent}/messages -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' -d '{{\"message\": \"Can I return an opened bag of coffee?\"}}'\n\n  curl -s {base_url}/v1/agents/{agent}/messages -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' -d '{{\"message\": \"متى يفتح المقهى يوم الجمعة؟\"}}'\n\nThe inbox, in the web app (when it is built: scripts/run.sh builds it):\n\n  {base_url}/app/   {person}\n\nChat with it on a page (the web chat widget):\n\n  {base_url}/widget/{chat}/preview\n  {base_url}/widget/{chat}/preview?lang=ar\n\nThe API is described at {base_url}/openapi.json\n",
        workspace = workspace.id,
        agent = agent.id,
        key = key.secret,
    );
    Ok(())
}

async fn wait_for_sources(
    state: &AppState,
    workspace: &str,
    knowledge_base: &str,
) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let sources = state
            .app
            .store
            .sources()
            .list(workspace, knowledge_base)
            .await?;
        if let Some(failed) = sources
            .iter()
            .find(|source| source.status == SourceStatus::Failed)
        {
            anyhow::bail!(
                "the demo document {} failed: {}",
                failed.name,
                failed.error.as_deref().unwrap_or("no error recorded")
            );
        }
        if sources
            .iter()
            .all(|source| source.status == SourceStatus::Ready)
        {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(600) {
            anyhow::bail!("the demo documents were not ingested within 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The demo's web chat widget over its agent (made once): its channel id.
async fn demo_chat(state: &AppState, workspace: &str, agent: &str) -> anyhow::Result<String> {
    let existing = state
        .app
        .store
        .channels()
        .of_kind(workspace, "widget")
        .await?;
    if let Some(chat) = existing.into_iter().find(|chat| chat.name == CHAT) {
        return Ok(chat.id);
    }
    let config = serde_json::json!({ "pre_chat": { "name": "optional" } });
    let created = state
        .app
        .create_channel(
            workspace,
            ACTOR,
            app::ChannelRequest {
                kind: "widget".into(),
                name: CHAT.into(),
                agent_id: Some(agent.to_string()),
                team_id: None,
                config: config.as_object().cloned().unwrap_or_default(),
                routing: inbox::routing::Routing::default(),
            },
        )
        .await?;
    Ok(created.channel.channel.id)
}

/// The demo's admin, to sign in to the web app with (made once): how to sign in.
async fn demo_person(state: &AppState, workspace: &str) -> anyhow::Result<String> {
    let email = records::Email::parse(PERSON)?;
    let password = uuid::Uuid::new_v4().simple().to_string();
    let people = state.app.store.people();
    match people
        .create(
            workspace,
            ACTOR,
            &email,
            &password,
            records::Role::Admin,
            None,
        )
        .await
    {
        Ok(_) => Ok(format!(
            "sign in as {PERSON}, password {password} (shown once)"
        )),
        Err(records::StoreError::Conflict(_)) => Ok(format!(
            "sign in as {PERSON} with the password shown when the demo was first set up"
        )),
        Err(error) => Err(error.into()),
    }
}
