import { useState, type FormEvent } from "react";
import { api, errorMessage, keepSession, type User } from "./api/client";
import { useLocale } from "./App";
import { Credentials } from "./Credentials";

/** A fresh install's first screen: the first workspace and its admin. */
export function FirstRun({ onSignedIn }: { onSignedIn: (user: User) => void }) {
  const { t } = useLocale();
  const [workspace, setWorkspace] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const { data, error } = await api.POST("/v1/setup", { body: { workspace, email, password } });
    if (data) {
      keepSession(data.token, data.user);
      onSignedIn(data.user);
    } else {
      setProblem(errorMessage(error, t.failed));
    }
  }

  return (
    <main className="sign-in">
      <form onSubmit={(event) => void submit(event)} aria-label={t.firstRun}>
        <h1>{t.firstRun}</h1>
        <p>{t.firstRunIntro}</p>
        <label>
          {t.workspaceName}
          <input name="workspace" required dir="auto" value={workspace}
            onChange={(event) => setWorkspace(event.target.value)} />
        </label>
        <Credentials email={email} setEmail={setEmail} password={password}
          setPassword={setPassword} isNew={true} />
        {problem && <p role="alert" className="problem">{problem}</p>}
        <button type="submit">{t.createWorkspace}</button>
      </form>
    </main>
  );
}
