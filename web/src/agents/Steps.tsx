// The builder's steps: each edits part of the configuration; AgentPage saves it.
import { useEffect, useState } from "react";
import { api, type FieldError } from "../api/client";
import { useLocale } from "../App";
import { words, type Config, type HandoffRule, type LeadField } from "./config";
import { Field } from "./Field";

type StepProps = {
  draft: Config;
  edit: (change: Partial<Config>) => void;
  problem: FieldError | null;
};

/** Comma-separated words, kept as typed while the list they make is edited. */
function WordsInput({ value, onChange, ...props }: {
  value: string[];
  onChange: (words: string[]) => void;
  id: string;
  name: string;
  "aria-invalid": boolean;
  "aria-describedby": string | undefined;
}) {
  const [text, setText] = useState(value.join(", "));
  // The list changed from elsewhere (a row above removed, a save): show it as it is now.
  const shown = words(text).join("\u0000") === value.join("\u0000") ? text : value.join(", ");
  return (
    <input {...props} dir="auto" value={shown} onChange={(event) => {
      setText(event.target.value);
      onChange(words(event.target.value));
    }} />
  );
}

/** Replaces item `index` of a list. */
function replaced<T>(items: T[], index: number, item: T): T[] {
  return items.map((current, position) => (position === index ? item : current));
}

export function GoalStep({ draft, edit, problem }: StepProps) {
  const { t } = useLocale();
  return (
    <>
      <Field label={t.agentName} name="name" problem={problem}>
        {(props) => <input {...props} dir="auto" value={draft.name} onChange={(event) => edit({ name: event.target.value })} />}
      </Field>
      <Field label={t.agentRole} name="role" problem={problem}>
        {(props) => (
          <select {...props} value={draft.role} onChange={(event) => edit({ role: event.target.value as Config["role"] })}>
            <option value="support">{t.roleSupport}</option>
            <option value="sales">{t.roleSales}</option>
            <option value="custom">{t.roleCustom}</option>
          </select>
        )}
      </Field>
      <Field label={t.agentGoal} name="goal" problem={problem} hint={t.agentGoalHint}>
        {(props) => <textarea {...props} dir="auto" value={draft.goal} onChange={(event) => edit({ goal: event.target.value })} />}
      </Field>
    </>
  );
}

const TONES = ["professional", "friendly", "casual"];

export function VoiceStep({ draft, edit, problem }: StepProps) {
  const { t } = useLocale();
  const named = TONES.includes(draft.tone);
  const tones: Record<string, string> = {
    professional: t.toneProfessional, friendly: t.toneFriendly, casual: t.toneCasual,
  };
  return (
    <>
      <fieldset>
        <legend>{t.agentTone}</legend>
        {TONES.map((tone) => (
          <label key={tone} className="choice">
            <input type="radio" name="tone" checked={draft.tone === tone} onChange={() => edit({ tone })} />
            {tones[tone]}
          </label>
        ))}
        <label className="choice">
          <input type="radio" name="tone" checked={!named} onChange={() => edit({ tone: "" })} />
          {t.toneOwn}
        </label>
      </fieldset>
      {!named && (
        <Field label={t.toneDescribe} name="tone" problem={problem}>
          {(props) => <input {...props} dir="auto" value={draft.tone} onChange={(event) => edit({ tone: event.target.value })} />}
        </Field>
      )}
      <Field label={t.agentLength} name="response_length" problem={problem}>
        {(props) => (
          <select {...props} value={draft.response_length}
            onChange={(event) => edit({ response_length: event.target.value as Config["response_length"] })}>
            <option value="short">{t.lengthShort}</option>
            <option value="medium">{t.lengthMedium}</option>
            <option value="detailed">{t.lengthDetailed}</option>
          </select>
        )}
      </Field>
      <Field label={t.agentLanguage} name="language" problem={problem} hint={t.agentLanguageHint}>
        {(props) => (
          <input {...props} dir="ltr" list="languages" value={draft.language}
            onChange={(event) => edit({ language: event.target.value.trim() })} />
        )}
      </Field>
      <datalist id="languages">
        <option value="auto">{t.languageAuto}</option>
        <option value="ar">العربية</option>
        <option value="en">English</option>
      </datalist>
    </>
  );
}

