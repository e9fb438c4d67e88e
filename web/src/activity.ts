// What the inbox's states and activities are called in the reader's language: the API gives
// codes (a status, a handoff's reason, an activity's `kind` and what it names) beside its
// English text.
import type { Message } from "./api/client";
import type { Words } from "./i18n";

type Described = { kind?: string; to?: string; note?: string | null; agent?: string; status?: string };
type Handoff = { reason?: { code?: string; topic?: string; rule?: string } | string };

/** A handoff reason's code in words. */
export function reasonName(t: Words, code: string | undefined): string {
  const names: Record<string, string> = {
    human_requested: t.reasonHumanRequested,
    low_confidence: t.reasonLowConfidence,
    blocked_topic: t.reasonBlockedTopic,
    complaint: t.reasonComplaint,
    hot_lead: t.reasonHotLead,
    rule: t.reasonRule,
    ungrounded: t.reasonUngrounded,
    agent_failed: t.reasonAgentFailed,
    media_received: t.reasonMediaReceived,
  };
  return (code && names[code]) ?? code ?? "";
}

/** A conversation's status in words. */
export function statusName(t: Words, status: string | undefined): string {
  switch (status) {
    case "open":
      return t.statusOpen;
    case "pending":
      return t.statusBot;
    case "resolved":
      return t.statusResolved;
    case "snoozed":
      return t.statusSnoozed;
    default:
      return status ?? "";
  }
}

/** The activity's text for this reader, or its English text when the kind is not known here. */
export function activityText(t: Words, message: Message): string {
  const handoff = message.handoff as Handoff | null | undefined;
  if (handoff) {
    const reason = handoff.reason;
    const code = typeof reason === "string" ? reason : reason?.code;
    const detail = typeof reason === "object" ? reason.topic ?? reason.rule : undefined;
    return t.actHandoff.replace("{reason}", reasonName(t, code) + (detail ? `: ${detail}` : ""));
  }
  const said = message.activity as Described | null | undefined;
  const withNote = (text: string) => (said?.note ? `${text}: ${said.note}` : text);
  switch (said?.kind) {
    case "claimed":
      return t.actClaimed;
    case "assigned":
      return withNote(t.actAssigned.replace("{to}", said.to ?? ""));
    case "assigned_to_team":
      return withNote(t.actAssignedTeam.replace("{to}", said.to ?? ""));
    case "unassigned":
      return t.actUnassigned;
    case "auto_assigned":
      return t.actAutoAssigned;
    case "handed_back":
      return t.actHandedBack.replace("{agent}", said.agent ?? "");
    case "status":
      return t.actStatus.replace("{status}", statusName(t, said.status));
    case "snooze_ended":
      return t.actSnoozeEnded;
    default:
      return message.text;
  }
}
