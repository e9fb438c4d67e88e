import { useCallback, useEffect, useRef, useState } from "react";
import { api, errorMessage, type Conversation, type Message, type User } from "./api/client";
import { followEvents } from "./api/events";
import { useLocale } from "./App";
import { formatSince, formatTime, type Words } from "./i18n";
import { activityText, statusName } from "./activity";
import { Attachments } from "./Attachments";
import { Composer } from "./Composer";
import { ContactPane } from "./ContactPane";
import { FilterBar, type Filters } from "./FilterBar";
import { VirtualRows } from "./VirtualRows";

type View = "all" | "mine" | "teams" | "unassigned" | "handoffs";

/** How many conversations a page of the list holds. */
const PAGE = 50;
/** A conversation's row in the list, in pixels (the list draws only the rows in view). */
const ROW_HEIGHT = 64;

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
  const { t, locale } = useLocale();
  const [view, setView] = useState<View>(user.role === "admin" ? "all" : "mine");
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  const [next, setNext] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [live, setLive] = useState(false);
  const [filters, setFilters] = useState<Filters>({});
  // Who is typing in the open conversation (the customer, the AI), as the live events say.
  const [typing, setTyping] = useState<string | null>(null);
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
      .GET("/v1/conversations", { params: { query: { view, q, limit: PAGE, ...filters } } })
      .then(({ data, response }) => {
        if (!current || !data) return;
        setConversations(data);
        setNext(response.headers.get("X-Next-Cursor"));
      });
    return () => {
      current = false;
    };
  }, [view, query, filters, listRead]);

  // The next page, once, as the end of the list comes into view.
  const asking = useRef<string | null>(null);
  const more = useCallback(async () => {
    if (!next || asking.current === next) return;
    asking.current = next;
    const q = query || undefined;
    const { data, response } = await api.GET("/v1/conversations", {
      params: { query: { view, q, limit: PAGE, cursor: next, ...filters } },
    });
    if (!data) return;
    setConversations((shown) => [...shown, ...data]);
    setNext(response.headers.get("X-Next-Cursor"));
  }, [next, query, view, filters]);
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

  // The open conversation as it is now, read by itself: it stays open when a change takes it
  // out of the list's view (taken out of the handoff queue, resolved under "open").
  const [current, setCurrent] = useState<Conversation | null>(null);
  useEffect(() => {
    if (!open) return;
    let still = true;
    void api.GET("/v1/conversations/{id}", { params: { path: { id: open } } }).then(({ data }) => {
      if (still && data) setCurrent(data);
    });
    return () => {
      still = false;
    };
  }, [open, threadRead, listRead]);

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

  // Keyboard: j/k the next or previous conversation, r the reply box, / the search, c take
  // it, e resolve (not while typing in a field).
  useEffect(() => {
    function shortcut(event: KeyboardEvent) {
      const target = event.target as HTMLElement | null;
      if (event.ctrlKey || event.metaKey || event.altKey || target?.closest("input, textarea, select")) return;
      const at = conversations.findIndex((conversation) => conversation.id === open);
      const step = { j: 1, k: -1 }[event.key];
      if (step !== undefined) {
        const next = conversations[Math.max(0, Math.min(conversations.length - 1, at + step))];
        if (next) {
          setOpen(next.id);
          setCurrent(next);
          setTyping(null);
        }
      } else if (event.key === "r") {
        document.querySelector<HTMLTextAreaElement>("textarea[name=reply]")?.focus();
      } else if (event.key === "/") {
        document.querySelector<HTMLInputElement>("input[name=search]")?.focus();
      } else if (event.key === "c") {
        void act("claim");
      } else if (event.key === "e") {
        void act("resolved");
      } else {
        return;
      }
      event.preventDefault();
    }
    window.addEventListener("keydown", shortcut);
    return () => window.removeEventListener("keydown", shortcut);
  });

  const views: [View, string][] = [
    ...(user.role === "admin" ? [["all", t.viewAll] as [View, string]] : []),
    ["mine", t.viewMine],
    ["teams", t.viewTeams],
    ["unassigned", t.viewUnassigned],
    ["handoffs", t.viewHandoffs],
  ];
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
        <FilterBar filters={filters} onChange={setFilters} />
        <p className={live ? "live" : "live off"}>{live ? t.live : t.offline}</p>
        {conversations.length === 0 && <p className="empty">{t.noConversations}</p>}
        <VirtualRows items={conversations} rowHeight={ROW_HEIGHT} label={t.inbox}
          keyOf={(conversation) => conversation.id} onNearEnd={nearEnd}
          render={(conversation) => (
              <button type="button" className="conversation" aria-current={conversation.id === open}
                onClick={() => {
                  setOpen(conversation.id);
                  setCurrent(conversation);
                  setTyping(null);
                }}>
                <span className="line">
                  <span className="who" dir="auto">{conversation.contact_name ?? t.customer}</span>
                  <span className="number">#{conversation.number.toLocaleString(locale)}</span>
                  {conversation.unread
                    ? <span className="badge">{conversation.unread.toLocaleString(locale)}</span>
                    : null}
                  <time>{formatTime(locale, conversation.last_activity_at)}</time>
                </span>
                <span className="line">
                  <span className="preview" dir="auto">{conversation.preview ?? ""}</span>
                  {conversation.waiting_since && conversation.status === "open" ? (
                    <span className="waiting">
                      {t.waiting.replace("{time}", formatSince(locale, conversation.waiting_since))}
                    </span>
                  ) : (
                    <span className="status">{statusName(t, conversation.status)}</span>
                  )}
                </span>
              </button>
          )} />
      </nav>
      <section className="thread" aria-label={current ? `#${current.number}` : t.inbox}>
        {!current && <p className="empty">{t.chooseConversation}</p>}
        {current && (
          <>
            <div className="actions">
              <strong dir="auto">{current.contact_name ?? t.customer}</strong>
              <span className="number">#{current.number.toLocaleString(locale)}</span>
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
            {/* Focusable, so the thread scrolls from the keyboard too. */}
            <ol className="messages" ref={thread} tabIndex={0} aria-label={t.messages}>
              {messages.map((message) => (
                <li key={message.id} className={`message ${message.direction} ${message.kind}`}>
                  <span className="sender">{senderName(t, message)}</span>
                  <p dir="auto">{message.kind === "activity" ? activityText(t, message) : message.text}</p>
                  <Attachments message={message} />
                  <Extras message={message} />
                  <time>{formatTime(locale, message.created_at)}</time>
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
            <Composer key={current.id} conversation={current} onSent={() => setThreadRead((read) => read + 1)} />
            {problem && <p role="alert" className="problem">{problem}</p>}
          </>
        )}
      </section>
      {current && <ContactPane conversation={current} onChanged={() => setListRead((read) => read + 1)} />}
    </main>
  );
}
