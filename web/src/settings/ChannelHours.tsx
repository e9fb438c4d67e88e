import { useState, type FormEvent } from "react";
import { api, errorMessage } from "../api/client";
import { useLocale } from "../App";
import type { Words } from "../i18n";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
type Day = (typeof DAYS)[number];

type Routing = {
  handoff_teams?: Record<string, string>;
  business_hours?: { time_zone: string; days: Record<string, string[]> } | null;
  outside_hours?: { reply: "agent" } | { reply: "away_message"; text: string };
};

function dayName(t: Words, day: Day): string {
  const names: Record<Day, string> = {
    mon: t.dayMon, tue: t.dayTue, wed: t.dayWed, thu: t.dayThu, fri: t.dayFri, sat: t.daySat, sun: t.daySun,
  };
  return names[day];
}

/**
 * A channel's business hours (a time zone, and each day's open spans) and what a customer who
 * writes outside them gets: the AI agent, or an away message. The rest of the routing (which
 * team takes which handoff) is kept as it is.
 */
export function ChannelHours({ channelId, routing, onSaved }: {
  channelId: string;
  routing: Routing;
  onSaved: () => void;
}) {
  const { t } = useLocale();
  const hours = routing.business_hours ?? null;
  const [limited, setLimited] = useState(hours !== null);
  const [zone, setZone] = useState(hours?.time_zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [days, setDays] = useState<Record<Day, string>>(() =>
    Object.fromEntries(DAYS.map((day) => [day, (hours?.days[day] ?? []).join(", ")])) as Record<Day, string>);
  const outside = routing.outside_hours;
  const [away, setAway] = useState(outside?.reply === "away_message" ? outside.text : "");
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  async function save(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    setSaved(false);
    const spans = (text: string) => text.split(/[,،\s]+/).map((span) => span.trim()).filter(Boolean);
    const body = {
      handoff_teams: routing.handoff_teams ?? {},
      business_hours: limited
        ? {
          time_zone: zone.trim(),
          days: Object.fromEntries(DAYS.flatMap((day) => {
            const open = spans(days[day]);
            return open.length > 0 ? [[day, open]] : [];
          })),
        }
        : null,
      outside_hours: away.trim()
        ? { reply: "away_message" as const, text: away.trim() }
        : { reply: "agent" as const },
    };
    const { error } = await api.PUT("/v1/channels/{id}/routing", { params: { path: { id: channelId } }, body });
    if (error) {
      setProblem(errorMessage(error, t.failed));
      return;
    }
    setSaved(true);
    onSaved();
  }

  return (
    <form className="hours" onSubmit={(event) => void save(event)}>
      <label className="choice">
        <input type="checkbox" checked={limited} onChange={(event) => setLimited(event.target.checked)} />
        {t.limitHours}
      </label>
      {limited && (
        <>
          <label>{t.timeZone}<input dir="ltr" value={zone} onChange={(event) => setZone(event.target.value)} /></label>
          <p className="hint">{t.spansHint}</p>
          <div className="days">
            {DAYS.map((day) => (
              <label key={day}>
                {dayName(t, day)}
                <input dir="ltr" placeholder={t.closed} value={days[day]}
                  onChange={(event) => setDays((current) => ({ ...current, [day]: event.target.value }))} />
              </label>
            ))}
          </div>
          <label>{t.awayMessage}
            <textarea dir="auto" value={away} placeholder={t.awayMessageHint}
              onChange={(event) => setAway(event.target.value)} />
          </label>
        </>
      )}
      {problem && <p role="alert" className="problem">{problem}</p>}
      <div className="form-actions">
        {saved && <span className="saved" role="status">{t.saved}</span>}
        <button type="submit">{t.save}</button>
      </div>
    </form>
  );
}
