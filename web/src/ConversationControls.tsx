import { useEffect, useState, type FormEvent } from "react";
import { api, errorMessage, type Agent, type Conversation, type User } from "./api/client";
import { useLocale } from "./App";

type Team = { id: string; name: string };
const PRIORITIES = ["none", "low", "medium", "high", "urgent"] as const;

/** When a snooze ends: in an hour, tomorrow at nine, or next week at nine. */
function snoozeEnd(choice: string): number {
  const at = new Date();
  if (choice === "hour") return at.getTime() + 3600_000;
  at.setDate(at.getDate() + (choice === "week" ? 7 : 1));
  at.setHours(9, 0, 0, 0);
  return at.getTime();
}

/**
 * The side panel's controls of a conversation: who holds it (assign a person or a team, with a
 * note for them), its priority and labels, snooze, and handing it back to an AI agent.
 */
export function ConversationControls({ conversation, onChanged }: {
  conversation: Conversation;
  onChanged: () => void;
}) {
  const { t } = useLocale();
  const [users, setUsers] = useState<User[]>([]);
  const [teams, setTeams] = useState<Team[]>([]);
  const [agents, setAgents] = useState<Agent[]>([]);
  const [assignee, setAssignee] = useState("");
  const [note, setNote] = useState("");
  const [label, setLabel] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const id = conversation.id;
  const path = { params: { path: { id } } };

  useEffect(() => {
    void api.GET("/v1/users", { params: { query: { limit: 200 } } }).then(({ data }) => setUsers(data ?? []));
    void api.GET("/v1/teams").then(({ data }) => setTeams(data ?? []));
    void api.GET("/v1/agents", { params: { query: { limit: 100 } } }).then(({ data }) => setAgents(data ?? []));
  }, []);

  async function done(result: Promise<{ error?: unknown }>) {
    setProblem(null);
    const { error } = await result;
    if (error) setProblem(errorMessage(error, t.failed));
    onChanged();
  }

  function assign(event: FormEvent) {
    event.preventDefault();
    const [kind, target] = assignee.split(":");
    void done(api.POST("/v1/conversations/{id}/assign", {
      ...path,
      body: {
        user_id: kind === "user" ? target : null,
        team_id: kind === "team" ? target : null,
        // A note goes with whoever takes it; back to the queue, there is no one to read it.
        note: assignee ? note.trim() || null : null,
      },
    }));
    setNote("");
  }

  function addLabel(event: FormEvent) {
    event.preventDefault();
    if (!label.trim()) return;
    void done(api.POST("/v1/conversations/{id}/labels", { ...path, body: { add: [label.trim()], remove: [] } }));
    setLabel("");
  }

  return (
    <section className="controls" aria-label={t.conversation}>
      <form onSubmit={assign}>
        <label htmlFor="assignee">{t.assignTo}</label>
        <select id="assignee" value={assignee} onChange={(event) => setAssignee(event.target.value)}>
          <option value="">{t.backToQueue}</option>
          <optgroup label={t.people}>
            {users.map((user) => <option key={user.id} value={`user:${user.id}`}>{user.email}</option>)}
          </optgroup>
          <optgroup label={t.teams}>
            {teams.map((team) => <option key={team.id} value={`team:${team.id}`}>{team.name}</option>)}
          </optgroup>
        </select>
        <input aria-label={t.transferNote} placeholder={t.transferNote} dir="auto" value={note}
          disabled={!assignee}
          onChange={(event) => setNote(event.target.value)} />
        <button type="submit">{t.assign}</button>
      </form>
      <label>
        {t.priority}
        <select value={conversation.priority} onChange={(event) => void done(api.POST(
          "/v1/conversations/{id}/priority",
          { ...path, body: { priority: event.target.value as Conversation["priority"] } },
        ))}>
          {PRIORITIES.map((name) => <option key={name} value={name}>{t[`priority_${name}`]}</option>)}
        </select>
      </label>
      <div className="labels">
        <span>{t.labels}</span>
        <ul>
          {conversation.labels.map((name) => (
            <li key={name} className="chip" dir="auto">
              {name}
              <button type="button" aria-label={`${t.remove} ${name}`} onClick={() => void done(api.POST(
                "/v1/conversations/{id}/labels", { ...path, body: { add: [], remove: [name] } },
              ))}>×</button>
            </li>
          ))}
        </ul>
        <form onSubmit={addLabel} className="inline">
          <input aria-label={t.addLabel} placeholder={t.addLabel} dir="auto" value={label}
            onChange={(event) => setLabel(event.target.value)} />
          <button type="submit" disabled={!label.trim()}>{t.add}</button>
        </form>
      </div>
      <label>
        {t.snooze}
        <select value="" onChange={(event) => event.target.value && void done(api.POST(
          "/v1/conversations/{id}/status",
          { ...path, body: { status: "snoozed", snoozed_until: snoozeEnd(event.target.value) } },
        ))}>
          <option value="">—</option>
          <option value="hour">{t.snoozeHour}</option>
          <option value="tomorrow">{t.snoozeTomorrow}</option>
          <option value="week">{t.snoozeWeek}</option>
        </select>
      </label>
      {agents.length > 0 && (
        <label>
          {t.handBack}
          <select value="" onChange={(event) => event.target.value && void done(api.POST(
            "/v1/conversations/{id}/handback", { ...path, body: { agent_id: event.target.value } },
          ))}>
            <option value="">—</option>
            {agents.map((agent) => <option key={agent.id} value={agent.id}>{agent.name}</option>)}
          </select>
        </label>
      )}
      {problem && <p role="alert" className="problem">{problem}</p>}
    </section>
  );
}
