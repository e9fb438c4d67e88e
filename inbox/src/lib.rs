//! The business records: workspaces, users and roles, contacts (CRM), conversations, messages,
//! tickets, broadcasts, automations, credits and the audit log. Not built yet.
