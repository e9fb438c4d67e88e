import type { ReactNode } from "react";
import type { FieldError } from "../api/client";

export type FieldProps = {
  id: string;
  name: string;
  "aria-invalid": boolean;
  "aria-describedby": string | undefined;
};

/**
 * A labelled input, and under it the API's error when the error names this field (`name` is
 * the configuration's path: `handoff.default_team`), so a person sees what to fix where it is.
 */
export function Field({
  label, name, problem, hint, children,
}: {
  label: string;
  name: string;
  problem: FieldError | null;
  hint?: string;
  children: (props: FieldProps) => ReactNode;
}) {
  const id = `field-${name.replace(/[^a-z0-9]+/gi, "-")}`;
  const wrong = problem?.field != null && (problem.field === name || problem.field.startsWith(`${name}[`) ||
    problem.field.startsWith(`${name}.`));
  const described = [hint ? `${id}-hint` : null, wrong ? `${id}-error` : null].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, name, "aria-invalid": wrong, "aria-describedby": described || undefined })}
      {hint && <p id={`${id}-hint`} className="hint">{hint}</p>}
      {wrong && problem && (
        <p id={`${id}-error`} role="alert" className="problem">{problem.message}</p>
      )}
    </div>
  );
}
