import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, errorMessage, type Agent, type Turn } from "../api/client";
import { reasonName } from "../activity";
import { useLocale } from "../App";

type Exchange = { question: string; turn: Turn | null; problem: string | null };
type Rated = { rating: "up" | "down"; correction: string | null };

/** One answer of the agent: what it said (or that it handed over), its sources, its trace. */
function Answer({ exchange, onCorrection }: {
  exchange: Exchange;
  onCorrection: (question: string, answer: string) => void;
}) {
  const { t, locale } = useLocale();
  const turn = exchange.turn;
  const [rated, setRated] = useState<Rated | null>(null);
  const [correcting, setCorrecting] = useState(false);
  const [correction, setCorrection] = useState("");
  const [asAnswer, setAsAnswer] = useState(true);
  const [problem, setProblem] = useState<string | null>(null);

  if (exchange.problem) return <li className="message in failed"><p role="alert" className="problem">{exchange.problem}</p></li>;
  if (!turn) return <li className="message in" aria-busy="true"><p className="muted">{t.aiTyping}</p></li>;

  async function rate(rating: "up" | "down", text: string | null) {
    if (!turn) return;
    setProblem(null);
    const { error } = await api.POST("/v1/turns/{id}/feedback", {
      params: { path: { id: turn.id } },
      body: { rating, correction: text },
    });
    if (error) {
      setProblem(errorMessage(error, t.failed));
      return;
    }
    setRated({ rating, correction: text });
    setCorrecting(false);
    if (text && asAnswer) onCorrection(exchange.question, text);
  }

  const reason = turn.reason as { code?: string; topic?: string; rule?: string } | undefined;
  const trace = turn.trace;
  return (
    <li className={turn.action === "handoff" ? "message in handoff-turn" : "message in"}>
      <span className="sender">{t.ai}</span>
      {turn.action === "handoff" ? (
        <>
          <p className="handoff">
            <strong>{t.handoffTo.replace("{team}", turn.team ?? "")}</strong>
            {reason?.code ? ` · ${reasonName(t, reason.code)}${reason.topic ? `: ${reason.topic}` : ""}${reason.rule ? `: ${reason.rule}` : ""}` : null}
          </p>
          {turn.message && <p dir="auto">{turn.message}</p>}
          {turn.summary && <p className="muted" dir="auto">{turn.summary}</p>}
        </>
      ) : (
        <p dir="auto">{turn.text}</p>
      )}
      {(turn.citations ?? []).length > 0 && (
        <details className="sources" open>
          <summary>{t.sources}</summary>
          <ol>
            {(turn.citations ?? []).map((citation) => (
              <li key={citation.number} dir="auto">
                [{citation.number}] {citation.source}{citation.position ? ` · ${citation.position}` : null}
                <blockquote dir="auto">{citation.quote}</blockquote>
              </li>
            ))}
          </ol>
        </details>
      )}
      <details className="trace">
        <summary>{t.trace}</summary>
        <dl>
          {turn.origin && <><dt>{t.traceOrigin}</dt><dd>{turn.origin}</dd></>}
          <dt>{t.traceLanguage}</dt><dd>{turn.language}</dd>
          {trace.retrieval_query && <><dt>{t.traceQuery}</dt><dd dir="auto">{trace.retrieval_query}</dd></>}
          {trace.confidence && (
            <>
              <dt>{t.traceConfidence}</dt>
              <dd dir="ltr">
                {Object.entries(trace.confidence).map(([key, value]) =>
                  `${key} ${Number(value).toLocaleString(locale, { maximumFractionDigits: 3 })}`).join(" · ")}
              </dd>
            </>
          )}
          {trace.guardrails.length > 0 && (
            <><dt>{t.traceGuardrails}</dt><dd dir="ltr">{JSON.stringify(trace.guardrails)}</dd></>
          )}
        </dl>
        <ol className="passages">
          {trace.retrieved.map((passage) => (
            <li key={passage.number} dir="auto">
              <span dir="ltr">{passage.score.toLocaleString(locale, { maximumFractionDigits: 3 })}</span>
              {" "}{passage.source}{passage.position ? ` · ${passage.position}` : null}
              <p>{passage.text}</p>
            </li>
          ))}
        </ol>
      </details>
      <div className="rating">
        {rated ? (
          <span role="status">{rated.rating === "up" ? t.ratedUp : t.ratedDown}</span>
        ) : (
          <>
            <button type="button" aria-label={t.thumbsUp} title={t.thumbsUp} onClick={() => void rate("up", null)}>👍</button>
            <button type="button" aria-label={t.thumbsDown} title={t.thumbsDown} aria-expanded={correcting}
              onClick={() => setCorrecting(true)}>👎</button>
          </>
        )}
      </div>
      {correcting && !rated && (
        <form className="correction" onSubmit={(event) => {
          event.preventDefault();
          void rate("down", correction.trim() || null);
        }}>
          <label htmlFor={`correction-${turn.id}`}>{t.correction}</label>
          <textarea id={`correction-${turn.id}`} name="correction" dir="auto" value={correction}
            onChange={(event) => setCorrection(event.target.value)} />
          <label className="choice">
            <input type="checkbox" name="as_answer" checked={asAnswer} onChange={(event) => setAsAnswer(event.target.checked)} />
            {t.correctionAsAnswer}
          </label>
          <button type="submit">{t.sendRating}</button>
        </form>
      )}
      {problem && <p role="alert" className="problem">{problem}</p>}
    </li>
  );
}

