import { useEffect, useState, type FormEvent } from "react";
import { api, fieldError, type Agent, type FieldError } from "../api/client";
import { useLocale } from "../App";
import { go } from "../route";
import { withDefaults, type Config } from "./config";
import { GoalStep, VoiceStep, GuardrailsStep, AnswersStep, HandoffStep, LeadStep } from "./Steps";
import { Evals } from "./Evals";
import { Knowledge } from "./Knowledge";
import { TestChat } from "./TestChat";
import { Versions } from "./Versions";

const STEPS = [
  "goal", "voice", "knowledge", "guardrails", "answers", "handoff", "lead", "versions", "evals",
] as const;
export type Step = (typeof STEPS)[number];

/**
 * One agent: its settings a step at a time, each saved as a new version, with a test chat
 * beside them that always talks to the latest version.
 */
export function AgentPage({ id }: { id: string }) {
  const { t, locale } = useLocale();
  const [agent, setAgent] = useState<Agent | null>(null);
  const [draft, setDraft] = useState<Config | null>(null);
  const [step, setStep] = useState<Step>("goal");
  const [problem, setProblem] = useState<FieldError | null>(null);
  const [saved, setSaved] = useState(false);
  const [missing, setMissing] = useState(false);

  useEffect(() => {
    void api.GET("/v1/agents/{id}", { params: { path: { id } } }).then(({ data }) => {
      if (!data) {
        setMissing(true);
        return;
      }
      setAgent(data);
      setDraft(withDefaults(data.config));
    });
  }, [id]);

  const titles: Record<Step, string> = {
    goal: t.stepGoal,
    voice: t.stepVoice,
    knowledge: t.stepKnowledge,
    guardrails: t.stepGuardrails,
    answers: t.stepAnswers,
    handoff: t.stepHandoff,
    lead: t.stepLead,
    versions: t.stepVersions,
    evals: t.stepEvals,
  };

  async function save(next: Config, then?: Step): Promise<boolean> {
    setProblem(null);
    setSaved(false);
    const { data, error } = await api.PUT("/v1/agents/{id}", {
      params: { path: { id } },
      body: next,
    });
    if (!data) {
      setProblem(fieldError(error, t.failed));
      return false;
    }
    setAgent(data);
    setDraft(withDefaults(data.config));
    setSaved(true);
    if (then) setStep(then);
    return true;
  }

  async function remove() {
    if (!window.confirm(t.deleteAgentConfirm)) return;
    const { response } = await api.DELETE("/v1/agents/{id}", { params: { path: { id } } });
    if (response.ok) go({ screen: "agents" });
  }

  if (missing) return <main className="page"><p className="empty">{t.notFound}</p></main>;
  if (!agent || !draft) return <main className="page" aria-busy="true" />;

  const index = STEPS.indexOf(step);
  const following = STEPS[index + 1];
  function submit(event: FormEvent) {
    event.preventDefault();
    if (draft) void save(draft, following);
  }
  const edit = (change: Partial<Config>) => {
    setSaved(false);
    setDraft((current) => (current ? { ...current, ...change } : current));
  };
  const form = { draft, edit, problem };

  return (
    <main className="builder">
      <nav className="steps" aria-label={t.agentSteps}>
        <a href="#/agents" className="back">{t.agents}</a>
        <h1 dir="auto">{agent.name}</h1>
        <ol>
          {STEPS.map((name, position) => (
            <li key={name}>
              <button type="button" aria-current={name === step ? "step" : undefined}
                onClick={() => setStep(name)}>
                <span className="step-number">{(position + 1).toLocaleString(locale)}</span> {titles[name]}
              </button>
            </li>
          ))}
        </ol>
        <button type="button" className="danger" onClick={() => void remove()}>{t.deleteAgent}</button>
      </nav>
      <section className="settings" aria-labelledby="step-title">
        <h2 id="step-title">{titles[step]}</h2>
        {step === "knowledge" ? (
          <Knowledge knowledgeBase={draft.knowledge_base} />
        ) : step === "versions" ? (
          <Versions agent={agent} />
        ) : step === "evals" ? (
          <Evals agent={agent} />
        ) : (
          <form onSubmit={submit} noValidate>
            {step === "goal" && <GoalStep {...form} />}
            {step === "voice" && <VoiceStep {...form} />}
            {step === "guardrails" && <GuardrailsStep {...form} />}
            {step === "answers" && <AnswersStep {...form} />}
            {step === "handoff" && <HandoffStep {...form} />}
            {step === "lead" && <LeadStep {...form} />}
            {problem && problem.field === null && <p role="alert" className="problem">{problem.message}</p>}
            <div className="form-actions">
              {saved && <span className="saved" role="status">{t.savedVersion.replace("{n}", agent.version.toLocaleString(locale))}</span>}
              <button type="submit">{following ? t.saveAndContinue : t.save}</button>
            </div>
          </form>
        )}
        {step === "knowledge" && following && (
          <div className="form-actions">
            <button type="button" className="primary" onClick={() => setStep(following)}>{t.continue}</button>
          </div>
        )}
      </section>
      <TestChat agent={agent} onCorrection={(question, answer) => {
        const next = { ...draft, custom_answers: [...draft.custom_answers, { question, answer }] };
        void save(next, "answers");
      }} />
    </main>
  );
}
