import { useEffect, useState, type FormEvent } from "react";
import { api, errorMessage } from "../api/client";
import { useLocale } from "../App";
import { formatTime } from "../i18n";

type Key = { id: string; name: string; prefix: string; created_at: number; revoked_at?: number | null };

/** API keys: a new key's secret is shown here once and never again. */
export function ApiKeys() {
  const { t, locale } = useLocale();
  const [keys, setKeys] = useState<Key[]>([]);
  const [reads, setReads] = useState(0);
  const [name, setName] = useState("");
  const [secret, setSecret] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    void api.GET("/v1/api-keys", { params: { query: { limit: 200 } } }).then(({ data }) => setKeys(data ?? []));
  }, [reads]);

  async function create(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const { data, error } = await api.POST("/v1/api-keys", { body: { name: name.trim() } });
    if (!data) {
      setProblem(errorMessage(error, t.failed));
      return;
    }
    setSecret(data.secret);
    setName("");
    setReads((count) => count + 1);
  }

  async function revoke(key: Key) {
    if (!window.confirm(t.revokeConfirm.replace("{name}", key.name))) return;
    const { error } = await api.DELETE("/v1/api-keys/{id}", { params: { path: { id: key.id } } });
    if (error) setProblem(errorMessage(error, t.failed));
    setReads((count) => count + 1);
  }

  return (
    <>
      {secret && (
        <div className="shown-once" role="status">
          <p>{t.keyShownOnce}</p>
          <code dir="ltr">{secret}</code>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(secret)}>{t.copy}</button>
          <button type="button" onClick={() => setSecret(null)}>{t.dismiss}</button>
        </div>
      )}
      {problem && <p role="alert" className="problem">{problem}</p>}
      <table className="table">
        <thead><tr><th scope="col">{t.keyName}</th><th scope="col">{t.keyPrefix}</th><th scope="col">{t.created}</th><th scope="col"><span className="visually-hidden">{t.revoke}</span></th></tr></thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key.id} className={key.revoked_at ? "revoked" : undefined}>
              <td dir="auto">{key.name}</td>
              <td dir="ltr"><code>{key.prefix}…</code></td>
              <td>{formatTime(locale, key.created_at)}</td>
              <td>{key.revoked_at ? t.revoked : (
                <button type="button" className="danger" onClick={() => void revoke(key)}>{t.revoke}</button>
              )}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="inline" onSubmit={(event) => void create(event)}>
        <label htmlFor="key-name">{t.newKey}</label>
        <input id="key-name" dir="auto" value={name} onChange={(event) => setName(event.target.value)} />
        <button type="submit" disabled={!name.trim()}>{t.create}</button>
      </form>
    </>
  );
}
