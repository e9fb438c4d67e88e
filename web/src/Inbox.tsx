import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { api, errorMessage, type Conversation, type Message, type User } from "./api/client";
import { followEvents } from "./api/events";
import { useLocale } from "./App";
import { formatSince, formatTime, type Words } from "./i18n";
import { ContactPane } from "./ContactPane";
import { VirtualRows } from "./VirtualRows";

type View = "all" | "mine" | "teams" | "unassigned" | "handoffs";

/** How many conversations a page of the list holds. */
const PAGE = 50;
/** A conversation's row in the list, in pixels (the list draws only the rows in view). */
const ROW_HEIGHT = 64;

function statusName(t: Words, status: Conversation["status"]): string {
  switch (status) {
    case "open":
      return t.statusOpen;
    case "pending":
      return t.statusBot;
    case "resolved":
      return t.statusResolved;
    default:
      return t.statusSnoozed;
  }
}

function deliveryName(t: Words, status: Message["status"]): string {
  switch (status) {
    case "queued":
      return t.deliveryQueued;
    case "sent":
      return t.deliverySent;
    case "delivered":
      return t.deliveryDelivered;
    case "read":
      return t.deliveryRead;
    default:
      return t.deliveryFailed;
  }
}

type Handoff = { reason?: { code?: string } | string; summary?: string };

/** What a message carries beside its text: an AI reply's sources, a handoff's reason. */
function Extras({ message }: { message: Message }) {
  const { t } = useLocale();
  const citations = message.citations ?? [];
  const handoff = message.handoff as Handoff | null | undefined;
  return (
    <>
      {handoff && (
        <p className="handoff">
          <strong>{t.handoff}</strong>
          {handoff.summary ? `: ${handoff.summary}` : null}
        </p>
      )}
      {citations.length > 0 && (
        <details className="sources">
          <summary>{t.sources}</summary>
          <ol>
            {citations.map((citation) => (
              <li key={citation.number} dir="auto">
                [{citation.number}] {citation.source}
                {citation.position ? ` · ${citation.position}` : null}
              </li>
            ))}
          </ol>
        </details>
      )}
    </>
  );
}

function senderName(t: Words, message: Message): string {
  switch (message.sender.kind) {
    case "contact":
      return t.customer;
    case "agent":
      return t.ai;
    case "user":
      return t.person;
    default:
      return t.system;
  }
}

