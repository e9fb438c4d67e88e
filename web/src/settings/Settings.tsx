import { useState } from "react";
import type { User } from "../api/client";
import { useLocale } from "../App";
import { ApiKeys } from "./ApiKeys";
import { CannedResponses } from "./CannedResponses";
import { Channels } from "./Channels";
import { Credits } from "./Credits";
import { People } from "./People";

const SECTIONS = ["people", "channels", "canned", "keys", "credits"] as const;
type Section = (typeof SECTIONS)[number];

/** The workspace's settings, a section at a time (the API refuses what the role may not do). */
export function Settings({ user }: { user: User }) {
  const { t } = useLocale();
  const [section, setSection] = useState<Section>(user.role === "staff" ? "canned" : "people");
  const titles: Record<Section, string> = {
    people: t.settingsPeople,
    channels: t.settingsChannels,
    canned: t.settingsCanned,
    keys: t.settingsKeys,
    credits: t.settingsCredits,
  };
  return (
    <main className="builder settings-page">
      <nav className="steps" aria-label={t.settings}>
        <h1>{t.settings}</h1>
        <ol>
          {SECTIONS.map((name) => (
            <li key={name}>
              <button type="button" aria-current={name === section ? "page" : undefined}
                onClick={() => setSection(name)}>
                {titles[name]}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      <section className="settings" aria-labelledby="section-title">
        <h2 id="section-title">{titles[section]}</h2>
        {section === "people" && <People />}
        {section === "channels" && <Channels />}
        {section === "canned" && <CannedResponses user={user} />}
        {section === "keys" && <ApiKeys />}
        {section === "credits" && <Credits />}
      </section>
    </main>
  );
}
