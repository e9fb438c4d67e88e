use std::process::ExitCode;

use clap::{Args, Subcommand};
use records::{Email, Role, Store};
use serde_json::json;

use super::serve::Settings;

#[derive(Debug, Args)]
pub struct Workspace {
    #[command(subcommand)]
    command: WorkspaceCommand,
}

#[derive(Debug, Subcommand)]
enum WorkspaceCommand {
    /// Create a workspace and its first API key; prints both as JSON (the key only this once).
    Create {
        name: String,
        #[command(flatten)]
        settings: Settings,
        /// The plan (default: credits.plan from the configuration).
        #[arg(long)]
        plan: Option<String>,
        /// The credits the plan grants (default: credits.allowance).
        #[arg(long)]
        credits: Option<i64>,
        /// Also create an admin who logs in with this email...
        #[arg(long, requires = "admin_password")]
        admin_email: Option<String>,
        /// ...and this password.
        #[arg(long, env = "SWITCHBOARD_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
    },
    /// Add credits to a workspace (a renewal or a top-up); prints its new balance.
    Grant {
        /// The workspace's id or name.
        workspace: String,
        #[arg(long)]
        credits: i64,
        /// What the ledger says the credits are for.
        #[arg(long, default_value = "top-up")]
        reason: String,
        #[command(flatten)]
        settings: Settings,
    },
}

impl Workspace {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        match self.command {
            WorkspaceCommand::Create {
                name,
                settings,
                plan,
                credits,
                admin_email,
                admin_password,
            } => {
                let config = settings.load()?;
                std::fs::create_dir_all(&config.data_dir)?;
                runtime.block_on(async {
                    let store = Store::open(&config.database_url()).await?;
                    let workspace = store
                        .workspaces()
                        .create(
                            &name,
                            plan.as_deref().unwrap_or(&config.credits.plan),
                            credits.unwrap_or(config.credits.allowance),
                        )
                        .await?;
                    let key = store
                        .api_keys()
                        .create(&workspace.id, "system", "first key")
                        .await?;
                    let admin = match (admin_email, admin_password) {
                        (Some(email), Some(password)) => Some(
                            store
                                .people()
                                .create(
                                    &workspace.id,
                                    "system",
                                    &Email::parse(&email)?,
                                    &password,
                                    Role::Admin,
                                    None,
                                )
                                .await?,
                        ),
                        _ => None,
                    };
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&json!({
                            "workspace": workspace,
                            "api_key": key.secret,
                            "admin": admin,
                        }))?
                    );
                    store.close().await;
                    Ok(ExitCode::SUCCESS)
                })
            }
            WorkspaceCommand::Grant {
                workspace,
                credits,
                reason,
                settings,
            } => {
                anyhow::ensure!(credits > 0, "--credits: must be more than 0, got {credits}");
                let config = settings.load()?;
                runtime.block_on(async {
                    let store = Store::open(&config.database_url()).await?;
                    let found = match store.workspaces().get(&workspace).await {
                        Ok(found) => found,
                        Err(_) => store.workspaces().named(&workspace).await?.ok_or_else(|| {
                            anyhow::anyhow!("no workspace has the id or name {workspace:?}")
                        })?,
                    };
                    store.credits().grant(&found.id, credits, &reason).await?;
                    let updated = store.workspaces().get(&found.id).await?;
                    println!("{}", serde_json::to_string_pretty(&updated)?);
                    store.close().await;
                    Ok(ExitCode::SUCCESS)
                })
            }
        }
    }
}
