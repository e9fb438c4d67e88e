import { describe, expect, it } from "vitest";
import { compare, leaves, withDefaults, words } from "./config";

describe("an agent's configuration in the builder", () => {
  it("shows the defaults the agent runs with where the stored configuration is silent", () => {
    const config = withDefaults({ name: "Support", knowledge_base: "kb-1" });
    expect(config.tone).toBe("professional");
    expect(config.language).toBe("auto");
    expect(config.guardrails.refuse_personal_data).toBe(true);
    expect(config.handoff.default_team).toBe("support");
    expect(config.lead).toBeNull();
  });

  it("reads a bare blocked topic as a topic whose name is its keyword", () => {
    const config = withDefaults({ guardrails: { blocked_topics: ["politics"] } });
    expect(config.guardrails.blocked_topics).toEqual([{ name: "politics", keywords: ["politics"] }]);
  });

  it("keeps the fields it does not edit as they came", () => {
    const config = withDefaults({ memory: 4, handoff: { min_confidence: 0.7 } });
    expect(config.memory).toBe(4);
    expect(config.handoff.min_confidence).toBe(0.7);
  });

  it("compares two versions field by field, defaults included", () => {
    const before = { name: "Support", tone: "friendly", custom_answers: [] };
    const after = {
      name: "Support", custom_answers: [{ question: "Hours?", answer: "9 to 5" }],
    };
    expect(compare(before, after)).toEqual([
      { path: "custom_answers", before: "[]", after: null },
      { path: "custom_answers[0].answer", before: null, after: "9 to 5" },
      { path: "custom_answers[0].question", before: null, after: "Hours?" },
      { path: "tone", before: "friendly", after: "professional" },
    ]);
    expect(compare(before, before)).toEqual([]);
  });

  it("names every leaf by its path", () => {
    expect([...leaves({ a: { b: [1, 2] }, c: null })]).toEqual([
      ["a.b[0]", "1"], ["a.b[1]", "2"], ["c", "—"],
    ]);
  });

  it("splits words at Latin and Arabic commas", () => {
    expect(words("refund, استرداد، money back ,")).toEqual(["refund", "استرداد", "money back"]);
  });
});
