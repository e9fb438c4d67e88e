import { createContext, useContext, useEffect, useState } from "react";
import { api, keepSession, keptUser, sessionToken, type User } from "./api/client";
import { applyLanguage, catalogues, initialLanguage, type Language, type Words } from "./i18n";
import { Inbox } from "./Inbox";
import { FirstRun } from "./FirstRun";
import { SignIn } from "./SignIn";

type Locale = { language: Language; t: Words };

const LocaleContext = createContext<Locale>({ language: "en", t: catalogues.en });

/** The person's language and its words. */
export function useLocale(): Locale {
  return useContext(LocaleContext);
}

export function App() {
  const [language, setLanguage] = useState<Language>(initialLanguage);
  const [user, setUser] = useState<User | null>(null);
  const [checked, setChecked] = useState(false);
  const [fresh, setFresh] = useState(false);
  const t = catalogues[language];

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
    <LocaleContext.Provider value={{ language, t }}>
      <header className="bar">
        <strong>{t.appName}</strong>
        <span className="grow" />
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
      {checked && (user ? <Inbox user={user} />
        : fresh ? <FirstRun onSignedIn={setUser} /> : <SignIn onSignedIn={setUser} />)}
    </LocaleContext.Provider>
  );
}
