import { useLocale } from "./App";

/** An email and a password, as signing in and the first run ask for them. */
export function Credentials({
  email, setEmail, password, setPassword, isNew,
}: {
  email: string;
  setEmail: (email: string) => void;
  password: string;
  setPassword: (password: string) => void;
  /** A password being chosen (10 characters or more), not one being given. */
  isNew: boolean;
}) {
  const { t } = useLocale();
  return (
    <>
      <label>
        {t.email}
        <input type="email" name="email" autoComplete="username" dir="ltr" required
          value={email} onChange={(event) => setEmail(event.target.value)} />
      </label>
      <label>
        {isNew ? t.newPassword : t.password}
        <input type="password" name="password" required minLength={isNew ? 10 : undefined}
          autoComplete={isNew ? "new-password" : "current-password"}
          value={password} onChange={(event) => setPassword(event.target.value)} />
      </label>
    </>
  );
}
