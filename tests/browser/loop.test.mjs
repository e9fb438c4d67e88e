// The whole loop of the web app in Debian's Chromium, in English and in Arabic: a business
// signs in, creates an agent step by step, uploads a document and watches it become ready,
// test-chats and rates the answer (a correction becomes a custom answer), connects the api
// channel; a customer's message arrives through it and the AI answers; a handoff appears live
// in the queue; a person claims it, sends a suggested reply, adds a note and resolves it.
// axe-core checks every screen (no serious or critical violation); each screen is
// photographed into $SCREENSHOTS. Run by scripts/browser-tests.sh.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";
import {
  binary, browserPath, call as callAs, dataFolder, serveWebApp, shots, stop,
} from "./service.mjs";

const axeSource = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const webDir = process.env.WEB_DIR;
const PASSWORD = "a long password";
let service, dataDir, browser, base, key;

const call = (method, path, body) => callAs(base, key, method, path, body);

// Each language's run: the business's own words, its document, and what its customer asks.
const RUNS = {
  en: {
    words: {
      agents: "Agents", newAgent: "Create the agent", knowledge: "Knowledge", voice: "Tone, length, language",
      save: "Save and continue", ready: "Ready", thumbsDown: "Bad answer", rated: "Thanks: marked as a bad answer.",
      settings: "Settings", channels: "Channels", create: "Create", inbox: "Inbox", handoffs: "Handoffs",
      claim: "Take it", ai: "AI", person: "Person",
      claimed: "Taken by a person", handedOver: "Handed over by the AI: the customer asked for a person", suggest: "Suggest replies", resolve: "Resolve", resolved: "Resolved", answers: "Custom answers",
      versions: "Versions", evals: "Evals", people: "People and teams",
    },
    agent: "Qahwa helper",
    goal: "Answer questions about the café's hours, delivery and menu.",
    file: "qahwa-house.txt",
    document: [
      "Opening hours",
      "Qahwa House is open every day from 8 in the morning until 11 at night, Fridays from 2 in the afternoon.",
      "",
      "Delivery",
      "We deliver across the city within 45 minutes. Delivery costs 10 riyals and is free on orders over 100 riyals.",
      "",
      "Loyalty card",
      "Every tenth coffee is free with the loyalty card, which the cashier gives you on your first visit.",
    ].join("\n"),
    question: "How long does delivery take?",
    correction: "Delivery takes 45 minutes anywhere in the city.",
    customer: "Layla",
    asks: "When do you open on Friday?",
    human: "I want to talk to a human please",
    followUp: "How much does delivery cost?",
    note: "Regular customer: offer the loyalty card.",
  },
  ar: {
    words: {
      agents: "الوكلاء", newAgent: "أنشئ الوكيل", knowledge: "المعرفة", voice: "الأسلوب والطول واللغة",
      save: "احفظ وتابع", ready: "جاهز", thumbsDown: "إجابة سيئة", rated: "شكرًا: عُلِّمت كإجابة سيئة.",
      settings: "الإعدادات", channels: "القنوات", create: "إنشاء", inbox: "صندوق الوارد", handoffs: "التحويلات",
      claim: "استلمها", ai: "الذكاء الاصطناعي", person: "موظف",
      claimed: "استلمها موظف", handedOver: "حوّلها الذكاء الاصطناعي: طلب العميل التحدث مع موظف", suggest: "اقترح ردودًا", resolve: "إغلاق", resolved: "محلولة", answers: "الإجابات المخصصة",
      versions: "الإصدارات", evals: "التقييمات", people: "الأشخاص والفرق",
    },
    agent: "مساعد بيت القهوة",
    goal: "الإجابة عن أسئلة العملاء حول مواعيد المقهى والتوصيل والقائمة.",
    file: "بيت-القهوة.txt",
    document: [
      "مواعيد العمل",
      "يفتح بيت القهوة يوميًا من الثامنة صباحًا حتى الحادية عشرة مساءً، ويوم الجمعة من الثانية ظهرًا.",
      "",
      "التوصيل",
      "نوصل الطلبات داخل المدينة خلال 45 دقيقة. رسوم التوصيل 10 ريالات، ومجانية للطلبات التي تزيد على 100 ريال.",
      "",
      "بطاقة الولاء",
      "كل عاشر قهوة مجانية مع بطاقة الولاء التي يعطيك إياها الكاشير في زيارتك الأولى.",
    ].join("\n"),
    question: "كم يستغرق التوصيل؟",
    correction: "يستغرق التوصيل 45 دقيقة في أي مكان داخل المدينة.",
    customer: "ليلى",
    asks: "متى تفتحون يوم الجمعة؟",
    human: "أريد التحدث مع موظف من فضلك",
    followUp: "كم رسوم التوصيل؟",
    note: "عميلة دائمة: اعرض عليها بطاقة الولاء.",
  },
};

