import { useEffect, useState, type FormEvent } from "react";
import { api, errorMessage, type User } from "../api/client";
import { useLocale } from "../App";
import type { Words } from "../i18n";

type Team = { id: string; name: string };
type Role = User["role"];

export function roleName(t: Words, role: Role): string {
  return role === "admin" ? t.roleAdmin : role === "team_admin" ? t.roleTeamAdmin : t.roleStaff;
}

/** The workspace's people (their role and team) and its teams. */
export function People() {
  const { t } = useLocale();
  const [users, setUsers] = useState<User[]>([]);
  const [teams, setTeams] = useState<Team[]>([]);
  const [reads, setReads] = useState(0);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("staff");
  const [team, setTeam] = useState("");
  const [teamName, setTeamName] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    void api.GET("/v1/users", { params: { query: { limit: 200 } } }).then(({ data }) => setUsers(data ?? []));
    void api.GET("/v1/teams").then(({ data }) => setTeams(data ?? []));
  }, [reads]);

  async function invite(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const { error } = await api.POST("/v1/users", {
      body: { email, password, role, team_id: team || null },
    });
    if (error) {
      setProblem(errorMessage(error, t.failed));
      return;
    }
    setEmail("");
    setPassword("");
    setReads((count) => count + 1);
  }

  async function change(user: User, change: { role?: Role; team_id?: string | null }) {
    setProblem(null);
    const { error } = await api.PATCH("/v1/users/{id}", {
      params: { path: { id: user.id } },
      body: { role: change.role ?? user.role, team_id: change.team_id === undefined ? user.team_id ?? null : change.team_id },
    });
    if (error) setProblem(errorMessage(error, t.failed));
    setReads((count) => count + 1);
  }

  async function addTeam(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const { error } = await api.POST("/v1/teams", { body: { name: teamName.trim() } });
    if (error) {
      setProblem(errorMessage(error, t.failed));
      return;
    }
    setTeamName("");
    setReads((count) => count + 1);
  }

  const roles: Role[] = ["admin", "team_admin", "staff"];
  return (
    <>
      {problem && <p role="alert" className="problem">{problem}</p>}
      <table className="table">
        <thead><tr><th scope="col">{t.email}</th><th scope="col">{t.role}</th><th scope="col">{t.team}</th></tr></thead>
        <tbody>
          {users.map((user) => (
            <tr key={user.id}>
              <td dir="ltr">{user.email}</td>
              <td>
                <select aria-label={`${t.role}: ${user.email}`} value={user.role}
                  onChange={(event) => void change(user, { role: event.target.value as Role })}>
                  {roles.map((name) => <option key={name} value={name}>{roleName(t, name)}</option>)}
                </select>
              </td>
              <td>
                <select aria-label={`${t.team}: ${user.email}`} value={user.team_id ?? ""}
                  onChange={(event) => void change(user, { team_id: event.target.value || null })}>
                  <option value="">{t.noTeam}</option>
                  {teams.map((item) => <option key={item.id} value={item.id}>{item.name}</option>)}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="panel" onSubmit={(event) => void invite(event)}>
        <h3>{t.addPerson}</h3>
        <label>{t.email}<input type="email" name="new-email" dir="ltr" required value={email}
          onChange={(event) => setEmail(event.target.value)} /></label>
        <label>{t.newPassword}<input type="password" name="new-password" autoComplete="new-password" required
          minLength={10} value={password} onChange={(event) => setPassword(event.target.value)} /></label>
        <label>{t.role}
          <select value={role} onChange={(event) => setRole(event.target.value as Role)}>
            {roles.map((name) => <option key={name} value={name}>{roleName(t, name)}</option>)}
          </select>
        </label>
        <label>{t.team}
          <select value={team} onChange={(event) => setTeam(event.target.value)}>
            <option value="">{t.noTeam}</option>
            {teams.map((item) => <option key={item.id} value={item.id}>{item.name}</option>)}
          </select>
        </label>
        <button type="submit">{t.add}</button>
      </form>
      <h3>{t.teams}</h3>
      <ul className="cards">
        {teams.map((item) => <li key={item.id} dir="auto">{item.name}</li>)}
      </ul>
      <form className="inline" onSubmit={(event) => void addTeam(event)}>
        <label htmlFor="team-name">{t.newTeam}</label>
        <input id="team-name" dir="auto" value={teamName} onChange={(event) => setTeamName(event.target.value)} />
        <button type="submit" disabled={!teamName.trim()}>{t.add}</button>
      </form>
    </>
  );
}
