// The web app in Debian's Chromium: a person signs in, finds a customer's conversation in the
// inbox, answers it, and sees the customer's next message arrive live; in Arabic (`?lang=ar`
// before signing in, or the switch after) the whole interface is mirrored right to left. The
// service serves the built app (web/dist) under /app/. Run by scripts/browser-tests.sh.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { chromium } from "playwright-core";
import {
  binary, browserPath, call as callAs, dataFolder, serve, serveWebApp, shots, stop,
} from "./service.mjs";

const webDir = process.env.WEB_DIR;
const EMAIL = "amal@example.com";
const PASSWORD = "a long password";
let service, dataDir, browser, base, key, inbound;

const call = (method, path, body, token = key) => callAs(base, token, method, path, body);

before(async () => {
  assert.ok(binary && webDir, "SWITCHBOARD_BIN and WEB_DIR name the binary and the built app");
  ({ child: service, dataDir, base, key } = await serveWebApp("acme", 100));
  const user = await call("POST", "/v1/users", { email: EMAIL, password: PASSWORD, role: "admin" });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  const channel = await call("POST", "/v1/channels", {
    type: "api", name: "Website", config: { webhook_url: "http://127.0.0.1:9/replies" },
  });
  assert.equal(channel.status, 201, JSON.stringify(channel.body));
  inbound = `/v1/channels/${channel.body.id}/inbound`;
  const said = await call("POST", inbound, {
    contact: { external_id: "c-1", name: "Omar" },
    message: { id: "m-1", text: "Is my order on its way?" },
  });
  assert.equal(said.status, 200, JSON.stringify(said.body));
  browser = await chromium.launch({ executablePath: browserPath, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  await stop(service, dataDir);
});

async function signIn(page) {
  await page.locator("input[name=email]").fill(EMAIL);
  await page.locator("input[name=password]").fill(PASSWORD);
  await page.locator("form button[type=submit]").click();
}

test("a person signs in, answers a conversation, and sees the customer's next message live", async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 750 } });
  const page = await context.newPage();
  await page.goto(`${base}/?lang=en`);
  assert.match(page.url(), /\/app\//, "/ leads to the app");
  await page.locator("input[name=email]").fill(EMAIL);
  await page.locator("input[name=password]").fill("not the password");
  await page.locator("form button[type=submit]").click();
  await page.getByRole("alert").waitFor();
  assert.equal((await page.getByRole("alert").textContent()).trim(), "Wrong email or password.");
  await signIn(page);

  assert.equal(await page.locator(".conversation .badge").textContent(), "1", "one unread");
  await page.locator(".conversation").first().click();
  await page.locator(".message.in", { hasText: "Is my order on its way?" }).waitFor();
  await page.locator(".contact h2", { hasText: "Omar" }).waitFor();
  await page.locator(".contact dd", { hasText: "c-1" }).waitFor();
  await page.locator(".conversation .badge").waitFor({ state: "detached" });
  // Taking the conversation, then a note only people see.
  await page.locator(".actions button", { hasText: "Take it" }).click();
  await page.locator(".actions button", { hasText: "Take it" }).waitFor({ state: "detached" });
  await page.locator("input[name=note]").check();
  await page.locator("textarea[name=reply]").fill("He asked twice: check the courier.");
  await page.locator(".composer button[type=submit]").click();
  await page.locator(".message.note", { hasText: "check the courier" }).waitFor();
  await page.locator("input[name=note]").uncheck();
  await page.locator("textarea[name=reply]").fill("Yes: it leaves the warehouse today.");
  await page.locator(".composer button[type=submit]").click();
  await page.locator(".message.out", { hasText: "it leaves the warehouse today" }).waitFor();
  await page.locator(".live:not(.off)").waitFor();

  const said = await call("POST", inbound, {
    contact: { external_id: "c-1" },
    message: { id: "m-2", text: "Thank you! Which courier?" },
  });
  assert.equal(said.status, 200);
  await page.locator(".message.in", { hasText: "Which courier?" }).waitFor();
  // Seen as it came: no unread badge for the conversation open on the screen.
  await page.locator(".conversation .badge").waitFor({ state: "detached" });
  // Files the customer sends: an image shown in the thread, another file a click away.
  const photo = await page.screenshot({ clip: { x: 0, y: 0, width: 40, height: 30 } });
  const withFiles = await call("POST", inbound, {
    contact: { external_id: "c-1" },
    message: {
      id: "m-3", text: "Here is the label and the receipt.",
      attachments: [
        { name: "label.png", content_type: "image/png", data: photo.toString("base64") },
        { name: "receipt.txt", content_type: "text/plain", data: Buffer.from("Order 1042").toString("base64") },
      ],
    },
  });
  assert.equal(withFiles.status, 200, JSON.stringify(withFiles.body));
  const shown = page.locator(".message.in img[alt='label.png']");
  await shown.waitFor();
  await page.waitForFunction(() => document.querySelector(".message.in img")?.naturalWidth === 40);
  await page.getByRole("button", { name: "Download receipt.txt" }).click();
  const saved = page.locator(".message.in a.attachment[download='receipt.txt']");
  await saved.waitFor();
  const downloaded = await saved.evaluate(async (link) => (await fetch(link.href)).text());
  assert.equal(downloaded, "Order 1042");
  await page.screenshot({ path: join(shots, "web-inbox-en.png") });
  // The list searches the messages' words.
  await page.locator("input[name=search]").fill("courier");
  await page.locator(".conversation").first().waitFor();
  await page.locator("input[name=search]").fill("refund policy for drones");
  await page.locator(".list .empty").waitFor();
  await page.locator("input[name=search]").fill("");
  await page.locator(".conversation").first().waitFor();
  await page.locator(".actions button", { hasText: "Resolve" }).click();
  await page.locator(".actions .status", { hasText: "Resolved" }).waitFor();

  // A web chat visitor typing is seen in the thread, live.
  const chat = await call("POST", "/v1/channels", { type: "widget", name: "Chat", config: {} });
  assert.equal(chat.status, 201, JSON.stringify(chat.body));
  const visitor = await callAs(base, "", "POST", `/widget/${chat.body.id}/sessions`, {});
  const token = visitor.body.token;
  const wrote = await callAs(base, token, "POST", `/widget/${chat.body.id}/messages`, {
    text: "Hello, is anyone there?",
  });
  assert.equal(wrote.status, 202, JSON.stringify(wrote.body));
  await page.locator(".conversation", { hasText: "#2" }).click();
  await page.locator(".message.in", { hasText: "is anyone there" }).waitFor();
  await page.locator(".live:not(.off)").waitFor();
  const typed = await callAs(base, token, "POST", `/widget/${chat.body.id}/typing`, { typing: true });
  assert.equal(typed.status, 204);
  await page.locator(".thread .typing", { hasText: "The customer is typing…" }).waitFor();

  // A reload keeps the session.
  await page.reload();
  await page.locator(".conversation").first().waitFor();
  await context.close();
});