/** The inbox: the conversation list, the thread, the reply; kept current by live events. */
export function Inbox({ user }: { user: User }) {
  const { t, language } = useLocale();
  const [view, setView] = useState<View>(user.role === "admin" ? "all" : "mine");
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  const [next, setNext] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [live, setLive] = useState(false);
  const [draft, setDraft] = useState("");
  const [asNote, setAsNote] = useState(false);
  // Who is typing in the open conversation (the customer, the AI), as the live events say.
  const [typing, setTyping] = useState<string | null>(null);
  const typingSent = useRef(0);
  const thread = useRef<HTMLOListElement>(null);

  // The newest message in view, as a chat shows it.
  useEffect(() => {
    thread.current?.scrollTo({ top: thread.current.scrollHeight });
  }, [messages]);
  const [problem, setProblem] = useState<string | null>(null);

  // Each bump reads the list (or the open thread) again: live events bump them.
  const [listRead, setListRead] = useState(0);
  const [threadRead, setThreadRead] = useState(0);
  const openNow = useRef(open);
  useEffect(() => {
    openNow.current = open;
  }, [open]);

  // The search is asked once typing pauses.
  useEffect(() => {
    const pause = setTimeout(() => setQuery(search.trim()), 300);
    return () => clearTimeout(pause);
  }, [search]);

  useEffect(() => {
    let current = true;
    const q = query || undefined;
    void api
      .GET("/v1/conversations", { params: { query: { view, q, limit: PAGE } } })
      .then(({ data, response }) => {
        if (!current || !data) return;
        setConversations(data);
        setNext(response.headers.get("X-Next-Cursor"));
      });
    return () => {
      current = false;
    };
  }, [view, query, listRead]);

  // The next page, once, as the end of the list comes into view.
  const asking = useRef<string | null>(null);
  const more = useCallback(async () => {
    if (!next || asking.current === next) return;
    asking.current = next;
    const q = query || undefined;
    const { data, response } = await api.GET("/v1/conversations", {
      params: { query: { view, q, limit: PAGE, cursor: next } },
    });
    if (!data) return;
    setConversations((shown) => [...shown, ...data]);
    setNext(response.headers.get("X-Next-Cursor"));
  }, [next, query, view]);
  const nearEnd = useCallback(() => void more(), [more]);

  useEffect(() => {
    if (!open) return;
    let current = true;
    void api
      .GET("/v1/conversations/{id}/messages", { params: { path: { id: open } } })
      .then(async ({ data }) => {
        if (!current || !data) return;
        setMessages(data);
        // What the person sees is read: the list's unread badge goes.
        await api.POST("/v1/conversations/{id}/read", { params: { path: { id: open } } });
        if (current) setListRead((read) => read + 1);
      });
    return () => {
      current = false;
    };
  }, [open, threadRead]);

  useEffect(
    () =>
      followEvents((event) => {
        const said = event.data as { conversation_id?: string; by?: string; typing?: boolean };
        const here = said.conversation_id !== undefined && said.conversation_id === openNow.current;
        if (event.kind === "conversation.typing") {
          if (here && said.by !== "user") setTyping(said.typing ? (said.by ?? null) : null);
          return;
        }
        setListRead((read) => read + 1);
        if (here) {
          setThreadRead((read) => read + 1);
          if (event.kind === "message.created") setTyping(null);
        }
      }, setLive),
    [],
  );

  // The customer sees a person typing (on the web chat): at most one word of it every 3 s.
  function composing(text: string) {
    setDraft(text);
    if (!open || asNote || Date.now() - typingSent.current < 3000) return;
    typingSent.current = Date.now();
    void api.POST("/v1/conversations/{id}/typing", {
      params: { path: { id: open } },
      body: { typing: true },
    });
  }

  async function reply(event: FormEvent) {
    event.preventDefault();
    if (!open || !draft.trim()) return;
    setProblem(null);
    const { error } = await api.POST("/v1/conversations/{id}/messages", {
      params: { path: { id: open } },
      body: { text: draft, kind: asNote ? "note" : "text" },
    });
    if (error) {
      setProblem(errorMessage(error, t.failed));
      return;
    }
    setDraft("");
    setThreadRead((read) => read + 1);
  }

  async function act(action: "claim" | "resolved" | "open") {
    if (!open) return;
    setProblem(null);
    const path = { params: { path: { id: open } } };
    const { error } =
      action === "claim"
        ? await api.POST("/v1/conversations/{id}/claim", path)
        : await api.POST("/v1/conversations/{id}/status", { ...path, body: { status: action } });
    if (error) setProblem(errorMessage(error, t.failed));
    setListRead((read) => read + 1);
  }

  const views: [View, string][] = [
    ...(user.role === "admin" ? [["all", t.viewAll] as [View, string]] : []),
    ["mine", t.viewMine],
    ["teams", t.viewTeams],
    ["unassigned", t.viewUnassigned],
    ["handoffs", t.viewHandoffs],
  ];
  const current = conversations.find((conversation) => conversation.id === open);
  return (
    <main className="inbox">
      <nav className="list" aria-label={t.inbox}>
        <div className="views" role="tablist">
          {views.map(([name, label]) => (
            <button key={name} type="button" role="tab" aria-selected={view === name}
              onClick={() => setView(name)}>
              {label}
            </button>
          ))}
        </div>
        <input type="search" name="search" className="search" placeholder={t.search}
          aria-label={t.search} dir="auto" value={search}
          onChange={(event) => setSearch(event.target.value)} />
        <p className={live ? "live" : "live off"}>{live ? t.live : t.offline}</p>
        {conversations.length === 0 && <p className="empty">{t.noConversations}</p>}
        <VirtualRows items={conversations} rowHeight={ROW_HEIGHT} label={t.inbox}
          keyOf={(conversation) => conversation.id} onNearEnd={nearEnd}
          render={(conversation) => (
              <button type="button" className="conversation" aria-current={conversation.id === open}
                onClick={() => {
                  setOpen(conversation.id);
                  setTyping(null);
                }}>
                <span className="number">#{conversation.number.toLocaleString(language)}</span>
                <span className="status">{statusName(t, conversation.status)}</span>
                {conversation.unread ? <span className="badge">{conversation.unread}</span> : null}
                <time>{formatTime(language, conversation.last_activity_at)}</time>
                {conversation.waiting_since && conversation.status === "open" ? (
                  <span className="waiting">
                    {t.waiting.replace("{time}", formatSince(language, conversation.waiting_since))}
                  </span>
                ) : null}
              </button>
          )} />
      </nav>
      <section className="thread" aria-label={current ? `#${current.number}` : t.inbox}>
        {!current && <p className="empty">{t.chooseConversation}</p>}
        {current && (
          <>
            <div className="actions">
              <strong>#{current.number.toLocaleString(language)}</strong>
              <span className="status">{statusName(t, current.status)}</span>
              <span className="grow" />
              {current.owner.kind !== "user" && (
                <button type="button" onClick={() => void act("claim")}>{t.claim}</button>
              )}
              {current.status === "resolved" ? (
                <button type="button" onClick={() => void act("open")}>{t.reopen}</button>
              ) : (
                <button type="button" onClick={() => void act("resolved")}>{t.resolve}</button>
              )}
            </div>
            <ol className="messages" ref={thread}>
              {messages.map((message) => (
                <li key={message.id} className={`message ${message.direction} ${message.kind}`}>
                  <span className="sender">{senderName(t, message)}</span>
                  <p dir="auto">{message.text}</p>
                  <Extras message={message} />
                  <time>{formatTime(language, message.created_at)}</time>
                  {message.direction === "out" && message.kind !== "note" &&
                    message.kind !== "activity" && (
                    <span className={`delivery ${message.status}`} title={message.error ?? ""}>
                      {deliveryName(t, message.status)}
                    </span>
                  )}
                </li>
              ))}
            </ol>
            {typing && (
              <p className="typing" aria-live="polite">
                {typing === "contact" ? t.customerTyping : t.aiTyping}
              </p>
            )}
            <form className={asNote ? "composer note" : "composer"}
              onSubmit={(event) => void reply(event)}>
              <label className="as-note">
                <input type="checkbox" name="note" checked={asNote}
                  onChange={(event) => setAsNote(event.target.checked)} />
                {t.note}
              </label>
              <textarea name="reply" aria-label={asNote ? t.note : t.reply} dir="auto"
                placeholder={asNote ? t.writeNote : t.writeReply}
                value={draft} onChange={(event) => composing(event.target.value)} />
              <button type="submit">{t.send}</button>
            </form>
            {problem && <p role="alert" className="problem">{problem}</p>}
          </>
        )}
      </section>
      {current && <ContactPane conversation={current} />}
    </main>
  );
}
