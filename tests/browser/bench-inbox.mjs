// The inbox's first screen with 10,000 conversations in the workspace, in headless Chromium:
// how long from navigation until the list is shown, and until a click on it shows the thread,
// and scrolling down the list with the wheel (frames longer than 50 ms while it scrolls).
//
//   scripts/build-web.sh && cargo build --release
//   SWITCHBOARD_BIN=$CARGO_TARGET_DIR/release/switchboard WEB_DIR=web/dist \
//     node tests/browser/bench-inbox.mjs [CONVERSATIONS]
//
// Prints one JSON line. Not a test: no figure is asserted (docs/benchmarks.md keeps them).
import { execFileSync } from "node:child_process";
import { chromium } from "playwright-core";
import { binary, browserPath, call as callAs, dataFolder, serve, stop } from "./service.mjs";

const conversations = Number(process.argv[2] ?? 10_000);
const dataDir = dataFolder("bench");
const created = JSON.parse(execFileSync(binary, [
  "workspace", "create", "acme", "--plan", "trial", "--credits", "100", "--data-dir", dataDir,
]));
const started = serve(dataDir, [], {
  SWITCHBOARD_SERVER__WEB_DIR: process.env.WEB_DIR,
  SWITCHBOARD_FETCH__ALLOW_PRIVATE_ADDRESSES: "true",
  SWITCHBOARD_RATE_LIMIT__PER_SECOND: "100000",
  SWITCHBOARD_RATE_LIMIT__BURST: "100000",
}, (printed) => printed.match(/switchboard listening on (\S+)/)?.[1]);
const base = await started.started;
const call = (method, path, body, token = created.api_key) =>
  callAs(base, token, method, path, body);

try {
  await call("POST", "/v1/users", { email: "amal@example.com", password: "a long password", role: "admin" });
  const channel = await call("POST", "/v1/channels", {
    type: "api", name: "Website", config: { webhook_url: "http://127.0.0.1:9/replies" },
  });
  const inbound = `/v1/channels/${channel.body.id}/inbound`;
  const filling = Date.now();
  let next = 0;
  // 16 senders, one customer (and conversation) each message.
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < conversations) {
      const n = next++;
      const said = await call("POST", inbound, {
        contact: { external_id: `c-${n}`, name: `Customer ${n}` },
        message: { id: `m-${n}`, text: `Where is order ${n}?` },
      });
      if (said.status !== 200) throw new Error(JSON.stringify(said.body));
    }
  }));
  const fillSeconds = (Date.now() - filling) / 1000;

  const browser = await chromium.launch({ executablePath: browserPath, args: ["--no-sandbox"] });
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  // Signed in once; the measured load starts from a kept session, as a person's day does.
  const session = await call("POST", "/v1/sessions", {
    email: "amal@example.com", password: "a long password",
  });
  await page.goto(`${base}/app/?lang=en`);
  await page.evaluate(({ token, user }) => {
    localStorage.setItem("switchboard:session", token);
    localStorage.setItem("switchboard:user", JSON.stringify(user));
  }, session.body);

  // Milliseconds since navigation began (the page's own clock): the list shown, then a click
  // on its first conversation answered with the thread.
  const listShown = [];
  const threadShown = [];
  for (let run = 0; run < 5; run += 1) {
    await page.goto(`${base}/app/?lang=en`, { waitUntil: "commit" });
    listShown.push(await page.evaluate(() => new Promise((resolve) => {
      const check = () => document.querySelector(".conversation")
        ? resolve(performance.now()) : requestAnimationFrame(check);
      check();
    })));
    await page.locator(".conversation").first().click();
    threadShown.push(await page.evaluate(() => new Promise((resolve) => {
      const check = () => document.querySelector(".message")
        ? resolve(performance.now()) : requestAnimationFrame(check);
      check();
    })));
  }
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];

  // Long frames while the list scrolls (Chromium's long-animation-frame entries).
  await page.evaluate(() => {
    window.longFrames = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.longFrames.push(entry.duration);
    }).observe({ type: "long-animation-frame", buffered: false });
  });
  const loaded = () => page.locator(".rows").evaluate(
    (rows) => Math.round(rows.scrollHeight / 64),
  );
  // A person's scroll: 300 turns of the wheel, 600 pixels each (about 2,800 rows), with the
  // pages asked for as their ends come into view.
  const scrolling = Date.now();
  await page.mouse.move(150, 400);
  for (let turn = 0; turn < 300; turn += 1) {
    await page.mouse.wheel(0, 600);
    await page.waitForTimeout(16);
  }
  const listed = await loaded();
  const drawn = await page.locator(".conversation").count();
  const longFrames = await page.evaluate(() => window.longFrames);
  await browser.close();
  console.log(JSON.stringify({
    conversations,
    fill_seconds: fillSeconds,
    list_shown_ms: { median: median(listShown), worst: Math.max(...listShown) },
    thread_after_click_ms: { median: median(threadShown), worst: Math.max(...threadShown) },
    wheel_turns: 300,
    listed_after_scrolling: listed,
    rows_in_the_page: drawn,
    scrolling_seconds: (Date.now() - scrolling) / 1000,
    frames_over_50ms: longFrames.length,
    longest_frame_ms: longFrames.length ? Math.max(...longFrames) : 0,
  }));
} finally {
  await stop(started.child, dataDir);
}
