import { useEffect, useState, type FormEvent } from "react";
import { api, errorMessage, type Agent, type EvalComparison, type EvalRun } from "../api/client";
import { useLocale } from "../App";
import { formatTime, type Words } from "../i18n";

function statusName(t: Words, status: EvalRun["status"]): string {
  return status === "queued" ? t.evalQueued : status === "done" ? t.evalDone : t.evalFailed;
}

function number(locale: string, value: number | null | undefined): string {
  return value == null ? "—" : value.toLocaleString(locale, { maximumFractionDigits: 3 });
}

/** One run's report: its metrics, then every case, the failures first. */
function RunReport({ id }: { id: string }) {
  const { t, locale } = useLocale();
  const [run, setRun] = useState<EvalRun | null>(null);
  useEffect(() => {
    void api.GET("/v1/eval-runs/{id}", { params: { path: { id } } }).then(({ data }) => setRun(data ?? null));
  }, [id]);
  if (!run) return null;
  const metrics = run.metrics;
  return (
    <section className="report" aria-label={t.evalReport}>
      <h3>{t.evalReport}: <span dir="auto">{run.suite}</span></h3>
      {run.error && <p className="problem" dir="auto">{run.error}</p>}
      {metrics && (
        <dl className="metrics">
          <div><dt>{t.passRate}</dt><dd>{number(locale, metrics.overall.pass_rate * 100)}%</dd></div>
          <div><dt>{t.evalCases}</dt><dd>{number(locale, metrics.overall.passed)} / {number(locale, metrics.overall.cases)}</dd></div>
          <div><dt>MRR</dt><dd>{number(locale, metrics.mrr)}</dd></div>
          <div><dt>{t.groundedness}</dt><dd>{number(locale, metrics.groundedness)}</dd></div>
          <div><dt>{t.latencyP95}</dt><dd>{number(locale, metrics.latency_p95_ms)} ms</dd></div>
          <div><dt>{t.credits}</dt><dd>{number(locale, metrics.credits)}</dd></div>
        </dl>
      )}
      <ol className="cases">
        {(run.results ?? []).map((result) => (
          <li key={result.id} className={result.passed ? "case passed" : "case failed"}>
            <strong>{result.passed ? "✓" : "✗"} <span dir="ltr">{result.id}</span></strong>
            <p dir="auto">{result.message}</p>
            {result.error && <p className="problem" dir="auto">{result.error}</p>}
            <ul>
              {result.checks.map((check, index) => (
                <li key={index} className={check.passed ? "passed" : "failed"}>
                  <span dir="ltr">{check.name}</span>: <span dir="auto">{check.detail}</span>
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** Two runs side by side: the cases that now fail or now pass, and every metric. */
function Comparison({ first, second }: { first: string; second: string }) {
  const { t, locale } = useLocale();
  const [compared, setCompared] = useState<EvalComparison | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    void api.GET("/v1/eval-runs/{id}/comparison", {
      params: { path: { id: first }, query: { with: second } },
    }).then(({ data, error }) => {
      setCompared(data ?? null);
      setProblem(data ? null : errorMessage(error, t.failed));
    });
  }, [first, second, t]);
  if (problem) return <p role="alert" className="problem">{problem}</p>;
  if (!compared) return null;
  const list = (label: string, ids: string[], className: string) => (
    <div className={className}>
      <h4>{label} ({ids.length.toLocaleString(locale)})</h4>
      <ul>{ids.map((id) => <li key={id} dir="ltr">{id}</li>)}</ul>
    </div>
  );
  return (
    <section className="comparison" aria-label={t.compareRuns}>
      {list(t.regressions, compared.regressions, "regressions")}
      {list(t.improvements, compared.improvements, "improvements")}
      <table className="changes">
        <thead><tr><th scope="col">{t.metric}</th><th scope="col">{t.before}</th><th scope="col">{t.after}</th></tr></thead>
        <tbody>
          {compared.metrics.map((row) => (
            <tr key={row.metric}>
              <th scope="row" dir="ltr">{row.metric}</th>
              <td>{number(locale, row.first)}</td>
              <td>{number(locale, row.second)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** One of the finished runs, by its suite, version and time. */
function RunChoice({ label, runs, value, onChange }: {
  label: string;
  runs: EvalRun[];
  value: string;
  onChange: (run: string) => void;
}) {
  const { locale } = useLocale();
  return (
    <label>
      {label}{" "}
      <select value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">—</option>
        {runs.map((run) => (
          <option key={run.id} value={run.id}>
            {run.suite} · v{run.agent_version.toLocaleString(locale)} · {formatTime(locale, run.created_at)}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * The agent's evals: run a suite (a file, or the ratings people gave) against a version, the
 * runs as they finish, a run's report, two runs compared.
 */
export function Evals({ agent }: { agent: Agent }) {
  const { t, locale } = useLocale();
  const [runs, setRuns] = useState<EvalRun[]>([]);
  const [reads, setReads] = useState(0);
  const [suite, setSuite] = useState("");
  const [version, setVersion] = useState("");
  const [shown, setShown] = useState<string | null>(null);
  const [first, setFirst] = useState("");
  const [second, setSecond] = useState("");
  const [comparing, setComparing] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    void api.GET("/v1/agents/{id}/eval-runs", { params: { path: { id: agent.id }, query: { limit: 200 } } })
      .then(({ data }) => setRuns(data ?? []));
  }, [agent.id, reads]);
  const running = runs.some((run) => run.status === "queued");
  useEffect(() => {
    if (!running) return;
    const again = setTimeout(() => setReads((count) => count + 1), 1000);
    return () => clearTimeout(again);
  }, [running, runs]);

  async function start(body: { suite?: string; from_feedback?: boolean }) {
    setProblem(null);
    const { error } = await api.POST("/v1/agents/{id}/eval-runs", {
      params: { path: { id: agent.id } },
      body: { ...body, version: version ? Number(version) : null },
    });
    if (error) {
      setProblem(errorMessage(error, t.failed));
      return;
    }
    setReads((count) => count + 1);
  }

  function runSuite(event: FormEvent) {
    event.preventDefault();
    void start({ suite });
  }

  const done = runs.filter((run) => run.status === "done");
  const versions = Array.from({ length: agent.version }, (_, index) => agent.version - index);
  return (
    <div className="evals">
      <p className="muted">{t.evalsIntro}</p>
      <form className="panel" onSubmit={runSuite}>
        <label htmlFor="eval-suite">{t.evalSuite}</label>
        <textarea id="eval-suite" name="suite" dir="ltr" rows={8} value={suite}
          placeholder={"name: …\ncases:\n  - id: …\n    input: { message: … }\n    expect: { contains: … }"}
          onChange={(event) => setSuite(event.target.value)} />
        <label className="button secondary" htmlFor="eval-file">{t.evalFromFile}</label>
        <input id="eval-file" type="file" accept=".yaml,.yml,.json" className="visually-hidden"
          onChange={(event) => void event.target.files?.[0]?.text().then(setSuite)} />
        <label>
          {t.evalVersion}
          <select name="version" value={version} onChange={(event) => setVersion(event.target.value)}>
            <option value="">{t.current}</option>
            {versions.map((number) => (
              <option key={number} value={number}>{t.versionNumber.replace("{n}", number.toLocaleString(locale))}</option>
            ))}
          </select>
        </label>
        <div className="form-actions">
          <button type="button" onClick={() => void start({ from_feedback: true })}>{t.evalFromRatings}</button>
          <button type="submit" disabled={!suite.trim()}>{t.evalRun}</button>
        </div>
        {problem && <p role="alert" className="problem">{problem}</p>}
      </form>
      <table className="table runs">
        <thead>
          <tr>
            <th scope="col">{t.evalSuiteName}</th><th scope="col">{t.evalVersion}</th><th scope="col">{t.status}</th>
            <th scope="col">{t.evalCases}</th><th scope="col">{t.when}</th><th scope="col"><span className="visually-hidden">{t.evalReport}</span></th>
          </tr>
        </thead>
        <tbody>
          {[...runs].reverse().map((run) => (
            <tr key={run.id} data-status={run.status}>
              <td dir="auto">{run.suite}</td>
              <td>{run.agent_version.toLocaleString(locale)}</td>
              <td>{statusName(t, run.status)}</td>
              <td>{run.passed == null ? run.cases.toLocaleString(locale)
                : `${run.passed.toLocaleString(locale)} / ${run.cases.toLocaleString(locale)}`}</td>
              <td>{formatTime(locale, run.created_at)}</td>
              <td>{run.status !== "queued" && (
                <button type="button" onClick={() => setShown(run.id)}>{t.evalReport}</button>
              )}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {done.length > 1 && (
        <div className="inline">
          <RunChoice label={t.from} runs={done} value={first} onChange={setFirst} />
          <RunChoice label={t.to} runs={done} value={second} onChange={setSecond} />
          <button type="button" disabled={!first || !second || first === second}
            onClick={() => setComparing(true)}>{t.compareRuns}</button>
        </div>
      )}
      {comparing && first && second && <Comparison first={first} second={second} />}
      {shown && <RunReport id={shown} />}
    </div>
  );
}
