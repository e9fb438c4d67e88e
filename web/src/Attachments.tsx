import { useEffect, useState } from "react";
import { sessionToken, type Message } from "./api/client";
import { useLocale } from "./App";

type Attachment = Message["attachments"][number];

/**
 * A file of the conversation, read with the person's session (an `<img src>` could not send
 * it), kept as a local object URL while it is on the screen.
 */
function useFile(conversationId: string, attachment: Attachment, wanted: boolean): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!wanted) return;
    let made: string | null = null;
    let still = true;
    const path = `/v1/conversations/${encodeURIComponent(conversationId)}/attachments/${attachment.checksum}`;
    void fetch(path, { headers: { Authorization: `Bearer ${sessionToken() ?? ""}` } })
      .then((response) => (response.ok ? response.blob() : null))
      .then((blob) => {
        if (!blob || !still) return;
        made = URL.createObjectURL(blob);
        setUrl(made);
      });
    return () => {
      still = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [conversationId, attachment.checksum, wanted]);
  return url;
}

function File({ conversationId, attachment }: { conversationId: string; attachment: Attachment }) {
  const { t, locale } = useLocale();
  const image = attachment.content_type.startsWith("image/");
  const [asked, setAsked] = useState(false);
  const url = useFile(conversationId, attachment, image || asked);
  const size = new Intl.NumberFormat(locale, { style: "unit", unit: "kilobyte", maximumFractionDigits: 0 })
    .format(Math.max(1, attachment.bytes / 1024));
  if (image && url) {
    return (
      <a href={url} download={attachment.name} className="attachment image">
        <img src={url} alt={attachment.name} />
      </a>
    );
  }
  return url ? (
    <a href={url} download={attachment.name} className="attachment">
      <span dir="auto">{attachment.name}</span> · {size}
    </a>
  ) : (
    <button type="button" className="attachment" onClick={() => setAsked(true)}
      aria-label={`${t.download} ${attachment.name}`}>
      <span dir="auto">{attachment.name}</span> · {size}
    </button>
  );
}

/** The files a message carries: images shown, other files a click away. */
export function Attachments({ message }: { message: Message }) {
  if (message.attachments.length === 0) return null;
  return (
    <div className="attachments">
      {message.attachments.map((attachment) => (
        <File key={attachment.checksum} conversationId={message.conversation_id} attachment={attachment} />
      ))}
    </div>
  );
}