/** A chat with the agent's latest version, as a customer would have it, with the trace. */
export function TestChat({ agent, onCorrection }: {
  agent: Agent;
  onCorrection: (question: string, answer: string) => void;
}) {
  const { t, locale } = useLocale();
  const [exchanges, setExchanges] = useState<Exchange[]>([]);
  const [draft, setDraft] = useState("");
  const list = useRef<HTMLOListElement>(null);

  useEffect(() => {
    list.current?.scrollTo({ top: list.current.scrollHeight });
  }, [exchanges]);

  async function send(event: FormEvent) {
    event.preventDefault();
    const question = draft.trim();
    if (!question) return;
    setDraft("");
    // The conversation so far, as the agent reads it.
    const history = exchanges.flatMap((exchange) => exchange.turn
      ? [
        { author: "customer" as const, text: exchange.question },
        { author: "agent" as const, text: exchange.turn.text ?? exchange.turn.message ?? "" },
      ]
      : []);
    const at = exchanges.length;
    setExchanges((shown) => [...shown, { question, turn: null, problem: null }]);
    const { data, error } = await api.POST("/v1/agents/{id}/messages", {
      params: { path: { id: agent.id } },
      body: { message: question, history },
    });
    setExchanges((shown) => shown.map((exchange, index) => index === at
      ? { ...exchange, turn: typeof data === "object" ? data : null, problem: data ? null : errorMessage(error, t.failed) }
      : exchange));
  }

  return (
    <aside className="test-chat" aria-labelledby="test-chat-title">
      <h2 id="test-chat-title">{t.testChat}</h2>
      <p className="muted">{t.testChatIntro.replace("{n}", agent.version.toLocaleString(locale))}</p>
      <ol className="messages" ref={list} tabIndex={0} aria-label={t.testChat}>
        {exchanges.map((exchange, index) => (
          <li key={index} className="exchange">
            <ol>
              <li className="message out"><span className="sender">{t.customer}</span><p dir="auto">{exchange.question}</p></li>
              <Answer exchange={exchange} onCorrection={onCorrection} />
            </ol>
          </li>
        ))}
      </ol>
      <form className="composer" onSubmit={(event) => void send(event)}>
        <textarea name="test-message" aria-label={t.testMessage} dir="auto" placeholder={t.testMessage}
          value={draft} onChange={(event) => setDraft(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter" && !event.shiftKey) {
              event.preventDefault();
              event.currentTarget.form?.requestSubmit();
            }
          }} />
        <button type="submit">{t.send}</button>
      </form>
    </aside>
  );
}
