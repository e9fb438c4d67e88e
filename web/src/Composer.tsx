import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, errorMessage, type Conversation } from "./api/client";
import { useLocale } from "./App";

type Canned = { id: string; short_code: string; text: string };

const TONES = ["friendly", "formal", "empathetic", "concise"] as const;

/**
 * The reply box: a reply or a private note; smart-reply chips (one click puts one in the box);
 * a canned response by its `/shortcode` (the service fills its variables when it sends); and
 * the writing assistant, which shows its version of the draft before it replaces it. Keyed by
 * the conversation, so a draft stays with the conversation it was written for.
 */
export function Composer({ conversation, onSent }: { conversation: Conversation; onSent: () => void }) {
  const { t } = useLocale();
  const [draft, setDraft] = useState("");
  const [asNote, setAsNote] = useState(false);
  const [canned, setCanned] = useState<Canned[]>([]);
  const [suggested, setSuggested] = useState<string[] | null>(null);
  const [asking, setAsking] = useState(false);
  const [tone, setTone] = useState<(typeof TONES)[number]>("friendly");
  const [polished, setPolished] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const typingSent = useRef(0);
  const box = useRef<HTMLTextAreaElement>(null);
  const id = conversation.id;

  useEffect(() => {
    void api.GET("/v1/canned-responses").then(({ data }) => setCanned(data ?? []));
  }, []);

  // `/code` alone in the box: the canned responses it could be.
  const code = /^\/(\S*)$/.exec(draft.trim())?.[1];
  const matches = code === undefined ? [] : canned.filter((item) => item.short_code.startsWith(code));
  const chosen = code === undefined ? undefined : canned.find((item) => item.short_code === code);

  function composing(text: string) {
    setDraft(text);
    setPolished(null);
    // The customer sees a person typing (on the web chat): at most one word of it every 3 s.
    if (asNote || Date.now() - typingSent.current < 3000) return;
    typingSent.current = Date.now();
    void api.POST("/v1/conversations/{id}/typing", { params: { path: { id } }, body: { typing: true } });
  }

  async function send(event?: FormEvent) {
    event?.preventDefault();
    if (!draft.trim()) return;
    setProblem(null);
    const body = chosen
      ? { canned: chosen.short_code, kind: asNote ? ("note" as const) : ("text" as const) }
      : { text: draft, kind: asNote ? ("note" as const) : ("text" as const) };
    const { error } = await api.POST("/v1/conversations/{id}/messages", { params: { path: { id } }, body });
    if (error) {
      setProblem(errorMessage(error, t.failed));
      return;
    }
    setDraft("");
    setSuggested(null);
    onSent();
  }

  async function suggest() {
    setProblem(null);
    setAsking(true);
    const { data, error } = await api.POST("/v1/conversations/{id}/suggestions", {
      params: { path: { id } },
      body: {},
    });
    setAsking(false);
    if (!data) {
      setProblem(errorMessage(error, t.failed));
      return;
    }
    // The customer sees no sources, so no citation marks either.
    setSuggested(data.replies.map((reply) => reply.text.replace(/\s*\[\d+\]/g, "")));
  }

  async function polish() {
    setProblem(null);
    setAsking(true);
    const { data, error } = await api.POST("/v1/conversations/{id}/polish", {
      params: { path: { id } },
      body: { draft, tone },
    });
    setAsking(false);
    if (!data) {
      setProblem(errorMessage(error, t.failed));
      return;
    }
    setPolished(data.text);
  }

  return (
    <div className={asNote ? "composer-area note" : "composer-area"}>
      {suggested && (
        <div className="chips" role="group" aria-label={t.suggestions}>
          {suggested.length === 0 && <span className="muted">{t.noSuggestions}</span>}
          {suggested.map((text, index) => (
            <button key={index} type="button" className="chip" dir="auto" onClick={() => {
              setDraft(text);
              box.current?.focus();
            }}>
              {text}
            </button>
          ))}
        </div>
      )}
      {matches.length > 0 && !chosen && (
        <ul className="canned-matches" aria-label={t.settingsCanned}>
          {matches.slice(0, 6).map((item) => (
            <li key={item.id}>
              <button type="button" onClick={() => setDraft(`/${item.short_code}`)}>
                <code dir="ltr">/{item.short_code}</code> <span dir="auto">{item.text}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {chosen && <p className="canned-preview" dir="auto">{chosen.text}</p>}
      {polished !== null && (
        <div className="polished" role="status">
          <p dir="auto">{polished}</p>
          <button type="button" onClick={() => {
            setDraft(polished);
            setPolished(null);
          }}>{t.usePolished}</button>
          <button type="button" onClick={() => setPolished(null)}>{t.dismiss}</button>
        </div>
      )}
      <form className="composer" onSubmit={(event) => void send(event)}>
        <textarea ref={box} name="reply" aria-label={asNote ? t.note : t.reply} dir="auto"
          placeholder={asNote ? t.writeNote : t.writeReply} value={draft}
          onChange={(event) => composing(event.target.value)}
          onKeyDown={(event) => {
            // Ctrl/⌘+Enter sends.
            if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
              event.preventDefault();
              void send();
            }
          }} />
        <button type="submit">{asNote ? t.addNote : t.send}</button>
      </form>
      <div className="composer-tools">
        <label className="as-note">
          <input type="checkbox" name="note" checked={asNote} onChange={(event) => setAsNote(event.target.checked)} />
          {t.note}
        </label>
        <button type="button" onClick={() => void suggest()} disabled={asking}>{t.suggestReplies}</button>
        <label>
          {t.tone}{" "}
          <select value={tone} onChange={(event) => setTone(event.target.value as (typeof TONES)[number])}>
            {TONES.map((name) => <option key={name} value={name}>{t[`tone_${name}`]}</option>)}
          </select>
        </label>
        <button type="button" onClick={() => void polish()} disabled={asking || !draft.trim() || Boolean(chosen)}>
          {t.polish}
        </button>
      </div>
      {problem && <p role="alert" className="problem">{problem}</p>}
    </div>
  );
}
