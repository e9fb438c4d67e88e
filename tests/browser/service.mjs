// The service under test, as the browser tests run it: `switchboard serve` on a free port over
// a fresh data folder, read from what it prints; its API called with a credential; stopped so
// that it flushes before its folder goes.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const binary = process.env.SWITCHBOARD_BIN;
export const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const shots = process.env.SCREENSHOTS ?? tmpdir();

/** A fresh data folder. */
export function dataFolder(name) {
  return mkdtempSync(join(tmpdir(), `switchboard-${name}-`));
}

/**
 * Starts `switchboard serve ARGS` over `dataDir`; resolves with what `ready` reads from its
 * output once it reads something (a match of the printed text).
 */
export function serve(dataDir, args, env, ready) {
  const child = spawn(binary, ["serve", ...args, "--bind", "127.0.0.1:0", "--data-dir", dataDir], {
    env: { ...process.env, SWITCHBOARD_LOG__LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const started = new Promise((resolve, reject) => {
    let printed = "";
    const timer = setTimeout(() => reject(new Error(`the service did not start:\n${printed}`)), 300_000);
    child.stdout.on("data", (chunk) => {
      printed += chunk;
      const found = ready(printed);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once("exit", (code) => reject(new Error(`the service exited (${code}):\n${printed}`)));
  });
  return { child, started };
}

/** Stops the service (SIGTERM: it flushes its index) and removes its data folder. */
export async function stop(child, dataDir) {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

/** An API call with `token`: {status, body}. */
export async function call(base, token, method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/**
 * A workspace made with the command line, and the service serving the web app (WEB_DIR) over
 * it, its webhooks allowed to reach this machine: {child, dataDir, base, key}.
 */
export async function serveWebApp(workspace, credits) {
  const dataDir = dataFolder(workspace);
  const created = JSON.parse(execFileSync(binary, [
    "workspace", "create", workspace, "--plan", "trial", "--credits", String(credits),
    "--data-dir", dataDir,
  ]));
  const started = serve(dataDir, [], {
    SWITCHBOARD_SERVER__WEB_DIR: process.env.WEB_DIR,
    SWITCHBOARD_FETCH__ALLOW_PRIVATE_ADDRESSES: "true",
  }, (printed) => printed.match(/switchboard listening on (\S+)/)?.[1]);
  return { child: started.child, dataDir, key: created.api_key, base: await started.started };
}
