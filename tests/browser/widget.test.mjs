// The web chat widget in a real browser (Debian's Chromium, driven by playwright-core): the
// service runs its demo (the real embedding model over the demo knowledge), a plain HTML page on
// another origin carries the one <script> tag, and a visitor opens the chat, answers the
// pre-chat form, writes, and reads the AI's answer, a person's typing and reply live; comes
// back to the same conversation after a reload; and, on an Arabic page, gets the chat right to
// left; and, over the Arabic FAQ of ../shared, taps a question the AI offers when it cannot
// answer closely, and gets that question's answer. Run by scripts/browser-tests.sh, which says
// what it needs.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { binary, browserPath, call as callAs, dataFolder, serve, shots, stop } from "./service.mjs";

let service, dataDir, browser, base, key, agent, site, siteUrl, channel, embed;
/** The embed tag of a chat answered from the FAQ, served at /faq once a test makes it. */
let faqEmbed = "";
const faq = fileURLToPath(new URL("../../../shared/data/knowledge/sleekflow-faq-ar.txt", import.meta.url));

/** `switchboard serve --demo`: its address, agent and key, read from what it prints. */
async function startDemo() {
  dataDir = dataFolder("widget");
  const started = serve(dataDir, ["--demo"], {}, (printed) => {
    const ready = printed.match(/The demo is ready at (\S+)/);
    const agentId = printed.match(/agent\s+(\S+)/);
    const apiKey = printed.match(/API key\s+(\S+)/);
    return ready && agentId && apiKey && { base: ready[1], agent: agentId[1], key: apiKey[1] };
  });
  service = started.child;
  return started.started;
}

const call = (method, path, body, token = key) => callAs(base, token, method, path, body);

/** A plain page on its own origin, in `lang`, with nothing but the embed tag. */
function pageHtml(lang, embed) {
  const dir = lang === "ar" ? "rtl" : "ltr";
  const words = lang === "ar" ? "مرحباً بكم في مقهى قهوة" : "Welcome to Qahwa House";
  return `<!doctype html><html lang="${lang}" dir="${dir}"><head><meta charset="utf-8">` +
    `<title>${words}</title></head><body><h1>${words}</h1>${embed}</body></html>`;
}

