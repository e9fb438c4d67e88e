import { useEffect, useState, type FormEvent } from "react";
import { api, errorMessage, type Agent } from "../api/client";
import { useLocale } from "../App";
import { ChannelHours } from "./ChannelHours";

type ChannelType = { type: string; fields: { name: string; secret: boolean; required: boolean }[] };
type Channel = {
  id: string; kind: string; name: string; agent_id?: string | null;
  webhook_url?: string | null; embed?: string | null; config: Record<string, unknown>;
};

/**
 * Channel accounts: each platform's own settings (secrets are sealed and never shown again),
 * the agent that answers first, and where the platform delivers (or the widget's tag).
 */
export function Channels() {
  const { t } = useLocale();
  const [channels, setChannels] = useState<Channel[]>([]);
  const [types, setTypes] = useState<ChannelType[]>([]);
  const [agents, setAgents] = useState<Agent[]>([]);
  const [reads, setReads] = useState(0);
  const [kind, setKind] = useState("api");
  const [name, setName] = useState("");
  const [agent, setAgent] = useState("");
  const [settings, setSettings] = useState<Record<string, string>>({});
  const [secret, setSecret] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    void api.GET("/v1/channel-types").then(({ data }) => setTypes(data ?? []));
    void api.GET("/v1/agents", { params: { query: { limit: 100 } } }).then(({ data }) => setAgents(data ?? []));
  }, []);
  useEffect(() => {
    void api.GET("/v1/channels", { params: { query: { limit: 200 } } }).then(({ data }) => setChannels(data ?? []));
  }, [reads]);

  const fields = types.find((type) => type.type === kind)?.fields ?? [];

  async function create(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    setSecret(null);
    const config = Object.fromEntries(Object.entries(settings).filter(([key, value]) =>
      value.trim() && fields.some((field) => field.name === key)));
    const { data, error } = await api.POST("/v1/channels", {
      body: { type: kind, name, agent_id: agent || null, config },
    });
    if (!data) {
      setProblem(errorMessage(error, t.failed));
      return;
    }
    setSecret(data.secret ?? null);
    setName("");
    setSettings({});
    setReads((count) => count + 1);
  }

  return (
    <>
      {problem && <p role="alert" className="problem">{problem}</p>}
      {secret && (
        <div className="shown-once" role="status">
          <p>{t.signingSecretOnce}</p>
          <code dir="ltr">{secret}</code>
          <button type="button" onClick={() => setSecret(null)}>{t.dismiss}</button>
        </div>
      )}
      <ul className="cards channels">
        {channels.map((channel) => (
          <li key={channel.id}>
            <strong dir="auto">{channel.name}</strong>
            <span className="muted">{channel.kind}</span>
            <span className="muted" dir="auto">
              {agents.find((item) => item.id === channel.agent_id)?.name ?? t.noAgentPeopleOnly}
            </span>
            {channel.webhook_url && (
              <label className="copyable">{t.webhookUrl}<input readOnly dir="ltr" value={channel.webhook_url} /></label>
            )}
            {channel.embed && (
              <label className="copyable">{t.embedTag}<input readOnly dir="ltr" value={channel.embed} /></label>
            )}
            {channel.kind === "widget" && (
              <a href={`/widget/${channel.id}/preview`} target="_blank" rel="noreferrer">{t.preview}</a>
            )}
            <details className="channel-hours">
              <summary>{t.businessHours}</summary>
              <ChannelHours channelId={channel.id} onSaved={() => setReads((count) => count + 1)}
                routing={(channel.config.routing ?? {}) as Parameters<typeof ChannelHours>[0]["routing"]} />
            </details>
          </li>
        ))}
      </ul>
      <form className="panel" onSubmit={(event) => void create(event)}>
        <h3>{t.newChannel}</h3>
        <label>{t.channelType}
          <select name="type" value={kind} onChange={(event) => setKind(event.target.value)}>
            {types.map((type) => <option key={type.type} value={type.type}>{type.type}</option>)}
          </select>
        </label>
        <label>{t.channelName}<input name="channel-name" dir="auto" required value={name}
          onChange={(event) => setName(event.target.value)} /></label>
        <label>{t.answeredBy}
          <select name="agent" value={agent} onChange={(event) => setAgent(event.target.value)}>
            <option value="">{t.noAgentPeopleOnly}</option>
            {agents.map((item) => <option key={item.id} value={item.id}>{item.name}</option>)}
          </select>
        </label>
        {fields.map((field) => (
          <label key={field.name}>
            <span dir="ltr">{field.name}{field.required ? " *" : ""}</span>
            <input name={field.name} dir="ltr" type={field.secret ? "password" : "text"}
              autoComplete="off" required={field.required} value={settings[field.name] ?? ""}
              onChange={(event) => setSettings((current) => ({ ...current, [field.name]: event.target.value }))} />
          </label>
        ))}
        <button type="submit">{t.create}</button>
      </form>
    </>
  );
}