before(async () => {
  assert.ok(binary && webDir, "SWITCHBOARD_BIN and WEB_DIR name the binary and the built app");
  ({ child: service, dataDir, base, key } = await serveWebApp("qahwa", 500));
  for (const [email, role] of [["owner@example.com", "admin"]]) {
    const user = await call("POST", "/v1/users", { email, password: PASSWORD, role });
    assert.equal(user.status, 201, JSON.stringify(user.body));
  }
  for (const name of ["support", "sales"]) {
    const team = await call("POST", "/v1/teams", { name });
    assert.equal(team.status, 201, JSON.stringify(team.body));
  }
  browser = await chromium.launch({ executablePath: browserPath, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  await stop(service, dataDir);
});

/** axe-core on the page as it is: no serious or critical violation. */
async function accessible(page, screen) {
  await page.addScriptTag({ path: axeSource });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((violation) => ["serious", "critical"].includes(violation.impact))
      .map((violation) => `${violation.id} (${violation.impact}): ${violation.nodes.slice(0, 3)
        .map((node) => node.target.join(" ")).join(", ")}`);
  });
  assert.deepEqual(violations, [], `${screen}: serious or critical accessibility violations`);
}

async function look(page, screen, language) {
  await accessible(page, `${screen} (${language})`);
  await page.screenshot({ path: join(shots, `loop-${screen}-${language}.png`) });
}

