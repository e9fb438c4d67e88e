import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { api, errorMessage, sendFile, type Source } from "../api/client";
import { useLocale } from "../App";
import type { Words } from "../i18n";

/** A file on its way up, before the service has a source for it (or after it refused it). */
type Sending = { key: string; name: string; error: string | null };

const WORKING: Source["status"][] = ["queued", "parsing", "embedding"];

function statusName(t: Words, status: Source["status"]): string {
  switch (status) {
    case "queued":
      return t.sourceQueued;
    case "parsing":
      return t.sourceParsing;
    case "embedding":
      return t.sourceEmbedding;
    case "ready":
      return t.sourceReady;
    default:
      return t.sourceFailed;
  }
}

/**
 * The agent's knowledge: files, web pages and Google Docs/Sheets links, each with its progress
 * (parsing, embedding, ready or the error) read again every second while any is working.
 */
export function Knowledge({ knowledgeBase }: { knowledgeBase: string }) {
  const { t, locale } = useLocale();
  const [sources, setSources] = useState<Source[]>([]);
  const [sending, setSending] = useState<Sending[]>([]);
  const [url, setUrl] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [reads, setReads] = useState(0);
  const files = useRef<HTMLInputElement>(null);
  const replacing = useRef<HTMLInputElement>(null);
  const replaceTarget = useRef<string | null>(null);

  const reread = useCallback(() => setReads((count) => count + 1), []);

  useEffect(() => {
    let current = true;
    void api
      .GET("/v1/knowledge-bases/{id}/sources", {
        params: { path: { id: knowledgeBase }, query: { limit: 200 } },
      })
      .then(({ data }) => {
        if (current && data) setSources(data);
      });
    return () => {
      current = false;
    };
  }, [knowledgeBase, reads]);

  const working = sources.some((source) => WORKING.includes(source.status));
  useEffect(() => {
    if (!working) return;
    const again = setTimeout(reread, 1000);
    return () => clearTimeout(again);
  }, [working, sources, reread]);

  async function upload(chosen: FileList | null) {
    if (!chosen) return;
    const list = [...chosen];
    const keys = list.map((file, index) => ({ key: `${Date.now()}-${index}`, name: file.name, error: null }));
    setSending((shown) => [...shown, ...keys]);
    await Promise.all(list.map(async (file, index) => {
      const key = keys[index]?.key;
      const { ok, body } = await sendFile(
        "POST", `/v1/knowledge-bases/${encodeURIComponent(knowledgeBase)}/sources`, file);
      setSending((shown) => ok
        ? shown.filter((item) => item.key !== key)
        : shown.map((item) => item.key === key ? { ...item, error: errorMessage(body, t.failed) } : item));
      reread();
    }));
    if (files.current) files.current.value = "";
  }

  async function replace(chosen: FileList | null) {
    const file = chosen?.[0];
    const id = replaceTarget.current;
    if (!file || !id) return;
    setProblem(null);
    const { ok, body } = await sendFile("PUT", `/v1/sources/${encodeURIComponent(id)}/file`, file);
    if (!ok) setProblem(errorMessage(body, t.failed));
    if (replacing.current) replacing.current.value = "";
    reread();
  }

  async function addUrl(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const { error } = await api.POST("/v1/knowledge-bases/{id}/urls", {
      params: { path: { id: knowledgeBase } },
      body: { url: url.trim() },
    });
    if (error) {
      setProblem(errorMessage(error, t.failed));
      return;
    }
    setUrl("");
    reread();
  }

  async function act(source: Source, action: "resync" | "delete") {
    setProblem(null);
    if (action === "delete" && !window.confirm(t.deleteSourceConfirm.replace("{name}", source.name))) return;
    const path = { params: { path: { id: source.id } } };
    const { error } = action === "resync"
      ? await api.POST("/v1/sources/{id}/resync", path)
      : await api.DELETE("/v1/sources/{id}", path);
    if (error) setProblem(errorMessage(error, t.failed));
    reread();
  }

  return (
    <div className="knowledge">
      <p className="muted">{t.knowledgeIntro}</p>
      <div className="upload">
        <label htmlFor="knowledge-files" className="button">{t.uploadFiles}</label>
        <input id="knowledge-files" ref={files} type="file" multiple className="visually-hidden"
          accept=".pdf,.docx,.xlsx,.xls,.csv,.txt,.md,.html,.htm"
          onChange={(event) => void upload(event.target.files)} />
        <span className="hint">{t.uploadHint}</span>
      </div>
      <input ref={replacing} type="file" className="visually-hidden" tabIndex={-1} aria-hidden="true"
        onChange={(event) => void replace(event.target.files)} />
      <form className="inline" onSubmit={(event) => void addUrl(event)}>
        <label htmlFor="knowledge-url">{t.addLink}</label>
        <input id="knowledge-url" name="url" type="url" dir="ltr" placeholder="https://" value={url}
          onChange={(event) => setUrl(event.target.value)} />
        <button type="submit" disabled={!url.trim()}>{t.add}</button>
      </form>
      {problem && <p role="alert" className="problem">{problem}</p>}
      <ul className="sources-list" aria-label={t.stepKnowledge} aria-live="polite">
        {sending.map((item) => (
          <li key={item.key} className={item.error ? "source failed" : "source"}>
            <span className="source-name" dir="auto">{item.name}</span>
            <span className="source-status">{item.error ? t.sourceFailed : t.uploading}</span>
            {item.error ? <p className="problem">{item.error}</p> : <progress aria-label={item.name} />}
            {item.error && (
              <button type="button" onClick={() => setSending((shown) => shown.filter((other) => other.key !== item.key))}>
                {t.dismiss}
              </button>
            )}
          </li>
        ))}
        {sources.map((source) => (
          <li key={source.id} className={`source ${source.status}`} data-status={source.status}>
            <span className="source-name" dir="auto">{source.name}</span>
            <span className="source-status">
              {statusName(t, source.status)}
              {source.status === "ready"
                ? ` · ${t.chunks.replace("{n}", source.chunks.toLocaleString(locale))}`
                : null}
            </span>
            {WORKING.includes(source.status) && (
              <progress aria-label={source.name}
                max={source.progress_total || undefined}
                value={source.progress_total ? source.progress_done : undefined} />
            )}
            {source.error && <p className="problem" dir="auto">{source.error}</p>}
            <span className="source-actions">
              {source.kind === "url" ? (
                <button type="button" onClick={() => void act(source, "resync")}>{t.resync}</button>
              ) : (
                <button type="button" onClick={() => {
                  replaceTarget.current = source.id;
                  replacing.current?.click();
                }}>{t.replace}</button>
              )}
              <button type="button" className="danger" onClick={() => void act(source, "delete")}>
                {t.delete}
              </button>
            </span>
          </li>
        ))}
      </ul>
      {sources.length === 0 && sending.length === 0 && <p className="empty">{t.noSources}</p>}
    </div>
  );
}
