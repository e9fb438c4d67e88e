import { describe, expect, it } from "vitest";
import { errorMessage, fieldError } from "./errors";

const answer = (message: string) => ({ error: { code: "invalid_request", message } });

describe("the API's errors", () => {
  it("names the field an agent's error is about", () => {
    expect(fieldError(answer("agent: handoff.default_team: must name a team"), "x")).toEqual({
      field: "handoff.default_team", message: "must name a team",
    });
    expect(fieldError(answer("agent: lead.fields[2].pattern: bad"), "x").field).toBe("lead.fields[2].pattern");
  });

  it("keeps an error about no one field whole", () => {
    expect(fieldError(answer("agent: unknown field `colour`"), "x")).toEqual({
      field: null, message: "agent: unknown field `colour`",
    });
  });

  it("falls back when the answer is not the API's error", () => {
    expect(errorMessage(undefined, "Something went wrong.")).toBe("Something went wrong.");
    expect(errorMessage({ error: "text" }, "fallback")).toBe("fallback");
  });
});
