// A program a business would write against the generated types: if the OpenAPI description
// loses a schema (a body typed `Record<string, never>`, a response without a type), this stops
// type-checking under `tsc --strict`.
import type { components, paths } from "./generated/api";

type Schemas = components["schemas"];
type Json<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { "application/json": infer Body } };
}
  ? Body
  : never;

const base = "http://127.0.0.1:8080";

async function call<T>(path: string, init: RequestInit): Promise<T> {
  const response = await fetch(base + path, init);
  if (!response.ok) {
    const failure = (await response.json()) as Schemas["ErrorBody"];
    throw new Error(`${failure.error.code} (${failure.error.type}): ${failure.error.message}`);
  }
  return (await response.json()) as T;
}

function post<T>(path: string, key: string, body: unknown): Promise<T> {
  return call<T>(path, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

export async function askAnAgent(key: string, agent: string): Promise<string> {
  const request: Json<"/v1/agents/{id}/messages", "post"> = {
    message: "هل توصلون إلى أبوظبي؟",
    history: [{ author: "customer", text: "Hello" }, { author: "agent", text: "Hi!" }],
    contact: { name: "Layla", fields: { city: "Dubai" } },
  };
  const turn = await post<Schemas["Turn"]>(`/v1/agents/${agent}/messages`, key, request);
  if (turn.action === "handoff") {
    return `handed to ${turn.team ?? "?"}: ${turn.summary ?? ""}`;
  }
  const cited = (turn.citations ?? []).map((citation) => `${citation.source} (${citation.position})`);
  return `${turn.text ?? ""} — ${cited.join(", ")} — ${turn.credits} credit(s), ${turn.trace.retrieved.length} passages`;
}

export async function chat(key: string, agent: string): Promise<string> {
  const request: Schemas["ChatRequest"] = {
    model: agent,
    messages: [
      { role: "system", content: "ignored" },
      { role: "user", content: [{ type: "text", text: "How much is delivery?" }] },
    ],
    stream_options: { include_usage: true },
  };
  const completion = await post<Schemas["ChatCompletion"]>("/v1/chat/completions", key, request);
  const first = completion.choices[0];
  const tokens = completion.usage?.total_tokens ?? 0;
  const sources = (completion.citations ?? []).map((citation) => citation.source);
  return `${first?.message?.content ?? ""} (${tokens} tokens; ${sources.join(", ")})`;
}

export async function models(key: string): Promise<string[]> {
  const list = await call<Schemas["ModelList"]>("/v1/models", {
    headers: { Authorization: `Bearer ${key}` },
  });
  return list.data.map((model) => `${model.id} ${model.name}`);
}

export async function setUp(key: string): Promise<Schemas["SourceView"]> {
  const knowledgeBase = await post<Schemas["KnowledgeBase"]>("/v1/knowledge-bases", key, {
    name: "FAQ",
  } satisfies Schemas["CreateKnowledgeBase"]);
  const form = new FormData();
  form.append("file", new Blob(["Delivery is free in Dubai."]), "faq.txt");
  const source = await call<Schemas["SourceView"]>(
    `/v1/knowledge-bases/${knowledgeBase.id}/sources`,
    { method: "POST", headers: { Authorization: `Bearer ${key}` }, body: form },
  );
  const person: Schemas["CreateUser"] = {
    email: "mona@example.com",
    password: "a long enough password",
    role: "team_admin",
  };
  await post<Schemas["User"]>("/v1/users", key, person);
  const suggestion: Schemas["SuggestionsRequest"] = { message: "Where is my order?", history: [] };
  const suggested = await post<Schemas["Suggestions"]>(`/v1/agents/x/suggestions`, key, suggestion);
  return suggested.replies.length > 0 ? source : { ...source, status: source.status };
}