export function GuardrailsStep({ draft, edit, problem }: StepProps) {
  const { t } = useLocale();
  const guardrails = draft.guardrails;
  const set = (change: Partial<Config["guardrails"]>) => edit({ guardrails: { ...guardrails, ...change } });
  return (
    <>
      <label className="choice">
        <input type="checkbox" name="refuse_personal_data" checked={guardrails.refuse_personal_data}
          onChange={(event) => set({ refuse_personal_data: event.target.checked })} />
        {t.refusePersonalData}
      </label>
      <Field label={t.guardrailRules} name="guardrails.rules" problem={problem} hint={t.onePerLine}>
        {(props) => (
          <textarea {...props} dir="auto" value={guardrails.rules.join("\n")}
            onChange={(event) => set({ rules: event.target.value.split("\n") })}
            onBlur={() => set({ rules: guardrails.rules.map((rule) => rule.trim()).filter(Boolean) })} />
        )}
      </Field>
      <Field label={t.maxPromise} name="guardrails.max_promise" problem={problem} hint={t.maxPromiseHint}>
        {(props) => (
          <input {...props} dir="auto" value={guardrails.max_promise ?? ""}
            onChange={(event) => set({ max_promise: event.target.value || null })} />
        )}
      </Field>
      <h3>{t.blockedTopics}</h3>
      {guardrails.blocked_topics.map((topic, index) => (
        <div className="row" key={index}>
          <Field label={t.topicName} name={`guardrails.blocked_topics[${index}].name`} problem={problem}>
            {(props) => (
              <input {...props} dir="auto" value={topic.name} onChange={(event) =>
                set({ blocked_topics: replaced(guardrails.blocked_topics, index, { ...topic, name: event.target.value }) })} />
            )}
          </Field>
          <Field label={t.topicWords} name={`guardrails.blocked_topics[${index}].keywords`} problem={problem}>
            {(props) => (
              <WordsInput {...props} value={topic.keywords} onChange={(keywords) =>
                set({ blocked_topics: replaced(guardrails.blocked_topics, index, { ...topic, keywords }) })} />
            )}
          </Field>
          <button type="button" className="remove" aria-label={`${t.remove} ${topic.name}`}
            onClick={() => set({ blocked_topics: guardrails.blocked_topics.filter((_, at) => at !== index) })}>
            {t.remove}
          </button>
        </div>
      ))}
      <button type="button" onClick={() =>
        set({ blocked_topics: [...guardrails.blocked_topics, { name: "", keywords: [] }] })}>
        {t.addTopic}
      </button>
    </>
  );
}

export function AnswersStep({ draft, edit, problem }: StepProps) {
  const { t } = useLocale();
  const answers = draft.custom_answers;
  return (
    <>
      <p className="muted">{t.customAnswersIntro}</p>
      {answers.map((answer, index) => (
        <div className="row stacked" key={index}>
          <Field label={t.question} name={`custom_answers[${index}]`} problem={problem}>
            {(props) => (
              <input {...props} dir="auto" value={answer.question} onChange={(event) =>
                edit({ custom_answers: replaced(answers, index, { ...answer, question: event.target.value }) })} />
            )}
          </Field>
          <Field label={t.answer} name={`custom_answers[${index}].answer`} problem={problem}>
            {(props) => (
              <textarea {...props} dir="auto" value={answer.answer} onChange={(event) =>
                edit({ custom_answers: replaced(answers, index, { ...answer, answer: event.target.value }) })} />
            )}
          </Field>
          <button type="button" className="remove"
            onClick={() => edit({ custom_answers: answers.filter((_, at) => at !== index) })}>
            {t.remove}
          </button>
        </div>
      ))}
      <button type="button" onClick={() => edit({ custom_answers: [...answers, { question: "", answer: "" }] })}>
        {t.addAnswer}
      </button>
    </>
  );
}

/** The workspace's teams, for the choices a handoff names. */
function useTeams(): string[] {
  const [teams, setTeams] = useState<string[]>([]);
  useEffect(() => {
    void api.GET("/v1/teams").then(({ data }) => setTeams((data ?? []).map((team) => team.name)));
  }, []);
  return teams;
}

