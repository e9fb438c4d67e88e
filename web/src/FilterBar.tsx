import { useEffect, useState } from "react";
import { api, type Conversation } from "./api/client";
import { useLocale } from "./App";

export type Filters = {
  status?: Conversation["status"];
  priority?: Conversation["priority"];
  channel_id?: string;
  label?: string;
};

type Channel = { id: string; name: string };

/** The list's filters: status, priority, channel and label, beside the view and the search. */
export function FilterBar({ filters, onChange }: { filters: Filters; onChange: (filters: Filters) => void }) {
  const { t } = useLocale();
  const [channels, setChannels] = useState<Channel[]>([]);
  const [label, setLabel] = useState(filters.label ?? "");

  useEffect(() => {
    void api.GET("/v1/channels", { params: { query: { limit: 200 } } }).then(({ data }) => setChannels(data ?? []));
  }, []);
  useEffect(() => {
    const pause = setTimeout(() => {
      if ((filters.label ?? "") !== label.trim()) onChange({ ...filters, label: label.trim() || undefined });
    }, 300);
    return () => clearTimeout(pause);
  }, [label, filters, onChange]);

  const set = <K extends keyof Filters>(key: K, value: string) =>
    onChange({ ...filters, [key]: value || undefined });
  return (
    <details className="filters">
      <summary>{t.filters}{Object.values(filters).some(Boolean) ? " •" : ""}</summary>
      <label>{t.status}
        <select value={filters.status ?? ""} onChange={(event) => set("status", event.target.value)}>
          <option value="">{t.any}</option>
          <option value="open">{t.statusOpen}</option>
          <option value="pending">{t.statusBot}</option>
          <option value="snoozed">{t.statusSnoozed}</option>
          <option value="resolved">{t.statusResolved}</option>
        </select>
      </label>
      <label>{t.priority}
        <select value={filters.priority ?? ""} onChange={(event) => set("priority", event.target.value)}>
          <option value="">{t.any}</option>
          {(["urgent", "high", "medium", "low", "none"] as const).map((name) => (
            <option key={name} value={name}>{t[`priority_${name}`]}</option>
          ))}
        </select>
      </label>
      <label>{t.channel}
        <select value={filters.channel_id ?? ""} onChange={(event) => set("channel_id", event.target.value)}>
          <option value="">{t.any}</option>
          {channels.map((channel) => <option key={channel.id} value={channel.id}>{channel.name}</option>)}
        </select>
      </label>
      <label>{t.label}
        <input dir="auto" value={label} onChange={(event) => setLabel(event.target.value)} />
      </label>
    </details>
  );
}