for (const [language, run] of Object.entries(RUNS)) {
  test(`the whole loop in ${language === "en" ? "English" : "Arabic"}`, async () => {
    const w = run.words;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${base}/?lang=${language}`);
    assert.equal(await page.evaluate(() => document.documentElement.dir), language === "ar" ? "rtl" : "ltr");
    await look(page, "sign-in", language);
    await page.locator("input[name=email]").fill("owner@example.com");
    await page.locator("input[name=password]").fill(PASSWORD);
    await page.locator("form button[type=submit]").click();
    await page.locator(".bar .who").waitFor();

    // An agent, step by step: its name, role and goal first.
    await page.locator(".sections a", { hasText: w.agents }).click();
    await page.locator("input[name=name]").fill(run.agent);
    await page.locator("textarea[name=goal]").fill(run.goal);
    await look(page, "agents", language);
    await page.locator("form button[type=submit]", { hasText: w.newAgent }).click();
    await page.locator(".steps h1", { hasText: run.agent }).waitFor();
    const agentId = decodeURIComponent(page.url().split("#/agents/")[1]);
    if (language === "ar") {
      // Western digits by default; Arabic-Indic ones when the person asks for them.
      assert.equal(await page.locator(".step-number").first().textContent(), "1");
      await page.locator(".bar button[aria-pressed]").click();
      assert.equal(await page.locator(".step-number").first().textContent(), "١");
    }

    // The API's validation error is shown at its field.
    await page.locator(".steps button", { hasText: w.voice }).click();
    await page.locator("input[name=language]").fill("arabic");
    await page.locator(".settings form button[type=submit]").click();
    const error = page.locator("#field-language-error");
    await error.waitFor();
    assert.match(await error.textContent(), /two-letter language code/);
    assert.equal(await page.locator("input[name=language]").getAttribute("aria-invalid"), "true");
    await look(page, "builder-voice", language);
    await page.locator("input[name=language]").fill("auto");
    await page.locator(".settings form button[type=submit]", { hasText: w.save }).click();

    // Knowledge: the upload's progress, until it is ready.
    await page.locator("#step-title", { hasText: w.knowledge }).waitFor();
    const upload = join(dataFolder("upload"), run.file);
    writeFileSync(upload, run.document);
    await page.locator("#knowledge-files").setInputFiles(upload);
    await page.locator(".source", { hasText: run.file }).waitFor();
    await page.locator(".source[data-status=ready]", { hasText: run.file }).waitFor({ timeout: 120_000 });
    assert.match(await page.locator(".source", { hasText: run.file }).textContent(), new RegExp(w.ready));
    await look(page, "builder-knowledge", language);

    // The test chat: the reply, its citation, the trace; a thumbs-down with a correction that
    // becomes a custom answer.
    await page.locator("textarea[name=test-message]").fill(run.question);
    await page.locator(".test-chat form button[type=submit]").click();
    const answer = page.locator(".test-chat .message.in:not([aria-busy])").last();
    await answer.waitFor();
    // The reply cites the document, and what it quotes is the document's.
    assert.match(await answer.locator(":scope > p").first().textContent(), /\[1\]/);
    assert.ok((await answer.locator(".sources li").first().textContent()).includes(run.file));
    const quote = (await answer.locator(".sources blockquote").first().textContent()).trim();
    assert.ok(quote.length > 0 && run.document.includes(quote), quote);
    await answer.locator(".trace summary").click();
    await answer.locator(".passages li").first().waitFor();
    await answer.getByRole("button", { name: w.thumbsDown }).click();
    await answer.locator("textarea[name=correction]").fill(run.correction);
    await answer.locator(".correction button[type=submit]").click();
    await answer.getByRole("status").filter({ hasText: w.rated }).waitFor();
    await page.locator("#step-title", { hasText: w.answers }).waitFor();
    assert.equal(await page.locator(".settings textarea").first().inputValue(), run.correction);
    await look(page, "builder-test-chat", language);
    const rated = await call("GET", `/v1/agents/${agentId}/rated-turns`);
    assert.equal(rated.body.length, 1);
    assert.equal(rated.body[0].correction, run.correction);

    // The api channel, answered first by the agent.
    await page.locator(".sections a", { hasText: w.settings }).click();
    await page.locator(".steps button", { hasText: w.channels }).click();
    await page.locator("select[name=type]").selectOption("api");
    await page.locator("input[name=channel-name]").fill(`${run.agent} API`);
    await page.locator("select[name=agent]").selectOption({ label: run.agent });
    await page.locator("input[name=webhook_url]").fill("http://127.0.0.1:9/replies");
    await page.locator(".settings form button[type=submit]", { hasText: w.create }).click();
    await page.locator(".shown-once code").waitFor();
    await look(page, "settings-channels", language);
    const channels = await call("GET", "/v1/channels");
    const channel = channels.body.find((listed) => listed.name === `${run.agent} API`);
    assert.ok(channel, "the channel made in the app is listed");
    const inbound = `/v1/channels/${channel.id}/inbound`;

    // A customer writes; the AI answers from the knowledge.
    await page.locator(".sections a", { hasText: w.inbox }).click();
    await page.locator(".live:not(.off)").waitFor();
    const customer = `${language}-customer`;
    let said = await call("POST", inbound, {
      contact: { external_id: customer, name: run.customer },
      message: { id: `${language}-1`, text: run.asks },
    });
    assert.equal(said.status, 200, JSON.stringify(said.body));
    // The handoff queue, live: the customer asks for a person.
    await page.getByRole("tab", { name: w.handoffs }).click();
    said = await call("POST", inbound, {
      contact: { external_id: customer },
      message: { id: `${language}-2`, text: run.human },
    });
    assert.equal(said.status, 200, JSON.stringify(said.body));
    // The queue shows who wrote, and what they said last.
    const queued = page.locator(".conversation", { hasText: run.customer });
    await queued.waitFor();
    await queued.click();
    await page.locator(".contact h2", { hasText: run.customer }).waitFor();
    await page.locator(".message.in", { hasText: run.asks }).waitFor();
    await page.locator(".message.out", { has: page.locator(".sender", { hasText: w.ai }) }).first().waitFor();
    await page.locator(".handoff-card").waitFor();

    // Claim, a suggested reply in one click, a note, resolve.
    await page.locator(".actions button", { hasText: w.claim }).click();
    await page.locator(".actions button", { hasText: w.claim }).waitFor({ state: "detached" });
    // The thread says what happened in the reader's language.
    await page.locator(".message.activity", { hasText: w.claimed }).waitFor();
    await page.locator(".message.activity", { hasText: w.handedOver }).waitFor();
    // The customer asks again while a person holds the conversation: it arrives live, and the
    // AI leaves it to the person, who asks the knowledge for replies.
    said = await call("POST", inbound, {
      contact: { external_id: customer },
      message: { id: `${language}-3`, text: run.followUp },
    });
    assert.equal(said.status, 200, JSON.stringify(said.body));
    await page.locator(".message.in", { hasText: run.followUp }).waitFor();
    await page.locator(".composer-tools button", { hasText: w.suggest }).click();
    const chip = page.locator(".chips .chip").first();
    await chip.waitFor();
    const suggestion = (await chip.textContent()).trim();
    await chip.click();
    assert.equal(await page.locator("textarea[name=reply]").inputValue(), suggestion);
    assert.doesNotMatch(suggestion, /\[\d+\]/, "no citation marks for the customer");
    await page.locator(".composer button[type=submit]").click();
    await page.locator(".message.out", { has: page.locator(".sender", { hasText: w.person }) }).first().waitFor();
    await page.locator("input[name=note]").check();
    await page.locator("textarea[name=reply]").fill(run.note);
    await page.locator(".composer button[type=submit]").click();
    await page.locator(".message.note", { hasText: run.note }).waitFor();
    await look(page, "inbox-thread", language);
    await page.locator(".actions button", { hasText: w.resolve }).click();
    await page.locator(".actions .status", { hasText: w.resolved }).waitFor();

    const conversations = await call("GET", `/v1/conversations?channel_id=${channel.id}`);
    assert.equal(conversations.body.length, 1);
    assert.equal(conversations.body[0].status, "resolved");
    const messages = await call("GET", `/v1/conversations/${conversations.body[0].id}/messages`);
    const kinds = messages.body.map((message) => `${message.sender.kind}:${message.kind}`);
    assert.ok(kinds.includes("agent:text"), `the AI answered: ${kinds}`);
    assert.ok(kinds.includes("user:note"), `the note: ${kinds}`);
    assert.ok(messages.body.some((message) => message.sender.kind === "user" && message.text === suggestion));

    // The channel's business hours, kept with its routing.
    await page.locator(".sections a", { hasText: w.settings }).click();
    await page.locator(".steps button", { hasText: w.channels }).click();
    const card = page.locator(".channels li", { hasText: `${run.agent} API` });
    await card.locator(".channel-hours summary").click();
    await card.locator(".hours input[type=checkbox]").check();
    await card.locator(".hours input[dir=ltr]").first().fill("Asia/Riyadh");
    await card.locator(".days input").first().fill("09:00-13:00, 16:00-22:00");
    await card.locator(".hours button[type=submit]").click();
    await card.locator(".hours .saved").waitFor();
    const routed = await call("GET", `/v1/channels/${channel.id}`);
    assert.deepEqual(routed.body.config.routing.business_hours, {
      time_zone: "Asia/Riyadh", days: { mon: ["09:00-13:00", "16:00-22:00"] },
    });
    await look(page, "settings-hours", language);

    // The remaining screens, checked and photographed.
    await page.locator(".steps button", { hasText: w.people }).click();
    await page.locator(".table").first().waitFor();
    await look(page, "settings-people", language);
    await page.locator(".sections a", { hasText: w.agents }).click();
    await page.locator(".cards a", { hasText: run.agent }).click();
    await page.locator(".steps button", { hasText: w.versions }).click();
    await page.locator(".changes").waitFor();
    await look(page, "builder-versions", language);

    // An eval run of the rated answers: the correction is now a custom answer, so it passes.
    await page.locator(".steps button", { hasText: w.evals }).click();
    await page.locator(".evals .form-actions button[type=button]").click();
    await page.locator(".runs tr[data-status=done]").waitFor({ timeout: 60_000 });
    await page.locator(".runs tr[data-status=done] button").click();
    await page.locator(".report .case").first().waitFor();
    assert.equal(await page.locator(".report .case.passed").count(), 1);
    await look(page, "builder-evals", language);
    await context.close();
  });
}