export function HandoffStep({ draft, edit, problem }: StepProps) {
  const { t } = useLocale();
  const teams = useTeams();
  const handoff = draft.handoff;
  const set = (change: Partial<Config["handoff"]>) => edit({ handoff: { ...handoff, ...change } });
  const setRule = (index: number, rule: HandoffRule) => set({ rules: replaced(handoff.rules, index, rule) });
  return (
    <>
      <datalist id="teams">{teams.map((team) => <option key={team} value={team} />)}</datalist>
      <Field label={t.defaultTeam} name="handoff.default_team" problem={problem} hint={t.defaultTeamHint}>
        {(props) => <input {...props} dir="auto" list="teams" value={handoff.default_team}
          onChange={(event) => set({ default_team: event.target.value })} />}
      </Field>
      <Field label={t.salesTeam} name="handoff.sales_team" problem={problem}>
        {(props) => <input {...props} dir="auto" list="teams" value={handoff.sales_team}
          onChange={(event) => set({ sales_team: event.target.value })} />}
      </Field>
      <h3>{t.handoffRules}</h3>
      <p className="muted">{t.handoffRulesIntro}</p>
      {handoff.rules.map((rule, index) => (
        <div className="row stacked" key={index}>
          <Field label={t.ruleName} name={`handoff.rules[${index}].name`} problem={problem}>
            {(props) => <input {...props} dir="auto" value={rule.name}
              onChange={(event) => setRule(index, { ...rule, name: event.target.value })} />}
          </Field>
          <Field label={t.ruleTeam} name={`handoff.rules[${index}].team`} problem={problem}>
            {(props) => <input {...props} dir="auto" list="teams" value={rule.team}
              onChange={(event) => setRule(index, { ...rule, team: event.target.value })} />}
          </Field>
          <Field label={t.ruleWords} name={`handoff.rules[${index}].keywords`} problem={problem}>
            {(props) => <WordsInput {...props} value={rule.keywords}
              onChange={(keywords) => setRule(index, { ...rule, keywords })} />}
          </Field>
          <Field label={t.ruleExamples} name={`handoff.rules[${index}].examples`} problem={problem} hint={t.onePerLine}>
            {(props) => <textarea {...props} dir="auto" value={rule.examples.join("\n")}
              onChange={(event) => setRule(index, { ...rule, examples: event.target.value.split("\n") })}
              onBlur={() => setRule(index, { ...rule, examples: rule.examples.map((line) => line.trim()).filter(Boolean) })} />}
          </Field>
          <button type="button" className="remove"
            onClick={() => set({ rules: handoff.rules.filter((_, at) => at !== index) })}>
            {t.remove}
          </button>
        </div>
      ))}
      <button type="button" onClick={() =>
        set({ rules: [...handoff.rules, { name: "", team: handoff.default_team, keywords: [], examples: [] }] })}>
        {t.addRule}
      </button>
    </>
  );
}

const KNOWN_FIELDS = ["budget", "timeline", "needs"];

export function LeadStep({ draft, edit, problem }: StepProps) {
  const { t } = useLocale();
  const lead = draft.lead;
  const fields = lead?.fields ?? [];
  const setField = (index: number, field: LeadField) =>
    lead && edit({ lead: { ...lead, fields: replaced(fields, index, field) } });
  return (
    <>
      <label className="choice">
        <input type="checkbox" name="lead" checked={lead !== null} onChange={(event) =>
          edit({
            lead: event.target.checked
              ? { fields: KNOWN_FIELDS.map((name) => ({ name, weight: 30 })), hot_threshold: 70 }
              : null,
          })} />
        {t.qualifyLeads}
      </label>
      {lead && (
        <>
          <p className="muted">{t.leadIntro}</p>
          <Field label={t.hotThreshold} name="lead.hot_threshold" problem={problem}>
            {(props) => <input {...props} type="number" min={0} max={100} value={lead.hot_threshold}
              onChange={(event) => edit({ lead: { ...lead, hot_threshold: Number(event.target.value) } })} />}
          </Field>
          {fields.map((field, index) => (
            <div className="row" key={index}>
              <Field label={t.leadField} name={`lead.fields[${index}].name`} problem={problem}>
                {(props) => <input {...props} dir="auto" value={field.name}
                  onChange={(event) => setField(index, { ...field, name: event.target.value })} />}
              </Field>
              <Field label={t.leadWeight} name={`lead.fields[${index}].weight`} problem={problem}>
                {(props) => <input {...props} type="number" min={0} value={field.weight}
                  onChange={(event) => setField(index, { ...field, weight: Number(event.target.value) })} />}
              </Field>
              {!KNOWN_FIELDS.includes(field.name) && (
                <Field label={t.leadPattern} name={`lead.fields[${index}].pattern`} problem={problem}>
                  {(props) => <input {...props} dir="ltr" value={field.pattern ?? ""}
                    onChange={(event) => setField(index, { ...field, pattern: event.target.value || null })} />}
                </Field>
              )}
              <button type="button" className="remove"
                onClick={() => edit({ lead: { ...lead, fields: fields.filter((_, at) => at !== index) } })}>
                {t.remove}
              </button>
            </div>
          ))}
          <button type="button" onClick={() =>
            edit({ lead: { ...lead, fields: [...fields, { name: "", weight: 10 }] } })}>
            {t.addLeadField}
          </button>
        </>
      )}
    </>
  );
}