before(async () => {
  assert.ok(binary, "SWITCHBOARD_BIN names the switchboard binary");
  ({ base, agent, key } = await startDemo());
  const created = await call("POST", "/v1/channels", {
    type: "widget", name: "Qahwa House", agent_id: agent,
    config: { pre_chat: { name: "required", email: "optional" } },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  channel = created.body;
  assert.match(channel.embed, new RegExp(`data-channel="${channel.id}"`));
  // The service's public address is a setting; here it listens on a port chosen at start.
  embed = `<script src="${base}/widget.js" data-channel="${channel.id}" async></script>`;
  site = createServer((request, response) => {
    const lang = request.url.startsWith("/ar") || request.url.startsWith("/faq") ? "ar" : "en";
    response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    response.end(pageHtml(lang, request.url.startsWith("/faq") ? faqEmbed : embed));
  });
  await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));
  siteUrl = `http://127.0.0.1:${site.address().port}`;
  browser = await chromium.launch({ executablePath: browserPath, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  site?.close();
  await stop(service, dataDir);
});

/** A fresh visitor (their own storage) on the page, with every address the page asked for. */
async function visit(path) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  const asked = [];
  page.on("request", (request) => asked.push(new URL(request.url()).origin));
  await page.goto(siteUrl + path);
  await page.locator(".launcher").waitFor();
  return { context, page, asked };
}

test("a visitor chats with the AI and a person, live, and comes back to the same conversation", async () => {
  const { context, page, asked } = await visit("/");
  await page.locator(".launcher").click();
  const name = page.locator("input[name=name]");
  await name.waitFor();
  assert.equal(await name.getAttribute("placeholder"), "Name");
  // The form is the chat's: a required answer left out is not sent.
  await page.locator(".prechat button").click();
  assert.equal(await page.locator(".compose").isHidden(), true);
  await name.fill("Sam Visitor");
  await page.locator(".prechat button").click();
  const input = page.locator(".compose input");
  await input.waitFor();

  await input.fill("Can I return an opened bag of coffee?");
  await input.press("Enter");
  const answer = page.locator(".msg.out.agent").first();
  await answer.waitFor({ timeout: 60_000 });
  const answered = (await answer.textContent()).trim();
  assert.ok(answered.length > 10, `the AI answered: ${answered}`);
  console.log(`the AI answered: ${answered}`);

  // A person (signed in to the inbox) takes over: their typing and their reply arrive live.
  const conversations = await call("GET", `/v1/conversations?view=all&channel_id=${channel.id}`);
  assert.equal(conversations.body.length, 1, JSON.stringify(conversations.body));
  const conversation = conversations.body[0].id;
  const user = await call("POST", "/v1/users", {
    email: "amal@example.com", password: "a long password", role: "admin",
  });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  const session = await call("POST", "/v1/sessions", {
    email: "amal@example.com", password: "a long password",
  });
  const person = session.body.token;
  const typing = await call("POST", `/v1/conversations/${conversation}/typing`, { typing: true }, person);
  assert.equal(typing.status, 204);
  await page.locator(".typing").waitFor({ state: "visible" });
  assert.equal((await page.locator(".typing").textContent()).trim(), "Typing…");
  const reply = "Amal here: yes, within 14 days, unopened or not.";
  const posted = await call("POST", `/v1/conversations/${conversation}/messages`, { text: reply }, person);
  assert.equal(posted.status, 201, JSON.stringify(posted.body));
  await page.locator(".msg.out.user", { hasText: "Amal here" }).waitFor();
  assert.equal(await page.locator(".typing").isHidden(), true, "a message ends the typing");
  await page.screenshot({ path: join(shots, "widget-en.png") });

  // The widget loads nothing from any host but the page's and the service's.
  const allowed = new Set([siteUrl, new URL(base).origin]);
  const foreign = asked.filter((origin) => !allowed.has(origin));
  assert.deepEqual(foreign, [], "no other host");

  // A reload: the same visitor, the same conversation, no form again.
  await page.reload();
  await page.locator(".launcher").click();
  await page.locator(".msg.out.user", { hasText: "Amal here" }).waitFor();
  assert.equal(await page.locator(".prechat").isHidden(), true);
  const thread = await page.locator(".msg").allTextContents();
  assert.deepEqual(
    thread.map((text) => text.trim()),
    ["Can I return an opened bag of coffee?", answered, reply],
  );
  await context.close();
});

test("on an Arabic page the chat speaks Arabic, right to left", async () => {
  const { context, page } = await visit("/ar");
  const launcher = page.locator(".launcher");
  const box = await launcher.boundingBox();
  assert.ok(box.x < 500, `the launcher sits on the left in Arabic (x = ${box.x})`);
  assert.equal(await launcher.getAttribute("aria-label"), "تحدث معنا");
  await launcher.click();
  const name = page.locator("input[name=name]");
  await name.waitFor();
  assert.equal(await name.getAttribute("placeholder"), "الاسم");
  const direction = await page.locator(".panel").evaluate((panel) => getComputedStyle(panel).direction);
  assert.equal(direction, "rtl");
  await name.fill("سارة");
  await page.locator(".prechat button").click();
  const input = page.locator(".compose input");
  await input.waitFor();
  assert.equal(await input.getAttribute("placeholder"), "اكتب رسالتك…");
  await input.fill("متى يفتح المقهى يوم الجمعة؟");
  await page.locator(".compose button").click();
  const answer = page.locator(".msg.out.agent").first();
  await answer.waitFor({ timeout: 60_000 });
  const answered = (await answer.textContent()).trim();
  console.log(`the AI answered: ${answered}`);
  assert.match(answered, /[\u0600-\u06FF]/, "an Arabic answer");
  const bubble = await answer.evaluate((element) => getComputedStyle(element).direction);
  assert.equal(bubble, "rtl", "an Arabic message reads right to left");
  const mine = await page.locator(".msg.in").first().boundingBox();
  const theirs = await answer.boundingBox();
  assert.ok(mine.x < theirs.x, "the visitor's messages on the left, the answers on the right");
  await page.screenshot({ path: join(shots, "widget-ar.png") });
  await context.close();
});

test("a visitor taps a question the AI offers and gets its answer", {
  skip: existsSync(faq) ? false : `${faq} is absent`,
}, async () => {
  // An agent over the Arabic FAQ, on a chat of its own.
  const knowledgeBase = (await call("POST", "/v1/knowledge-bases", { name: "SleekFlow FAQ" })).body.id;
  const form = new FormData();
  form.append("file", new Blob([readFileSync(faq)]), "sleekflow-faq-ar.txt");
  const uploaded = await fetch(`${base}/v1/knowledge-bases/${knowledgeBase}/sources`, {
    method: "POST", headers: { Authorization: `Bearer ${key}` }, body: form,
  });
  assert.equal(uploaded.status, 202, await uploaded.text());
  for (let waited = 0; ; waited += 500) {
    const sources = (await call("GET", `/v1/knowledge-bases/${knowledgeBase}/sources`)).body;
    assert.ok(!sources.some((source) => source.status === "failed"), JSON.stringify(sources));
    if (sources.every((source) => source.status === "ready")) break;
    assert.ok(waited < 300_000, "the FAQ is not ready after 5 minutes");
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const support = await call("POST", "/v1/agents", {
    name: "Support", goal: "Answer questions about the platform.", knowledge_base: knowledgeBase,
  });
  assert.equal(support.status, 201, JSON.stringify(support.body));
  const chat = await call("POST", "/v1/channels", {
    type: "widget", name: "SleekFlow help", agent_id: support.body.id, config: {},
  });
  assert.equal(chat.status, 201, JSON.stringify(chat.body));
  faqEmbed = `<script src="${base}/widget.js" data-channel="${chat.body.id}" async></script>`;

  const { context, page } = await visit("/faq");
  await page.locator(".launcher").click();
  const input = page.locator(".compose input");
  await input.waitFor();
  // Close to the FAQ's question on other CRMs, but under the bound: offered, not answered.
  await input.fill("هل يمكن ربط المنصة بنظام HubSpot؟");
  await input.press("Enter");
  const offered = "كيف يمكنني التكامل مع أنظمة إدارة علاقات العملاء (CRMs) الأخرى؟";
  const button = page.locator(".offers button", { hasText: offered });
  await button.waitFor({ timeout: 60_000 });
  console.log(`offered: ${(await page.locator(".offers button").allTextContents()).join(" | ")}`);
  await page.screenshot({ path: join(shots, "widget-offer.png") });

  await button.click();
  assert.equal(await page.locator(".offers").count(), 0, "the buttons go once one is tapped");
  await page.locator(".msg.in", { hasText: offered }).waitFor();
  const answer = page.locator(".msg.out.agent").nth(1);
  await answer.waitFor({ timeout: 60_000 });
  const answered = (await answer.textContent()).trim();
  console.log(`the AI answered: ${answered.slice(0, 120)}…`);
  assert.match(answered, /التكامل المباشر/, "the answer of the question tapped");
  await context.close();
});
