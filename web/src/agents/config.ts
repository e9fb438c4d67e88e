// An agent's configuration as the builder edits it. The API keeps what it was sent and fills
// the rest with its defaults when the agent runs; the builder shows those defaults and sends
// back every field it does not edit as it came.

export type BlockedTopic = { name: string; keywords: string[] };
export type CustomAnswer = { question: string; answer: string };
export type HandoffRule = {
  name: string; team: string; keywords: string[]; examples: string[]; threshold?: number;
};
export type LeadField = { name: string; weight: number; pattern?: string | null };

export type Config = {
  name: string;
  role: "support" | "sales" | "custom";
  goal: string;
  tone: string;
  response_length: "short" | "medium" | "detailed";
  language: string;
  knowledge_base: string;
  guardrails: {
    blocked_topics: BlockedTopic[];
    refuse_personal_data: boolean;
    rules: string[];
    max_promise: string | null;
  };
  custom_answers: CustomAnswer[];
  handoff: { default_team: string; sales_team: string; rules: HandoffRule[] } & Record<string, unknown>;
  lead: { fields: LeadField[]; hot_threshold: number } | null;
} & Record<string, unknown>;

type Loose = Record<string, unknown>;

function object(value: unknown): Loose {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Loose) : {};
}

function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

/** The stored configuration with the defaults the agent runs with where it is silent. */
export function withDefaults(stored: unknown): Config {
  const config = object(stored);
  const guardrails = object(config.guardrails);
  const handoff = object(config.handoff);
  const lead = config.lead == null ? null : object(config.lead);
  return {
    ...config,
    name: String(config.name ?? ""),
    role: (config.role as Config["role"] | undefined) ?? "support",
    goal: String(config.goal ?? ""),
    tone: String(config.tone ?? "professional"),
    response_length: (config.response_length as Config["response_length"] | undefined) ?? "medium",
    language: String(config.language ?? "auto"),
    knowledge_base: String(config.knowledge_base ?? "default"),
    guardrails: {
      ...guardrails,
      // A bare string is a topic whose name is its keyword.
      blocked_topics: list<BlockedTopic | string>(guardrails.blocked_topics).map((topic) =>
        typeof topic === "string" ? { name: topic, keywords: [topic] } : topic),
      refuse_personal_data: guardrails.refuse_personal_data !== false,
      rules: list<string>(guardrails.rules),
      max_promise: (guardrails.max_promise as string | null | undefined) ?? null,
    },
    custom_answers: list<CustomAnswer>(config.custom_answers),
    handoff: {
      ...handoff,
      default_team: String(handoff.default_team ?? "support"),
      sales_team: String(handoff.sales_team ?? "sales"),
      rules: list<HandoffRule>(handoff.rules),
    },
    lead: lead && {
      fields: list<LeadField>(lead.fields),
      hot_threshold: Number(lead.hot_threshold ?? 70),
    },
  };
}

/** Every leaf of a configuration by its path (`handoff.rules[0].team`), as text. */
export function leaves(value: unknown, path = "", into = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value)) {
    if (value.length === 0) into.set(path, "[]");
    value.forEach((item, index) => leaves(item, `${path}[${index}]`, into));
  } else if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Loose);
    if (entries.length === 0) into.set(path, "{}");
    for (const [key, item] of entries) leaves(item, path ? `${path}.${key}` : key, into);
  } else {
    into.set(path, value === null || value === undefined ? "—" : String(value));
  }
  return into;
}

export type Change = { path: string; before: string | null; after: string | null };

/** What differs between two configurations, field by field (both with their defaults). */
export function compare(before: unknown, after: unknown): Change[] {
  const old = leaves(withDefaults(before));
  const now = leaves(withDefaults(after));
  const paths = [...new Set([...old.keys(), ...now.keys()])].sort();
  return paths
    .filter((path) => old.get(path) !== now.get(path))
    .map((path) => ({ path, before: old.get(path) ?? null, after: now.get(path) ?? null }));
}

/** Words separated by commas (or Arabic commas), trimmed, without empties. */
export function words(text: string): string[] {
  return text.split(/[,،\n]/).map((word) => word.trim()).filter(Boolean);
}
