// The inbox's live events (`GET /v1/events`, Server-Sent Events). A browser's EventSource
// cannot send the session's Authorization header, so the stream is read through fetch; it
// resumes after the last event seen (`Last-Event-ID`) when the connection drops.
import { sessionToken } from "./client";

export type InboxEvent = { id: string; kind: string; data: unknown };

export function followEvents(
  onEvent: (event: InboxEvent) => void,
  onLive: (live: boolean) => void,
): () => void {
  const stop = new AbortController();
  let last: string | null = null;
  let wait = 1000;

  async function readOnce(): Promise<void> {
    const headers: Record<string, string> = { Authorization: `Bearer ${sessionToken() ?? ""}` };
    if (last) headers["Last-Event-ID"] = last;
    const response = await fetch("/v1/events", { headers, signal: stop.signal });
    if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
    onLive(true);
    wait = 1000;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        const field = (name: string) =>
          block
            .split("\n")
            .find((line) => line.startsWith(`${name}:`))
            ?.slice(name.length + 1)
            .trim();
        const id = field("id");
        const kind = field("event");
        const data = field("data");
        if (id && kind && data) {
          last = id;
          onEvent({ id, kind, data: JSON.parse(data) as unknown });
        }
      }
    }
  }

  void (async () => {
    while (!stop.signal.aborted) {
      try {
        await readOnce();
      } catch {
        if (stop.signal.aborted) return;
      }
      onLive(false);
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 30000);
    }
  })();
  return () => stop.abort();
}
