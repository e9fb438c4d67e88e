import { useEffect, useState, type FormEvent } from "react";
import { api, fieldError, type Agent, type FieldError } from "../api/client";
import { useLocale } from "../App";
import { formatTime } from "../i18n";
import { go } from "../route";
import { withDefaults, type Config } from "./config";
import { GoalStep } from "./Steps";

/** The workspace's agents, and the first step of a new one: its name, role and goal. */
export function Agents() {
  const { t, locale } = useLocale();
  const [agents, setAgents] = useState<Agent[] | null>(null);
  const [draft, setDraft] = useState(() => withDefaults({}));
  const edit = (change: Partial<Config>) => setDraft((current) => ({ ...current, ...change }));
  const [problem, setProblem] = useState<FieldError | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void api.GET("/v1/agents", { params: { query: { limit: 100 } } }).then(({ data }) => {
      setAgents(data ?? []);
    });
  }, []);

  // The agent answers from a knowledge base of its own, made with it; the knowledge step fills
  // it.
  async function create(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    const base = await api.POST("/v1/knowledge-bases", {
      body: { name: draft.name.trim() || t.agentKnowledge },
    });
    if (!base.data) {
      setProblem(fieldError(base.error, t.failed));
      setBusy(false);
      return;
    }
    const { data, error } = await api.POST("/v1/agents", {
      body: { name: draft.name, role: draft.role, goal: draft.goal, knowledge_base: base.data.id },
    });
    setBusy(false);
    if (!data) {
      await api.DELETE("/v1/knowledge-bases/{id}", { params: { path: { id: base.data.id } } });
      setProblem(fieldError(error, t.failed));
      return;
    }
    go({ screen: "agent", id: data.id });
  }

  return (
    <main className="page">
      <h1>{t.agents}</h1>
      {agents && agents.length === 0 && <p className="empty">{t.noAgents}</p>}
      {agents && agents.length > 0 && (
        <ul className="cards">
          {agents.map((agent) => (
            <li key={agent.id}>
              <a href={`#/agents/${agent.id}`} dir="auto">{agent.name}</a>
              <span className="muted">
                {t.versionNumber.replace("{n}", agent.version.toLocaleString(locale))}
                {" · "}
                {formatTime(locale, agent.updated_at)}
              </span>
            </li>
          ))}
        </ul>
      )}
      <form className="panel" onSubmit={(event) => void create(event)} noValidate>
        <h2>{t.newAgent}</h2>
        <p className="muted">{t.newAgentIntro}</p>
        <GoalStep draft={draft} edit={edit} problem={problem} />
        {problem && problem.field === null && <p role="alert" className="problem">{problem.message}</p>}
        <button type="submit" disabled={busy}>{t.createAgent}</button>
      </form>
    </main>
  );
}
