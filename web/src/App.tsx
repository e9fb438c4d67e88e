import { createContext, useContext, useEffect, useState } from "react";
import { api, keepSession, keptUser, sessionToken, type User } from "./api/client";
import {
  applyLanguage, catalogues, initialDigits, initialLanguage, keepDigits, localeOf, type Digits,
  type Language, type Words,
} from "./i18n";
import { AgentPage } from "./agents/AgentPage";
import { Agents } from "./agents/Agents";
import { FirstRun } from "./FirstRun";
import { Inbox } from "./Inbox";
import { useRoute, type Route } from "./route";
import { Settings } from "./settings/Settings";
import { SignIn } from "./SignIn";

/** The person's language, its words, and the locale numbers and dates are written in. */
type Locale = { language: Language; t: Words; locale: string };

const LocaleContext = createContext<Locale>({ language: "en", t: catalogues.en, locale: "en-GB" });

/** The person's language, its words and its locale. */
export function useLocale(): Locale {
  return useContext(LocaleContext);
}

function Screen({ route, user }: { route: Route; user: User }) {
  switch (route.screen) {
    case "agents":
      return <Agents />;
    case "agent":
      return <AgentPage key={route.id} id={route.id} />;
    case "settings":
      return <Settings user={user} />;
    default:
      return <Inbox user={user} />;
  }
}

export function App() {
  const [language, setLanguage] = useState<Language>(initialLanguage);
  const [digits, setDigits] = useState<Digits>(initialDigits);
  const [user, setUser] = useState<User | null>(null);
  const [checked, setChecked] = useState(false);
  const [fresh, setFresh] = useState(false);
  const t = catalogues[language];
  const route = useRoute();

  useEffect(() => {
    applyLanguage(language);
    document.title = t.appName;
  }, [language, t]);

  // A session kept in this browser is used again while it is valid; without one, a fresh
  // install shows its first run instead of sign-in.
  useEffect(() => {
    const kept = sessionToken() === null
      ? Promise.resolve()
      : api.GET("/v1/workspace").then(({ response }) => {
        if (response.ok) setUser(keptUser());
        else keepSession(null, null);
      });
    void kept
      .then(() => api.GET("/v1/setup"))
      .then(({ data }) => {
        setFresh(data?.needed ?? false);
        setChecked(true);
      });
  }, []);

  async function signOut() {
    await api.DELETE("/v1/sessions");
    keepSession(null, null);
    setUser(null);
  }

  const other: Language = language === "ar" ? "en" : "ar";
  return (
    <LocaleContext.Provider value={{ language, t, locale: localeOf(language, digits) }}>
      <header className="bar">
        <strong>{t.appName}</strong>
        {user && (
          <nav className="sections" aria-label={t.sections}>
            <a href="#/inbox" aria-current={route.screen === "inbox" ? "page" : undefined}>{t.inbox}</a>
            <a href="#/agents" aria-current={route.screen === "agents" || route.screen === "agent" ? "page" : undefined}>
              {t.agents}
            </a>
            <a href="#/settings" aria-current={route.screen === "settings" ? "page" : undefined}>{t.settings}</a>
          </nav>
        )}
        <span className="grow" />
        {language === "ar" && (
          <button type="button" className="link" aria-pressed={digits === "arab"} onClick={() => {
            const next: Digits = digits === "arab" ? "latn" : "arab";
            keepDigits(next);
            setDigits(next);
          }}>
            {t.arabicDigits}
          </button>
        )}
        <button type="button" className="link" onClick={() => setLanguage(other)} lang={other}>
          {t.language}
        </button>
        {user && (
          <>
            <span className="who">{user.email}</span>
            <button type="button" className="link" onClick={() => void signOut()}>
              {t.signOut}
            </button>
          </>
        )}
      </header>
      {checked && (user ? <Screen route={route} user={user} />
        : fresh ? <FirstRun onSignedIn={setUser} /> : <SignIn onSignedIn={setUser} />)}
    </LocaleContext.Provider>
  );
}