test("in Arabic the interface is mirrored, before and after signing in", async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 750 } });
  const page = await context.newPage();
  // `/` leads to the app with what it asked: the language, before signing in.
  await page.goto(`${base}/?lang=ar`);
  await page.locator("h1", { hasText: "تسجيل الدخول" }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dir), "rtl");
  await signIn(page);
  await page.locator(".conversation").first().click();
  const list = await page.locator(".list").boundingBox();
  const thread = await page.locator(".thread").boundingBox();
  assert.ok(list.x > thread.x, "the conversation list is on the right in Arabic");
  assert.equal(
    (await page.getByRole("tab", { selected: true }).textContent()).trim(),
    "الكل",
  );
  await page.screenshot({ path: join(shots, "web-inbox-ar.png") });

  // The switch turns it back to English, left to right.
  await page.locator(".bar button", { hasText: "English" }).click();
  assert.equal(await page.evaluate(() => document.documentElement.dir), "ltr");
  const listNow = await page.locator(".list").boundingBox();
  const threadNow = await page.locator(".thread").boundingBox();
  assert.ok(listNow.x < threadNow.x, "the list on the left in English");
  await context.close();
});

test("a fresh install's first run makes the workspace and its admin, once", async () => {
  const freshDir = dataFolder("first-run");
  const started = serve(freshDir, [], { SWITCHBOARD_SERVER__WEB_DIR: webDir },
    (printed) => printed.match(/switchboard listening on (\S+)/)?.[1]);
  try {
    const freshBase = await started.started;
    const context = await browser.newContext({ viewport: { width: 1200, height: 750 } });
    const page = await context.newPage();
    await page.goto(`${freshBase}/app/?lang=en`);
    await page.locator("h1", { hasText: "Set up Switchboard" }).waitFor();
    await page.locator("input[name=workspace]").fill("Qahwa House");
    await page.locator("input[name=email]").fill("owner@example.com");
    await page.locator("input[name=password]").fill("a long password");
    await page.locator("form button[type=submit]").click();
    await page.locator(".list .empty").waitFor();
    assert.equal(await page.locator(".who").textContent(), "owner@example.com");
    // Once only: the service is set up now.
    const again = await callAs(freshBase, "", "POST", "/v1/setup", {
      workspace: "Another", email: "someone@example.com", password: "a long password",
    });
    assert.equal(again.status, 409, JSON.stringify(again.body));
    const state = await callAs(freshBase, "", "GET", "/v1/setup");
    assert.deepEqual(state.body, { needed: false });
    await context.close();
  } finally {
    await stop(started.child, freshDir);
  }
});
