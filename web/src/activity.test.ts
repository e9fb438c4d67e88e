import { describe, expect, it } from "vitest";
import type { Message } from "./api/client";
import { activityText, reasonName } from "./activity";
import { catalogues } from "./i18n";

const activity = (fields: Partial<Message>): Message => ({
  id: "m", conversation_id: "c", direction: "out", sender: { kind: "system" }, kind: "activity",
  text: "English text", status: "sent", attachments: [], ...fields,
} as Message);

describe("what happened in a thread, in the reader's language", () => {
  it("says a claim and a transfer with its note in Arabic", () => {
    const ar = catalogues.ar;
    expect(activityText(ar, activity({ activity: { kind: "claimed" } }))).toBe("استلمها موظف");
    expect(activityText(ar, activity({
      activity: { kind: "assigned_to_team", to: "billing", note: "refund of 1042" },
    }))).toBe("أُسندت إلى فريق billing: refund of 1042");
  });

  it("says a handoff by its reason's code, with a rule's name", () => {
    const en = catalogues.en;
    expect(activityText(en, activity({ handoff: { reason: { code: "rule", rule: "billing" } } })))
      .toBe("Handed over by the AI: a handoff rule: billing");
    expect(reasonName(catalogues.ar, "human_requested")).toBe("طلب العميل التحدث مع موظف");
  });

  it("keeps the service's own text for a kind it does not know", () => {
    expect(activityText(catalogues.en, activity({ activity: { kind: "new_kind" } }))).toBe("English text");
    expect(reasonName(catalogues.en, "new_reason")).toBe("new_reason");
  });
});
