import { useEffect, useState, type FormEvent } from "react";
import { api, errorMessage, type User } from "../api/client";
import { useLocale } from "../App";

type Canned = { id: string; owner_id?: string | null; short_code: string; text: string };

/** Canned responses: typed as `/shortcode` in the composer. */
export function CannedResponses({ user }: { user: User }) {
  const { t } = useLocale();
  const [canned, setCanned] = useState<Canned[]>([]);
  const [reads, setReads] = useState(0);
  const [shortCode, setShortCode] = useState("");
  const [text, setText] = useState("");
  // Only admins share with the workspace.
  const admin = user.role === "admin";
  const [shared, setShared] = useState(admin);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    void api.GET("/v1/canned-responses").then(({ data }) => setCanned(data ?? []));
  }, [reads]);

  async function create(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const { error } = await api.POST("/v1/canned-responses", {
      body: { short_code: shortCode.trim().replace(/^\//, ""), text, shared },
    });
    if (error) {
      setProblem(errorMessage(error, t.failed));
      return;
    }
    setShortCode("");
    setText("");
    setReads((count) => count + 1);
  }

  async function remove(item: Canned) {
    const { error } = await api.DELETE("/v1/canned-responses/{id}", { params: { path: { id: item.id } } });
    if (error) setProblem(errorMessage(error, t.failed));
    setReads((count) => count + 1);
  }

  return (
    <>
      <p className="muted">{t.cannedIntro}</p>
      {problem && <p role="alert" className="problem">{problem}</p>}
      <ul className="cards">
        {canned.map((item) => (
          <li key={item.id}>
            <code dir="ltr">/{item.short_code}</code>
            <span dir="auto" className="grow">{item.text}</span>
            <span className="muted">{item.owner_id ? t.personal : t.shared}</span>
            <button type="button" className="danger" onClick={() => void remove(item)}>{t.delete}</button>
          </li>
        ))}
      </ul>
      <form className="panel" onSubmit={(event) => void create(event)}>
        <label>{t.shortCode}<input name="short_code" dir="ltr" required value={shortCode}
          onChange={(event) => setShortCode(event.target.value)} /></label>
        <label>{t.cannedText}<textarea name="text" dir="auto" required value={text}
          onChange={(event) => setText(event.target.value)} /></label>
        {admin && (
          <label className="choice"><input type="checkbox" checked={shared}
            onChange={(event) => setShared(event.target.checked)} />{t.sharedWithWorkspace}</label>
        )}
        <button type="submit">{t.add}</button>
      </form>
    </>
  );
}
