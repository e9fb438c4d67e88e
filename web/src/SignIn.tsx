import { useState, type FormEvent } from "react";
import { api, errorMessage, keepSession, type User } from "./api/client";
import { useLocale } from "./App";
import { Credentials } from "./Credentials";

export function SignIn({ onSignedIn }: { onSignedIn: (user: User) => void }) {
  const { t } = useLocale();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const { data, error, response } = await api.POST("/v1/sessions", { body: { email, password } });
    if (data) {
      keepSession(data.token, data.user);
      onSignedIn(data.user);
    } else {
      setProblem(response.status === 401 ? t.wrongCredentials : errorMessage(error, t.failed));
    }
  }

  return (
    <main className="sign-in">
      <form onSubmit={(event) => void submit(event)} aria-label={t.signIn}>
        <h1>{t.signIn}</h1>
        <Credentials email={email} setEmail={setEmail} password={password}
          setPassword={setPassword} isNew={false} />
        {problem && <p role="alert" className="problem">{problem}</p>}
        <button type="submit">{t.signIn}</button>
      </form>
    </main>
  );
}
