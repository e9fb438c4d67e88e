import { useEffect, useState } from "react";
import { api, type Contact, type Conversation } from "./api/client";
import { reasonName } from "./activity";
import { useLocale } from "./App";
import { ConversationControls } from "./ConversationControls";

type Handoff = { reason?: { code?: string } | string; summary?: string };

/** The third pane: who the customer is, and why the AI handed them over. */
export function ContactPane({ conversation, onChanged }: {
  conversation: Conversation;
  onChanged: () => void;
}) {
  const { t } = useLocale();
  const [contact, setContact] = useState<Contact | null>(null);

  useEffect(() => {
    let current = true;
    void api
      .GET("/v1/contacts/{id}", { params: { path: { id: conversation.contact_id } } })
      .then(({ data }) => {
        if (current) setContact(data ?? null);
      });
    return () => {
      current = false;
    };
  }, [conversation.contact_id]);

  const handoff = conversation.handoff as Handoff | null | undefined;
  const reason = typeof handoff?.reason === "string" ? handoff.reason : handoff?.reason?.code;
  return (
    <aside className="contact" aria-label={t.customer}>
      <h2 dir="auto">{contact?.name ?? t.customer}</h2>
      {contact && (
        <dl>
          {contact.language && (
            <div><dt>{t.contactLanguage}</dt><dd>{contact.language}</dd></div>
          )}
          {contact.phones.map((phone) => (
            <div key={phone}><dt>{t.phone}</dt><dd dir="ltr">{phone}</dd></div>
          ))}
          {contact.emails.map((email) => (
            <div key={email}><dt>{t.email}</dt><dd dir="ltr">{email}</dd></div>
          ))}
          {contact.identities.map((identity) => (
            <div key={identity.channel_id}>
              <dt>{t.channelId}</dt>
              <dd dir="ltr">
                {identity.external_id}
                {identity.unsubscribed_at ? ` · ${t.unsubscribed}` : null}
              </dd>
            </div>
          ))}
        </dl>
      )}
      <ConversationControls key={conversation.id} conversation={conversation} onChanged={onChanged} />
      {handoff && (
        <section className="handoff-card">
          <h3>{t.handoff}</h3>
          {reason && <p className="reason">{reasonName(t, reason)}</p>}
          {handoff.summary && <p dir="auto">{handoff.summary}</p>}
        </section>
      )}
    </aside>
  );
}
