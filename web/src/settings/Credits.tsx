import { useEffect, useState } from "react";
import { api } from "../api/client";
import { useLocale } from "../App";
import { formatTime } from "../i18n";

type Entry = { id: string; delta: number; reason: string; created_at: number };

/** The credit balance, and the ledger newest first. */
export function Credits() {
  const { t, locale } = useLocale();
  const [balance, setBalance] = useState<{ credit_balance: number; credit_allowance: number; plan: string } | null>(null);
  const [entries, setEntries] = useState<Entry[]>([]);

  useEffect(() => {
    void api.GET("/v1/workspace").then(({ data }) => setBalance(data ?? null));
    void api.GET("/v1/credits", { params: { query: { limit: 100 } } }).then(({ data }) => setEntries(data ?? []));
  }, []);

  const number = (value: number) => value.toLocaleString(locale);
  return (
    <>
      {balance && (
        <p className="balance">
          <strong>{number(balance.credit_balance)}</strong>{" "}
          {t.creditsLeft.replace("{allowance}", number(balance.credit_allowance)).replace("{plan}", balance.plan)}
        </p>
      )}
      <table className="table">
        <thead><tr><th scope="col">{t.when}</th><th scope="col">{t.reason}</th><th scope="col">{t.credits}</th></tr></thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id}>
              <td>{formatTime(locale, entry.created_at)}</td>
              <td dir="auto">{entry.reason}</td>
              <td dir="ltr" className={entry.delta < 0 ? "spent" : "granted"}>
                {entry.delta > 0 ? "+" : ""}{number(entry.delta)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
