import { useEffect, useMemo, useState } from "react";
import { api, errorMessage, type Agent, type AgentConfig, type AgentVersion } from "../api/client";
import { useLocale } from "../App";
import { formatTime } from "../i18n";
import { compare } from "./config";

function parsed(version: AgentVersion | undefined): unknown {
  if (!version) return {};
  try {
    return JSON.parse(version.config) as unknown;
  } catch {
    return {};
  }
}

/** The agent's versions: any two compared field by field, and an earlier one made current again. */
export function Versions({ agent }: { agent: Agent }) {
  const { t, locale } = useLocale();
  const [versions, setVersions] = useState<AgentVersion[]>([]);
  const [left, setLeft] = useState<number | null>(null);
  const [right, setRight] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    void api.GET("/v1/agents/{id}/versions", {
      params: { path: { id: agent.id }, query: { limit: 200 } },
    }).then(({ data }) => {
      const listed = data ?? [];
      setVersions(listed);
      const newest = listed.at(-1)?.version ?? null;
      setRight(newest);
      setLeft(listed.at(-2)?.version ?? newest);
    });
  }, [agent.id, agent.version]);

  const changes = useMemo(() => compare(
    parsed(versions.find((version) => version.version === left)),
    parsed(versions.find((version) => version.version === right)),
  ), [versions, left, right]);

  async function restore(version: AgentVersion) {
    setProblem(null);
    const { error } = await api.PUT("/v1/agents/{id}", {
      params: { path: { id: agent.id } },
      body: parsed(version) as AgentConfig,
    });
    if (error) setProblem(errorMessage(error, t.failed));
    else window.location.reload();
  }

  const choice = (value: number | null, set: (version: number) => void, label: string) => (
    <label>
      {label}{" "}
      <select value={value ?? ""} onChange={(event) => set(Number(event.target.value))}>
        {versions.map((version) => (
          <option key={version.version} value={version.version}>
            {t.versionNumber.replace("{n}", version.version.toLocaleString(locale))}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <div className="versions">
      <ol className="version-list">
        {[...versions].reverse().map((version) => (
          <li key={version.version}>
            <strong>{t.versionNumber.replace("{n}", version.version.toLocaleString(locale))}</strong>
            <span className="muted">{formatTime(locale, version.created_at)}</span>
            {version.version === agent.version ? (
              <span className="badge">{t.current}</span>
            ) : (
              <button type="button" onClick={() => void restore(version)}>{t.restore}</button>
            )}
          </li>
        ))}
      </ol>
      {problem && <p role="alert" className="problem">{problem}</p>}
      {versions.length > 1 && (
        <>
          <h3>{t.compareVersions}</h3>
          <div className="inline">
            {choice(left, setLeft, t.from)}
            {choice(right, setRight, t.to)}
          </div>
          {changes.length === 0 ? (
            <p className="muted">{t.noChanges}</p>
          ) : (
            <table className="changes">
              <thead><tr><th scope="col">{t.field}</th><th scope="col">{t.before}</th><th scope="col">{t.after}</th></tr></thead>
              <tbody>
                {changes.map((change) => (
                  <tr key={change.path}>
                    <th scope="row" dir="ltr">{change.path}</th>
                    <td dir="auto" className="removed">{change.before ?? "—"}</td>
                    <td dir="auto" className="added">{change.after ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}
